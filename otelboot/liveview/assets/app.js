// otelkit live view: the page's own code. No library, nothing fetched
// from anywhere but this process.
(function () {
  'use strict';

  var token = new URLSearchParams(location.search).get('token') || '';
  var SVGNS = 'http://www.w3.org/2000/svg';
  var REFRESH_MS = 1500;
  var timer = null;

  function $(id) { return document.getElementById(id); }

  // service is the service filter: '' for all, or a name of /api/services.
  var service = '', nServices = 0;

  function api(path) {
    var headers = {};
    if (token) headers['Authorization'] = 'Bearer ' + token;
    if (service && !/^(services|info|traces\/)/.test(path)) {
      path += (path.indexOf('?') < 0 ? '?' : '&') + 'service=' + encodeURIComponent(service);
    }
    return fetch('api/' + path, { headers: headers, cache: 'no-store' }).then(function (r) {
      if (r.status === 401) throw new Error('401: token required or wrong');
      if (!r.ok) throw new Error(r.status + ' ' + r.statusText);
      return r.json();
    });
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function sv(tag, attrs, text) {
    var e = document.createElementNS(SVGNS, tag);
    for (var k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  function clear(n) { while (n.firstChild) n.removeChild(n.firstChild); }
  function td(text, cls) { return el('td', cls ? { 'class': cls } : null, text); }

  function fmtMs(ms) {
    if (ms >= 1000) return (ms / 1000).toFixed(ms >= 10000 ? 1 : 2) + ' s';
    if (ms >= 1) return ms.toFixed(ms >= 100 ? 0 : ms >= 10 ? 1 : 2) + ' ms';
    return (ms * 1000).toFixed(0) + ' µs';
  }
  function fmtClock(d) { return d.toTimeString().slice(0, 8); }
  function fmtUnix(s) { return fmtClock(new Date(s * 1000)); }
  function fmtIso(s) {
    var d = new Date(s);
    return isNaN(d) || d.getFullYear() < 2000 ? '' : fmtClock(d);
  }
  function traceHref(id) { return '#/trace/' + id; }
  function sum(a) { var s = 0; for (var i = 0; i < a.length; i++) s += a[i]; return s; }
  function niceMax(v) {
    if (!(v > 0)) return 1;
    var p = Math.pow(10, Math.floor(Math.log10(v)));
    var m = [1, 2, 4, 8, 10]; // quarters of these read as whole numbers
    for (var i = 0; i < m.length; i++) if (m[i] * p >= v) return m[i] * p;
    return 10 * p;
  }
  function fmtNum(v) { return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(v >= 1 ? 1 : 2); }

  // ---- charts -------------------------------------------------------------

  var CW = 560, CH = 170, M = { l: 40, r: 8, t: 8, b: 20 };

  function frame(svg, w, h, maxY, start, step, n, left) {
    clear(svg);
    svg.setAttribute('viewBox', '0 0 ' + w + ' ' + h);
    var ph = h - M.t - M.b, pw = w - left - M.r;
    if (maxY != null) {
      for (var k = 0; k <= 4; k++) {
        var y = M.t + ph - ph * k / 4;
        svg.appendChild(sv('line', { 'class': k ? 'grid' : 'axis', x1: left, x2: w - M.r, y1: y, y2: y }));
        svg.appendChild(sv('text', { x: left - 4, y: y + 3, 'text-anchor': 'end' }, fmtNum(maxY * k / 4)));
      }
    }
    var ticks = 5;
    for (var t = 0; t <= ticks; t++) {
      var i = Math.min(n - 1, Math.round((n - 1) * t / ticks));
      var x = left + pw * (i + 0.5) / n;
      var anchor = t === 0 ? 'start' : t === ticks ? 'end' : 'middle';
      svg.appendChild(sv('text', { x: t === 0 ? left : t === ticks ? w - M.r : x, y: h - 6, 'text-anchor': anchor }, fmtUnix(start + i * step)));
    }
    return { pw: pw, ph: ph, left: left };
  }

  function drawBars(svg, values, errors, start, step) {
    var maxY = niceMax(Math.max.apply(null, [0].concat(values)));
    var f = frame(svg, CW, CH, maxY, start, step, values.length, M.l);
    var bw = f.pw / values.length;
    values.forEach(function (v, i) {
      if (!(v > 0)) return;
      var h = v / maxY * f.ph;
      var r = sv('rect', {
        'class': 'bar' + (errors[i] > 0 ? ' haserr' : ''),
        x: f.left + i * bw + 0.5, y: M.t + f.ph - h, width: Math.max(1, bw - 1), height: h
      });
      r.appendChild(sv('title', null, fmtUnix(start + i * step) + ': ' + fmtNum(v) + ' span/s (click: traces)'));
      var from = start + i * step;
      r.addEventListener('click', function () {
        setCell({ from: from, to: from + step, text: fmtUnix(from) + '+' + step + 's, any duration' });
      });
      svg.appendChild(r);
    });
  }

  function drawLine(svg, values, start, step) {
    var maxY = niceMax(Math.max.apply(null, [0].concat(values)));
    var f = frame(svg, CW, CH, maxY, start, step, values.length, M.l);
    var bw = f.pw / values.length, pts = [];
    values.forEach(function (v, i) {
      var x = f.left + bw * (i + 0.5), y = M.t + f.ph - v / maxY * f.ph;
      pts.push(x.toFixed(1) + ',' + y.toFixed(1));
      if (v > 0) {
        var c = sv('circle', { 'class': 'dot', cx: x, cy: y, r: 2.2 });
        c.appendChild(sv('title', null, fmtUnix(start + i * step) + ': ' + fmtNum(v) + ' error/s'));
        svg.appendChild(c);
      }
    });
    svg.insertBefore(sv('polyline', { 'class': 'line', points: pts.join(' ') }), svg.firstChild.nextSibling);
  }

  function heatColor(frac) {
    // light yellow to deep red, on a log-ish scale chosen by the caller
    var h = 55 - 55 * frac, l = 88 - 50 * frac;
    return 'hsl(' + h.toFixed(0) + ',90%,' + l.toFixed(0) + '%)';
  }

  function drawHeatmap(svg, hm) {
    var rows = hm.labels.length + 1, cols = hm.columns.length;
    var rh = 12, left = 58, w = 1140, h = M.t + rows * rh + M.b;
    var f = frame(svg, w, h, null, hm.start, hm.step, cols, left);
    var cw = f.pw / Math.max(1, cols);
    var max = 0;
    hm.columns.forEach(function (c) { c.forEach(function (n) { if (n > max) max = n; }); });
    var bands = {};
    hm.bands.forEach(function (b) { bands[b] = true; });
    // row i (bucket i) drawn from the bottom; boundary i is the top of row i
    function rowTop(i) { return M.t + (rows - 1 - i) * rh; }
    hm.columns.forEach(function (c, x) {
      c.forEach(function (n, i) {
        if (!n) return;
        var frac = max > 1 ? Math.log(n) / Math.log(max) : 1;
        var r = sv('rect', {
          'class': 'cell', x: f.left + x * cw, y: rowTop(i), width: Math.max(1, cw - 0.5), height: rh - 0.5,
          fill: heatColor(0.15 + 0.85 * frac)
        });
        var lo = i ? hm.labels[i - 1] : '0', hi = i < hm.labels.length ? hm.labels[i] : '∞';
        r.appendChild(sv('title', null, fmtUnix(hm.start + x * hm.step) + '  ' + lo + '–' + hi + ': ' + n + ' spans (click: traces)'));
        var from = hm.start + x * hm.step;
        r.addEventListener('click', function () {
          setCell({
            from: from, to: from + hm.step,
            min_ns: i ? hm.bounds_ns[i - 1] : null, max_ns: i < hm.bounds_ns.length ? hm.bounds_ns[i] : null,
            text: fmtUnix(from) + '+' + hm.step + 's, ' + lo + '–' + hi
          });
        });
        svg.appendChild(r);
      });
    });
    hm.labels.forEach(function (lab, i) {
      var y = rowTop(i);
      var band = bands[i];
      if (band) svg.appendChild(sv('line', { 'class': 'band-line', x1: f.left, x2: w - M.r, y1: y, y2: y }));
      svg.appendChild(sv('text', { x: left - 4, y: y + 3, 'text-anchor': 'end', 'class': band ? 'band-label' : '' }, lab));
    });
    svg.appendChild(sv('line', { 'class': 'axis', x1: f.left, x2: f.left, y1: M.t, y2: M.t + rows * rh }));
    if (!hm.total) svg.appendChild(sv('text', { x: w / 2, y: M.t + rows * rh / 2, 'text-anchor': 'middle', 'class': 'empty' }, 'no spans in this window yet'));
  }

  // ---- exemplars: the traces of a heatmap cell or a bar ---------------------

  var cell = null;

  function setCell(c) {
    cell = c;
    $('cell-filter').hidden = !c;
    $('cell-text').textContent = c ? 'cell ' + c.text : '';
    loadTraces().then(function () {
      if (c) $('traces').scrollIntoView({ block: 'nearest' });
    }, setStatus);
  }

  // ---- findings -------------------------------------------------------------

  var KIND_LABEL = {
    failing_call: 'failing call', spike: 'spike', n_plus_one: 'N+1',
    latency_band: 'band moved', bottleneck: 'bottleneck'
  };

  function loadFindings() {
    return api('findings').then(function (r) {
      var ul = $('findings'), bands = $('bands');
      clear(ul); clear(bands);
      var shown = 0;
      r.findings.forEach(function (f) {
        if (f.kind === 'latency_band' && !f.numbers.moved) {
          var b = el('span', { 'class': 'band', title: f.summary });
          b.textContent = (nServices > 1 && f.service ? f.service + ' · ' : '') + f.route + ' · p50 ' + fmtMs(f.numbers.p50_ms) + ' → ' + fmtMs(f.numbers.band_ms) + ' band';
          bands.appendChild(b);
          return;
        }
        shown++;
        var li = el('li', { 'class': 'finding', 'data-kind': f.kind, 'data-service': f.service || '', 'data-route': f.route, 'data-child': f.child });
        li.appendChild(el('span', { 'class': 'badge k-' + f.kind }, KIND_LABEL[f.kind] || f.kind));
        li.appendChild(el('span', { 'class': 'summary' }, f.summary));
        var when = fmtIso(f.first_seen), last = fmtIso(f.last_seen);
        li.appendChild(el('span', { 'class': 'when' }, when === last ? when : when + '–' + last));
        var ex = el('span', { 'class': 'ex' }, f.traces.length ? 'traces' : '');
        f.traces.forEach(function (id) {
          ex.appendChild(el('a', { href: traceHref(id), 'class': 'trace-link' }, id.slice(0, 8)));
        });
        li.appendChild(ex);
        ul.appendChild(li);
      });
      if (!shown) ul.appendChild(el('li', { 'class': 'muted' }, 'nothing to report: no failing call, spike, N+1, bottleneck or band move in what the view keeps'));
      if (bands.firstChild) bands.insertBefore(el('span', null, 'latency bands (p50):'), bands.firstChild);
      $('findings-panel').setAttribute('data-count', shown);
      $('findings-sum').textContent = shown + ' finding' + (shown === 1 ? '' : 's');
    });
  }

  // ---- dashboard ------------------------------------------------------------

  function windowQuery() {
    var w = +$('window').value || 300;
    return 'window=' + w + '&step=' + Math.max(1, Math.round(w / 60));
  }

  function loadRates() {
    return api('rates?' + windowQuery()).then(function (r) {
      $('service').textContent = service ? '· ' + service : nServices > 1 ? '· ' + nServices + ' services' : r.service ? '· ' + r.service : '';
      drawBars($('chart-rate'), r.span_rate, r.errors, r.start, r.step);
      drawLine($('chart-errors'), r.error_rate, r.start, r.step);
      $('panel-rate').setAttribute('data-total', r.window_spans);
      $('panel-errors').setAttribute('data-total', r.window_errors);
      $('rate-sum').textContent = r.window_spans + ' spans in window, ' + r.total_spans + ' since start';
      $('errors-sum').textContent = r.window_errors + ' errors in window, ' + r.total_errors + ' since start';
    });
  }

  function loadHeatmap() {
    return api('heatmap?' + windowQuery()).then(function (hm) {
      drawHeatmap($('chart-heatmap'), hm);
      $('panel-heatmap').setAttribute('data-total', hm.total);
    });
  }

  function loadSpans() {
    return api('spans').then(function (r) {
      var tb = $('spans').tBodies[0];
      clear(tb);
      r.spans.forEach(function (s) {
        var tr = el('tr', s.errors ? { 'class': 'error' } : null);
        var a = el('a', { href: '#/' }, s.name);
        a.addEventListener('click', function (ev) {
          ev.preventDefault();
          $('f-name').value = s.name;
          loadTraces();
        });
        var name = el('td'); name.appendChild(a);
        tr.appendChild(name);
        tr.appendChild(td(s.kind));
        tr.appendChild(td(s.count, 'num'));
        tr.appendChild(td(s.errors, 'num'));
        tr.appendChild(td(fmtMs(s.p50_ms), 'num'));
        tr.appendChild(td(fmtMs(s.p95_ms), 'num'));
        tr.appendChild(td(fmtMs(s.p99_ms), 'num'));
        tr.appendChild(td(fmtIso(s.last_seen)));
        tb.appendChild(tr);
      });
    });
  }

  function statusBadge(t) {
    var cls = t.status === 'error' ? 'error' : (t.kept === 'slow' ? 'slow' : 'ok');
    var text = t.status === 'error' ? 'error' : (t.kept === 'slow' ? 'slow' : 'ok');
    return el('span', { 'class': 'badge ' + cls }, text);
  }

  function loadTraces() {
    var q = new URLSearchParams();
    if ($('f-name').value) q.set('name', $('f-name').value);
    if ($('f-status').value) q.set('status', $('f-status').value);
    if ($('f-min').value) q.set('min_ms', $('f-min').value);
    if ($('f-sort').value) q.set('sort', $('f-sort').value);
    if (cell) {
      q.set('from', cell.from); q.set('to', cell.to);
      if (cell.min_ns != null) q.set('min_ns', cell.min_ns);
      if (cell.max_ns != null) q.set('max_ns', cell.max_ns);
    }
    q.set('limit', '50');
    var forCell = cell ? cell.text : '';
    return api('traces?' + q.toString()).then(function (r) {
      var tb = $('traces').tBodies[0];
      clear(tb);
      $('traces').setAttribute('data-cell', forCell);
      $('traces-count').textContent = r.matched + ' matching of ' + r.kept + ' kept (' + r.evicted + ' evicted)';
      r.traces.forEach(function (t) {
        var tr = el('tr', { 'class': 'trace-row' + (t.status === 'error' ? ' error' : ''), 'data-trace-id': t.trace_id });
        tr.appendChild(td(fmtIso(t.start)));
        var name = el('td'); name.appendChild(el('a', { href: traceHref(t.trace_id), 'class': 'trace-link' }, t.name));
        name.appendChild(el('span', { 'class': 'muted' }, ' ' + t.trace_id.slice(0, 8)));
        tr.appendChild(name);
        tr.appendChild(td(fmtMs(t.duration_ms), 'num'));
        tr.appendChild(td(t.spans, 'num'));
        tr.appendChild(td(t.errors, 'num'));
        var st = el('td'); st.appendChild(statusBadge(t)); tr.appendChild(st);
        tb.appendChild(tr);
      });
    });
  }

  function fillLogs(tbody, logs, withTrace) {
    clear(tbody);
    if (!logs.length) {
      var tr = el('tr');
      tr.appendChild(el('td', { colspan: '4', 'class': 'muted' }, withTrace ? 'no log records yet' : 'no log records carry this trace id'));
      tbody.appendChild(tr);
    }
    logs.forEach(function (l) {
      var tr = el('tr', l.severity >= 17 ? { 'class': 'error' } : null);
      tr.appendChild(td(fmtIso(l.time)));
      tr.appendChild(td(l.severity_text || String(l.severity)));
      tr.appendChild(td(l.body, 'wrap'));
      var c = el('td');
      if (withTrace && l.trace_id) c.appendChild(el('a', { href: traceHref(l.trace_id) }, l.trace_id.slice(0, 8)));
      else if (!withTrace) c.textContent = l.span_id ? l.span_id.slice(0, 8) : '';
      tr.appendChild(c);
      tbody.appendChild(tr);
    });
  }

  function loadLogs() {
    return api('logs?limit=50').then(function (r) {
      fillLogs($('logs').tBodies[0], r.logs.slice().reverse(), true);
    });
  }

  function setStatus(err) {
    var s = $('status');
    s.className = err ? 'error' : 'muted';
    s.textContent = err ? String(err.message || err) : 'updated ' + fmtClock(new Date());
  }

  // loadServices lists the services seen in the selector, shown once there
  // are two; the view keeps at most a few apart and groups the rest.
  function loadServices() {
    return api('services').then(function (r) {
      var sel = $('f-service'), names = r.services.map(function (s) { return s.name; });
      if (service && names.indexOf(service) < 0) names.push(service);
      var have = [];
      for (var i = 1; i < sel.options.length; i++) have.push(sel.options[i].value);
      if (have.join('\n') !== names.join('\n')) {
        while (sel.options.length > 1) sel.remove(1);
        names.forEach(function (n) { sel.appendChild(el('option', { value: n }, n)); });
        sel.value = service;
      }
      nServices = r.services.length;
      $('service-filter').hidden = nServices < 2 && !service;
    });
  }

  function refreshDashboard() {
    return Promise.all([loadServices(), loadFindings(), loadRates(), loadHeatmap(), loadSpans(), loadTraces(), loadLogs()])
      .then(function () { setStatus(null); }, setStatus);
  }

  // ---- trace page -----------------------------------------------------------

  function kvTable(kvs) {
    var t = el('table'), tb = el('tbody');
    kvs.forEach(function (kv) {
      var tr = el('tr');
      tr.appendChild(td(kv.key));
      tr.appendChild(td(kv.value, 'wrap'));
      tb.appendChild(tr);
    });
    t.appendChild(tb);
    return t;
  }

  function spanDetails(s) {
    var d = el('div', { 'class': 'span-details' });
    d.hidden = true;
    d.appendChild(el('div', { 'class': 'muted' }, (s.service ? s.service + ' · ' : '') + s.kind + ' · ' + (s.scope || '') + ' · span ' + s.span_id +
      (s.parent_id ? ' · parent ' + s.parent_id : '') + ' · status ' + s.status + (s.status_message ? ': ' + s.status_message : '')));
    d.appendChild(el('h4', null, 'Attributes'));
    d.appendChild(kvTable(s.attributes));
    if (s.events.length) {
      d.appendChild(el('h4', null, 'Events'));
      s.events.forEach(function (e) {
        d.appendChild(el('div', null, '+' + fmtMs(e.offset_ms) + '  ' + e.name));
        if (e.attributes.length) d.appendChild(kvTable(e.attributes));
      });
    }
    return d;
  }

  function loadTrace(id) {
    return api('traces/' + encodeURIComponent(id)).then(function (t) {
      $('trace-title').textContent = t.name;
      $('trace-meta').textContent = 'trace ' + t.trace_id + ' · ' + fmtMs(t.duration_ms) + ' · ' +
        t.spans.length + ' spans · ' + t.errors + ' errors' + (t.dropped_spans ? ' · ' + t.dropped_spans + ' spans dropped' : '');
      var wf = $('waterfall');
      clear(wf);
      var total = Math.max(t.duration_ms, 1e-6);
      var head = el('div', { 'class': 'wf-head' });
      head.appendChild(el('div', { 'class': 'span-label' }, 'span'));
      var ticks = el('div', { 'class': 'wf-ticks span-track' });
      for (var k = 0; k <= 4; k++) {
        var s = el('span', null, k ? fmtMs(total * k / 4) : '0');
        s.style.left = (k * 25) + '%';
        if (k === 0) s.style.transform = 'none';
        if (k === 4) s.style.transform = 'translateX(-100%)';
        ticks.appendChild(s);
      }
      head.appendChild(ticks);
      head.appendChild(el('div', { 'class': 'span-dur' }, 'duration'));
      wf.appendChild(head);
      t.spans.forEach(function (sp) {
        var row = el('div', { 'class': 'span-row' + (sp.status === 'error' ? ' error' : ''), 'data-span-id': sp.span_id });
        var label = el('div', { 'class': 'span-label' });
        label.style.paddingLeft = (8 + sp.depth * 16) + 'px';
        label.appendChild(el('span', { 'class': 'span-name' }, sp.name));
        label.appendChild(el('span', { 'class': 'span-kind' }, sp.kind));
        var track = el('div', { 'class': 'span-track' });
        var bar = el('div', { 'class': 'span-bar', title: sp.name + ' ' + fmtMs(sp.duration_ms) });
        bar.style.left = (sp.offset_ms / total * 100).toFixed(3) + '%';
        bar.style.width = Math.max(0.2, sp.duration_ms / total * 100).toFixed(3) + '%';
        track.appendChild(bar);
        row.appendChild(label);
        row.appendChild(track);
        row.appendChild(el('div', { 'class': 'span-dur' }, fmtMs(sp.duration_ms)));
        var det = spanDetails(sp);
        row.addEventListener('click', function () { det.hidden = !det.hidden; });
        wf.appendChild(row);
        wf.appendChild(det);
      });
      fillLogs($('trace-logs').tBodies[0], t.logs, false);
      setStatus(null);
    }, function (err) {
      $('trace-title').textContent = 'trace ' + id;
      clear($('waterfall'));
      setStatus(err);
    });
  }

  // ---- routing --------------------------------------------------------------

  function route() {
    if (timer) { clearInterval(timer); timer = null; }
    var m = /^#\/trace\/([0-9a-f]{32})$/.exec(location.hash);
    $('dashboard').hidden = !!m;
    $('tracepage').hidden = !m;
    if (m) {
      loadTrace(m[1]);
      return;
    }
    refreshDashboard();
    timer = setInterval(refreshDashboard, REFRESH_MS);
  }

  document.addEventListener('DOMContentLoaded', function () {
    api('info').then(function (i) { $('token-badge').hidden = !i.token_required; }, setStatus);
    ['f-name', 'f-status', 'f-min', 'f-sort'].forEach(function (id) {
      $(id).addEventListener('input', function () { loadTraces().catch(setStatus); });
    });
    $('filters').addEventListener('submit', function (e) { e.preventDefault(); });
    $('cell-clear').addEventListener('click', function () { setCell(null); });
    $('window').addEventListener('change', function () { refreshDashboard(); });
    $('f-service').addEventListener('change', function () { service = this.value; refreshDashboard(); });
    window.addEventListener('hashchange', route);
    route();
  });
})();
