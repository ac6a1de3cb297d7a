package logcorr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestTextHandlerSpecLayoutInsideSpan(t *testing.T) {
	tracer, _ := newTracer(t)
	ctx, span := tracer.Start(context.Background(), "GET /logs/kafka")
	defer span.End()

	var buf bytes.Buffer
	logger := slog.New(NewTextHandler(&buf, &TextOptions{Format: MustParseFormat(DefaultFormat), ServiceName: "hyunwoo"}))
	before := time.Now()
	line := here() + 1
	logger.InfoContext(ctx, "user logged in", "user", "alice", "attempt", 2)
	after := time.Now()

	re := regexp.MustCompile(`^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) `)
	m := re.FindStringSubmatch(buf.String())
	if m == nil {
		t.Fatalf("line %q does not start with a Python asctime", buf.String())
	}
	ts, err := time.ParseInLocation("2006-01-02 15:04:05,000", m[1], time.Local)
	if err != nil {
		t.Fatal(err)
	}
	if ts.Before(before.Truncate(time.Millisecond)) || ts.After(after) {
		t.Errorf("asctime %s is not local time between %s and %s", m[1], before, after)
	}
	sc := span.SpanContext()
	want := fmt.Sprintf("INFO [hyunwoo] [text_test.go:%d] [trace_id=%s span_id=%s] - user logged in user=alice attempt=2\n",
		line, sc.TraceID(), sc.SpanID())
	if got := buf.String()[len(m[0]):]; got != want {
		t.Errorf("line after the time:\n got %q\nwant %q", got, want)
	}
}

func TestTextHandlerOutsideSpan(t *testing.T) {
	var buf bytes.Buffer
	logger := slog.New(NewTextHandler(&buf, &TextOptions{ServiceName: "hyunwoo", TimeFunc: fixedTime, TimeLocation: time.UTC}))
	line := here() + 1
	logger.Warn("no span")
	want := fmt.Sprintf("2025-09-01 01:36:32,123 WARNING [hyunwoo] [text_test.go:%d] [trace_id=0 span_id=0] - no span\n", line)
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}
}

func TestTextHandlerLevels(t *testing.T) {
	var buf bytes.Buffer
	f := MustParseFormat("%(levelname)s %(levelno)d %(message)s")
	logger := slog.New(NewTextHandler(&buf, &TextOptions{Format: f, Level: slog.LevelDebug}))
	logger.Debug("d")
	logger.Info("i")
	logger.Warn("w")
	logger.Error("e")
	logger.Log(context.Background(), LevelCritical, "c")
	want := "DEBUG 10 d\nINFO 20 i\nWARNING 30 w\nERROR 40 e\nCRITICAL 50 c\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}

	buf.Reset()
	logger = slog.New(NewTextHandler(&buf, &TextOptions{Format: f}))
	logger.Debug("dropped")
	if buf.Len() != 0 {
		t.Errorf("debug record written at the default level: %q", buf.String())
	}
}

func TestTextHandlerLoggerName(t *testing.T) {
	var buf bytes.Buffer
	f := MustParseFormat("[%(name)s] %(otelServiceName)s %(message)s")
	base := slog.New(NewTextHandler(&buf, &TextOptions{Format: f, ServiceName: "hyunwoo"}))
	base.Info("a")
	base.With(LoggerKey, "db").Info("b", "k", 1)
	base.Info("c", LoggerKey, "cache")
	base.WithGroup("g").Info("d", LoggerKey, "inside-group")
	slog.New(NewTextHandler(&buf, &TextOptions{Format: f})).Info("e")
	want := "[hyunwoo] hyunwoo a\n" +
		"[db] hyunwoo b k=1\n" +
		"[cache] hyunwoo c\n" +
		"[hyunwoo] hyunwoo d g.logger=inside-group\n" +
		"[root]  e\n"
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

// The attributes after the message read exactly as slog.TextHandler writes
// them, groups and quoting included.
func TestTextHandlerAttrsMatchSlog(t *testing.T) {
	var ours, std bytes.Buffer
	stdH := slog.NewTextHandler(&std, &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
		if len(groups) == 0 && (a.Key == slog.TimeKey || a.Key == slog.LevelKey || a.Key == slog.MessageKey) {
			return slog.Attr{}
		}
		return a
	}})
	ourH := NewTextHandler(&ours, &TextOptions{Format: MustParseFormat("%(message)s")})
	when := time.Date(2025, 9, 1, 1, 36, 32, 123456789, time.UTC)
	log := func(h slog.Handler) {
		l := slog.New(h).With("svc", "a b").WithGroup("req").With("id", 7)
		l.Info("", "s", "plain", "sp", "two words", "eq", "a=b", "q", `say "hi"`, "empty", "",
			"err", errors.New("boom"), "d", 1500*time.Millisecond, "t", when, "b", []byte("hi"),
			"f", 1.5, "u", uint64(9), "ok", true, "nl", "x\ny", "uni", "héllo",
			slog.Group("inner", "x", 1, slog.Group("deep", "y", 2)), slog.Group("none"),
			slog.Group("", "inline", 3), slog.Attr{}, "k=ey", 1)
		slog.New(h).WithGroup("empty").Info("")
	}
	log(stdH)
	log(ourH)
	if ours.String() != std.String() {
		t.Errorf("attributes differ from slog.TextHandler:\n ours %q\nslog  %q", ours.String(), std.String())
	}
}

