package app

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"go.opentelemetry.io/otel/trace"
)

// The names the spec gives the API log's two copies.
const (
	RedisLogKey = "api_logs"
	KafkaTopic  = "api-logs-hyunwoo"
)

// LogEntry is the API log line written for every request. It never holds a
// body, a query string, a header or a credential.
type LogEntry struct {
	Time       time.Time `json:"time"`
	Method     string    `json:"method"`
	Route      string    `json:"route"`
	Status     int       `json:"status"`
	DurationMS float64   `json:"duration_ms"`
	TraceID    string    `json:"trace_id,omitempty"`
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// handle registers h for pattern ("METHOD /path") under an endpoint name,
// with the API log around it.
func (a *App) handle(mux *http.ServeMux, pattern, endpoint string, h http.HandlerFunc) {
	a.endpoints[pattern] = endpoint
	method, route, _ := strings.Cut(pattern, " ")
	mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		h(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		a.appendLog(r.Context(), LogEntry{
			Time:       start.UTC(),
			Method:     method,
			Route:      route,
			Status:     rec.status,
			DurationMS: float64(time.Since(start).Microseconds()) / 1000,
			TraceID:    traceID(r.Context()),
		})
	}))
}

func traceID(ctx context.Context) string {
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		return sc.TraceID().String()
	}
	return ""
}

// appendLog pushes the entry onto the capped Redis list and produces it to
// the Kafka topic. Failures are logged, never shown to the client: the
// response is already written.
func (a *App) appendLog(ctx context.Context, e LogEntry) {
	b, err := json.Marshal(e)
	if err != nil {
		return
	}
	logCap := a.cfg.APILogCap
	if logCap == 0 {
		logCap = 1000
	}
	// The request may be cancelled once the response is out; the log write
	// still belongs to it (same trace) but must not be cut short.
	ctx = context.WithoutCancel(ctx)
	pipe := a.rdb.TxPipeline()
	pipe.LPush(ctx, RedisLogKey, b)
	pipe.LTrim(ctx, RedisLogKey, 0, int64(logCap-1))
	if _, err := pipe.Exec(ctx); err != nil {
		slog.WarnContext(ctx, "api log: redis append failed", "error", err)
	}
	a.kafka.Produce(ctx, &kgo.Record{Topic: KafkaTopic, Value: b}, func(_ *kgo.Record, err error) {
		if err != nil {
			slog.WarnContext(ctx, "api log: kafka produce failed", "error", err)
		}
	})
}
