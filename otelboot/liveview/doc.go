// Package liveview holds the recent telemetry of this process in bounded
// memory and serves it as a local dashboard: the three panels of the spec
// (span rate as bars, errors per second as a line, duration as a heatmap
// whose axis reads 262 µs, 1.05 ms, 16.8 ms, 67.1 ms and 268 ms), a table
// per span name, a filterable trace list and a waterfall per trace with its
// attributes, events and log lines.
//
// A [View] is fed by the span processor and the log processor it returns,
// registered beside the exporters (otelboot does this when
// OTELKIT_VIEW_ADDR is set), so it shows what the process produced whatever
// the exporters do. It keeps the last traces within [Config.MaxTraces] and
// [Config.MaxBytes], evicting the oldest first and keeping traces with
// errors or slow spans longer; per-second span and error counts and a
// per-second duration histogram for the last 15 minutes; a duration
// histogram and recent percentiles per span name; and the recent log
// records with their trace ids.
//
// Ending a span costs the caller the encoding of what the view shows of it
// into a compact, pointer-free record, appended to a short-locked buffer,
// and no allocation; the view keeps no reference to the SDK's span, so the
// traces it keeps cost the garbage collector little. Spans are aggregated in batches of 512, by a short-lived
// background goroutine when a buffer fills or by the next read of the view;
// a span is never dropped, and when aggregation falls far behind, the span
// that fills a buffer aggregates the queue itself so memory stays bounded.
//
// [View.Handler] serves one page, with its script and styles embedded (no
// network beyond the process), and a read-only JSON API that the page
// itself uses:
//
//	GET /api/rates?window=300&step=5   spans and errors per column
//	GET /api/heatmap?window=300&step=5 spans per column and duration bucket
//	GET /api/spans                     count, errors, p50/p95/p99 per name
//	GET /api/traces?name=&status=error&min_ms=&sort=duration&limit=
//	    &from=&to=&min_ns=&max_ns=     the traces of a heatmap cell or bar
//	GET /api/traces/{id}               waterfall and log records of a trace
//	GET /api/logs?trace_id=&limit=     recent log records
//	GET /api/info                      service, bounds, token requirement
//	GET /api/services                  the services seen, most spans first
//	GET /api/findings                  the dashboard read (below)
//
// Each of rates, heatmap, spans, traces, logs and findings takes
// service=<name> to show one service only. [View.StartOTLP] feeds the view from other
// processes (OTLP/HTTP and OTLP/gRPC on one port), so one view can show
// several services; it tells at most eight apart, counting further ones
// together as "(other)", each at the cost of a per-second series (about
// 130 KB) and a share of the span-name table. Findings are read per
// service (a trace belongs to its local root's service), so two services'
// routes of the same name never mix; without service= they cover all
// services.
//
// Findings read the dashboard the way section 8 of the spec does, shown at
// the top of the page and in /api/findings as {"findings":[{"kind",
// "service", "route", "child", "summary", "numbers", "traces", "first_seen",
// "last_seen"}]}: a bottleneck (the child span name, or the route's own
// code, holding at least half of the time of a route's traces at or above
// its p95), a failing call (the error span at the end of a chain of errors,
// by name and error.type, in bursts of at least three), a spike (a route's
// span or error rate over the last 5 to 10 s at least three times its
// baseline of up to five minutes before; never without 30 s of baseline,
// so never at start-up), a latency band (the spec's band holding each
// route's p50, and a move to another band against the route's own
// baseline) and an N+1 (one parent running the same statement shape, or
// Redis command, at least five times in sequence). They are computed on
// demand from what the view keeps, at most once a second; with
// [Config.LogFindings] each new one is also logged once at WARN. A
// finding's route is the name of its trace's local root; a trace whose
// root has not ended yet (a request still running) is not read.
//
// When [Config.Token] is set, every page and API request needs it, as
// "Authorization: Bearer <token>" or "?token=<token>" (the page carries it
// on to its API calls); others get 401. [View.Start] refuses a non-loopback
// address without a token.
package liveview
