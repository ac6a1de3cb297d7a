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
// Ending a span costs the caller one append to a short-locked buffer and no
// allocation. Spans are aggregated in batches of 512, by a short-lived
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
//	GET /api/traces/{id}               waterfall and log records of a trace
//	GET /api/logs?trace_id=&limit=     recent log records
//	GET /api/info                      service, bounds, token requirement
//	GET /api/services                  the services seen, most spans first
//
// Each of rates, heatmap, spans, traces and logs takes service=<name> to
// show one service only. [View.StartOTLP] feeds the view from other
// processes (OTLP/HTTP and OTLP/gRPC on one port), so one view can show
// several services; it tells at most eight apart, counting further ones
// together as "(other)", each at the cost of a per-second series (about
// 130 KB) and a share of the span-name table.
//
// When [Config.Token] is set, every page and API request needs it, as
// "Authorization: Bearer <token>" or "?token=<token>" (the page carries it
// on to its API calls); others get 401. [View.Start] refuses a non-loopback
// address without a token.
package liveview