func TestTextHandlerPlaceholders(t *testing.T) {
	var buf bytes.Buffer
	f := MustParseFormat("%(asctime)s.%(msecs)03d|%(levelname)-8s|%(levelno)d|%(name)s|%(module)s|%(funcName)s|%(otelTraceSampled)s|%(otelServiceName)s|%(message)r|%(lineno)5d|100%%")
	h := NewTextHandler(&buf, &TextOptions{Format: f, ServiceName: "hyunwoo", TimeFunc: fixedTime, TimeLocation: time.UTC, TimeLayout: "2006-01-02 15:04:05"})
	line := here() + 1
	slog.New(h).InfoContext(spanContext(), "hi")
	want := fmt.Sprintf("2025-09-01 01:36:32.123|INFO    |20|hyunwoo|text_test|TestTextHandlerPlaceholders|True|hyunwoo|'hi'|%5d|100%%\n", line)
	if buf.String() != want {
		t.Errorf("got  %q\nwant %q", buf.String(), want)
	}

	buf.Reset()
	f = MustParseFormat("%(created)f %(process)d %(pathname)s %(otelTraceID)s %(otelSpanID)s %(otelTraceSampled)s")
	slog.New(NewTextHandler(&buf, &TextOptions{Format: f, TimeFunc: fixedTime})).Info("x")
	fields := strings.Fields(buf.String())
	if len(fields) != 6 || fields[0] != "1756690592.123457" || !strings.HasSuffix(fields[2], "/logcorr/text_test.go") ||
		fields[3] != "0" || fields[4] != "0" || fields[5] != "False" {
		t.Errorf("got %q", buf.String())
	}
}

func TestTextHandlerOneWritePerRecordConcurrently(t *testing.T) {
	w := &countingWriter{}
	logger := slog.New(NewTextHandler(w, &TextOptions{ServiceName: "hyunwoo"}))
	ctx := spanContext()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			l := logger.With("g", g)
			for i := range 100 {
				l.InfoContext(ctx, "msg", "i", i)
			}
		})
	}
	wg.Wait()
	if w.writes != 800 {
		t.Errorf("%d writes for 800 records", w.writes)
	}
	for _, line := range w.lines {
		if strings.Count(line, "\n") != 1 || !strings.Contains(line, "trace_id=4bf92f3577b34da6a3ce929d0e0e4736 span_id=00f067aa0ba902b7] - msg g=") {
			t.Fatalf("bad line %q", line)
		}
	}
}

type countingWriter struct {
	writes int
	lines  []string
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	w.lines = append(w.lines, string(p))
	return len(p), nil
}

func TestTextHandlerWriteError(t *testing.T) {
	h := NewTextHandler(failWriter{}, nil)
	r := slog.NewRecord(time.Now(), slog.LevelInfo, "m", 0)
	if err := h.Handle(context.Background(), r); !errors.Is(err, errWrite) {
		t.Errorf("Handle error = %v, want %v", err, errWrite)
	}
}

var errWrite = errors.New("disk full")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }
