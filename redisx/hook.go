package redisx

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/redis/go-redis/v9"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/otelkit/otelkit/internal/boundcache"
	"github.com/otelkit/otelkit/internal/errtype"
	"github.com/otelkit/otelkit/internal/exception"
	"github.com/otelkit/otelkit/internal/redact"
	"github.com/otelkit/otelkit/internal/semconv"
)

const (
	commandSpanName  = "redis.command"
	pipelineSpanName = "redis.pipeline"
	dialSpanName     = "redis.dial"

	// maxPipelineNames bounds the distinct command names listed on a
	// pipeline span.
	maxPipelineNames = 10
)

// hook is the go-redis hook of one node client.
type hook struct {
	tracer trace.Tracer
	mode   semconv.Mode
	redact redact.RedisOptions
	filter func(redis.Cmder) bool
	dial   bool
	caller bool
	names  *nameCache
	bufs   *bufPool
	addr   string

	// spanOpts start every command and pipeline span: kind client and the
	// attributes that are the same for all of them.
	spanOpts []trace.SpanStartOption
	// static holds the same attributes, for dial spans to another address.
	static []attribute.KeyValue
	extra  []attribute.KeyValue
	db     int
	tls    bool

	startHook StartHook
	endHook   EndHook
	// exc records the exceptions of the spans (WithExceptionSignal).
	exc exception.Recorder
}

var _ redis.Hook = (*hook)(nil)

func newHook(in *instrumenter, opt *redis.Options) *hook {
	h := &hook{
		tracer: in.tracer,
		mode:   in.conf.mode,
		redact: in.conf.redact,
		filter: in.conf.filter,
		dial:   in.conf.dial,
		caller: in.conf.caller,
		names:  in.names,
		bufs:   in.bufs,
		addr:   opt.Addr,
		extra:  in.conf.attrs,
		db:     opt.DB,
		tls:    opt.TLSConfig != nil,

		startHook: in.conf.startHook,
		endHook:   in.conf.endHook,
		exc:       redisException.WithSignal(in.conf.excSignal),
	}
	h.static = h.connAttrs(opt.Network, opt.Addr)
	h.spanOpts = []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(h.static...),
	}
	return h
}

// connAttrs returns the attributes that describe the connection to addr.
// Nothing names a password: the connection string is built from the
// address, never from a URL the user gave.
func (h *hook) connAttrs(network, addr string) []attribute.KeyValue {
	attrs := make([]attribute.KeyValue, 0, 9+len(h.extra))
	host, port, err := net.SplitHostPort(addr)
	hostPort := err == nil
	if semconv.EmitOld(h.mode) {
		attrs = append(attrs, semconv.DBSystemKey.String(semconv.DBSystemRedis))
		if cs := connString(network, addr, h.db, h.tls, hostPort); cs != "" {
			attrs = append(attrs, semconv.DBConnectionStringKey.String(cs))
		}
		attrs = append(attrs, semconv.DBRedisDatabaseIndexKey.Int(h.db))
	}
	if semconv.EmitStable(h.mode) {
		attrs = append(attrs,
			semconv.DBSystemNameKey.String(semconv.DBSystemRedis),
			semconv.DBNamespaceKey.String(strconv.Itoa(h.db)),
		)
	}
	// redisotel always sets server.address and server.port; they stay in
	// every mode.
	if hostPort {
		attrs = append(attrs, semconv.ServerAddressKey.String(host))
		if p, err := strconv.Atoi(port); err == nil {
			attrs = append(attrs, semconv.ServerPortKey.Int(p))
		}
	}
	return append(attrs, h.extra...)
}

// connString returns redis://host:port/db (rediss:// with TLS) for a TCP
// address and unix:///path?db=N for a socket, the forms redis.ParseURL
// reads, or "" when the address is not a real one (a failover client's).
func connString(network, addr string, db int, tls, hostPort bool) string {
	if network == "unix" {
		return "unix://" + addr + "?db=" + strconv.Itoa(db)
	}
	if !hostPort {
		return ""
	}
	scheme := "redis://"
	if tls {
		scheme = "rediss://"
	}
	return scheme + addr + "/" + strconv.Itoa(db)
}

// DialHook starts a redis.dial span around each new connection.
func (h *hook) DialHook(next redis.DialHook) redis.DialHook {
	if !h.dial {
		return next
	}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		opts := h.spanOpts
		if addr != h.addr {
			// A failover client dials the master the sentinels name.
			opts = []trace.SpanStartOption{trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(h.connAttrs(network, addr)...)}
		}
		ctx, span := h.tracer.Start(ctx, dialSpanName, opts...)
		defer span.End()
		conn, err := next(ctx, network, addr)
		if err != nil && span.IsRecording() {
			h.recordError(span, err, false)
		}
		return conn, err
	}
}

// ProcessHook starts a span around each command.
func (h *hook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if h.filter != nil && h.filter(cmd) {
			return next(ctx, cmd)
		}
		setup := isSetup(ctx)
		args := cmd.Args()
		name, op := commandSpanName, ""
		if semconv.StableNames(h.mode) {
			op = h.names.get(args)
			name = semconv.DBSpanName(h.mode, commandSpanName, semconv.DBSystemRedis, op, "")
		}
		opts := h.spanOpts
		var hc Command
		if h.startHook != nil {
			if op == "" {
				op = h.names.get(args)
			}
			hc = Command{Name: op, Text: h.commandText(args)}
			opts = h.withHookAttrs(ctx, hc)
		}
		ctx, span := h.tracer.Start(ctx, name, opts...)
		defer span.End()
		if !span.IsRecording() {
			return next(ctx, cmd)
		}
		if op == "" {
			op = h.names.get(args)
		}
		text := hc.Text
		if h.startHook == nil {
			text = h.commandText(args)
		}
		h.setOperation(span, op, text)
		if h.caller {
			h.setCaller(span)
		}

		err := next(withOwnSpan(ctx, span), cmd)
		if err != nil && !errors.Is(err, redis.Nil) {
			h.recordError(span, err, setup, args)
		}
		if h.endHook != nil {
			h.endHook(span, Command{Name: op, Text: text}, errtype.WithText(err, h.scrubText(err, args)))
		}
		return err
	}
}

// withHookAttrs calls the start hook with hc and returns the span start
// options with the attributes it gave.
func (h *hook) withHookAttrs(ctx context.Context, hc Command) []trace.SpanStartOption {
	attrs := h.startHook(ctx, hc)
	if len(attrs) == 0 {
		return h.spanOpts
	}
	return append(h.spanOpts[:len(h.spanOpts):len(h.spanOpts)], trace.WithAttributes(attrs...))
}

// commandText is the command as db.statement records it.
func (h *hook) commandText(args []any) string {
	bp := h.bufs.get()
	b := redact.AppendRedisCommand(*bp, args, h.redact)
	text := string(b)
	*bp = b
	h.bufs.put(bp)
	return text
}

// pipelineText is the text of a pipeline, one command a line.
func (h *hook) pipelineText(cmds []redis.Cmder) string {
	bp := h.bufs.get()
	b := *bp
	for i, cmd := range cmds {
		if i > 0 {
			b = append(b, '\n')
		}
		if h.redact.MaxLen > 0 && len(b) > h.redact.MaxLen {
			b = append(b, redact.RedisTruncated...)
			break
		}
		b = redact.AppendRedisCommand(b, cmd.Args(), h.redact)
	}
	text := string(b)
	*bp = b
	h.bufs.put(bp)
	return text
}

// scrubText is the text of err as the span records it: scrubbed of the
// arguments the command text masks; "" for no error.
func (h *hook) scrubText(err error, args ...[]any) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	for _, a := range args {
		msg = redact.ScrubRedisError(msg, a, h.redact)
	}
	return msg
}

// ProcessPipelineHook starts one span around a pipeline or a transaction
// (MULTI ... EXEC), whatever the number of commands.
func (h *hook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if h.filter != nil {
			for _, cmd := range cmds {
				if h.filter(cmd) {
					return next(ctx, cmds)
				}
			}
		}
		setup := isSetup(ctx)
		var stableOp string
		name := pipelineSpanName
		if semconv.StableNames(h.mode) {
			stableOp = h.batchOperation(cmds)
			name = semconv.DBSpanName(h.mode, pipelineSpanName, semconv.DBSystemRedis, stableOp, "")
		}
		opts := h.spanOpts
		var hc Command
		if h.startHook != nil {
			hc = Command{Name: h.pipelineNames(cmds), Text: h.pipelineText(cmds), Pipeline: len(cmds)}
			opts = h.withHookAttrs(ctx, hc)
		}
		ctx, span := h.tracer.Start(ctx, name, opts...)
		defer span.End()
		if !span.IsRecording() {
			return next(ctx, cmds)
		}
		if h.startHook == nil {
			hc = Command{Text: h.pipelineText(cmds), Pipeline: len(cmds)}
			if semconv.EmitOld(h.mode) || h.endHook != nil {
				hc.Name = h.pipelineNames(cmds)
			}
		}
		text := hc.Text

		attrs := make([]attribute.KeyValue, 0, 6)
		if semconv.EmitOld(h.mode) {
			attrs = append(attrs,
				semconv.DBOperationKey.String(hc.Name),
				semconv.DBRedisCommandKey.String(text),
				semconv.DBRedisNumCmdKey.Int(len(cmds)),
			)
		}
		if semconv.EmitStable(h.mode) {
			if stableOp == "" {
				stableOp = h.batchOperation(cmds)
			}
			attrs = append(attrs,
				semconv.DBOperationNameKey.String(stableOp),
				semconv.DBQueryTextKey.String(text),
			)
			if n := batchSize(cmds); n >= 2 {
				attrs = append(attrs, semconv.DBOperationBatchSizeKey.Int(n))
			}
		}
		span.SetAttributes(attrs...)
		if h.caller {
			h.setCaller(span)
		}

		err := next(withOwnSpan(ctx, span), cmds)
		if err != nil && errors.Is(err, redis.Nil) {
			if h.endHook != nil {
				h.endHook(span, hc, err)
			}
			return err
		}
		// Exec reports the first failed command; the hook sees only
		// transport errors.
		failed := err
		var args [][]any
		for _, cmd := range cmds {
			if e := cmd.Err(); e != nil && !errors.Is(e, redis.Nil) {
				if failed == nil || e == failed {
					failed, args = e, [][]any{cmd.Args()}
					break
				}
			}
		}
		if failed != nil {
			if args == nil {
				for _, cmd := range cmds {
					args = append(args, cmd.Args())
				}
			}
			h.recordError(span, failed, setup, args...)
		}
		if h.endHook != nil {
			h.endHook(span, hc, errtype.WithText(failed, h.scrubText(failed, args...)))
		}
		return err
	}
}

func (h *hook) setOperation(span trace.Span, op, text string) {
	switch h.mode {
	case semconv.Old:
		span.SetAttributes(
			semconv.DBOperationKey.String(op),
			semconv.DBRedisCommandKey.String(text),
		)
	case semconv.Stable:
		span.SetAttributes(
			semconv.DBOperationNameKey.String(op),
			semconv.DBQueryTextKey.String(text),
		)
	default:
		span.SetAttributes(
			semconv.DBOperationKey.String(op),
			semconv.DBRedisCommandKey.String(text),
			semconv.DBOperationNameKey.String(op),
			semconv.DBQueryTextKey.String(text),
		)
	}
}

// setCaller adds the first function on the stack outside go-redis and
// redisx.
func (h *hook) setCaller(span trace.Span) {
	var pcs [32]uintptr
	n := runtime.Callers(3, pcs[:])
	frames := runtime.CallersFrames(pcs[:n])
	for {
		f, more := frames.Next()
		if !strings.HasPrefix(f.Function, "github.com/redis/go-redis/") &&
			!strings.HasPrefix(f.Function, "github.com/otelkit/otelkit/redisx.") {
			fn := f.Function
			if i := strings.LastIndexByte(fn, '/'); i >= 0 {
				fn = fn[i+1:]
			}
			if semconv.EmitOld(h.mode) {
				span.SetAttributes(
					attribute.String("code.function", fn),
					attribute.String("code.filepath", f.File),
					attribute.Int("code.lineno", f.Line),
				)
			}
			if semconv.EmitStable(h.mode) {
				span.SetAttributes(
					attribute.String("code.function.name", f.Function),
					attribute.String("code.file.path", f.File),
					attribute.Int("code.line.number", f.Line),
				)
			}
			return
		}
		if !more {
			return
		}
	}
}

// isTx reports whether cmds is a transaction as go-redis sends it, wrapped
// in MULTI and EXEC.
func isTx(cmds []redis.Cmder) bool {
	return len(cmds) >= 2 && strings.EqualFold(cmds[0].Name(), "multi") &&
		strings.EqualFold(cmds[len(cmds)-1].Name(), "exec")
}

// batchSize is the number of operations the user queued.
func batchSize(cmds []redis.Cmder) int {
	if isTx(cmds) {
		return len(cmds) - 2
	}
	return len(cmds)
}

// batchOperation is the stable db.operation.name of a pipeline: the command
// name for a pipeline of one command, "BATCH <name>" when all commands have
// the same name, else PIPELINE, and MULTI for a transaction.
func (h *hook) batchOperation(cmds []redis.Cmder) string {
	if isTx(cmds) {
		return "MULTI"
	}
	if len(cmds) == 0 {
		return "PIPELINE"
	}
	first := h.names.get(cmds[0].Args())
	for _, cmd := range cmds[1:] {
		if h.names.get(cmd.Args()) != first {
			return "PIPELINE"
		}
	}
	if len(cmds) == 1 {
		return first
	}
	return "BATCH " + first
}

// pipelineNames lists the distinct command names of cmds in order, at most
// maxPipelineNames of them ("MULTI INCR EXPIRE EXEC").
func (h *hook) pipelineNames(cmds []redis.Cmder) string {
	var seen [maxPipelineNames]string
	n := 0
	var b strings.Builder
outer:
	for _, cmd := range cmds {
		name := h.names.get(cmd.Args())
		for _, s := range seen[:n] {
			if s == name {
				continue outer
			}
		}
		if n == maxPipelineNames {
			b.WriteString(" ...")
			break
		}
		seen[n] = name
		n++
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(name)
	}
	return b.String()
}

// recordError marks span as failed with an exception event. The message is
// scrubbed of the arguments the command text masks (servers echo the
// arguments of commands they reject). The stable conventions add error.type
// and, for a Redis error reply, its prefix as db.response.status_code.
//
// A command go-redis runs to set up a connection (HELLO, CLIENT SETINFO,
// SELECT... as a child of the command that needed the connection) gets the
// exception event only: go-redis ignores the failures it can tolerate (an
// older server without CLIENT SETINFO) and reports the others on that
// command, whose span then has status Error.
func (h *hook) recordError(span trace.Span, err error, setup bool, args ...[]any) {
	msg := err.Error()
	for _, a := range args {
		msg = redact.ScrubRedisError(msg, a, h.redact)
	}
	h.exc.Error(context.Background(), span, err, msg)
	if setup {
		return
	}
	span.SetStatus(codes.Error, msg)
	if !semconv.EmitStable(h.mode) {
		return
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		prefix, _, _ := strings.Cut(rerr.Error(), " ")
		span.SetAttributes(
			semconv.ErrorTypeKey.String(prefix),
			semconv.DBResponseStatusCodeKey.String(prefix),
		)
		return
	}
	span.SetAttributes(semconv.ErrorTypeKey.String(errorType(err)))
}

// ownSpanKey is the context key under which the hook stores the span it
// started, in the context it hands to go-redis.
type ownSpanKey struct{}

// withOwnSpan returns ctx marked as the context of the redisx span span.
// Only go-redis sees it: it runs the commands that set up a connection
// (HELLO, AUTH, CLIENT SETINFO, SELECT...) in it.
func withOwnSpan(ctx context.Context, span trace.Span) context.Context {
	return context.WithValue(ctx, ownSpanKey{}, span)
}

// isSetup reports whether the command about to run in ctx was issued by
// go-redis while a redisx span was current: the commands that set up the
// connection a command or a pipeline needed. It relies on the API only (a
// context value set by the hook and the span context), so it answers the
// same under any TracerProvider.
func isSetup(ctx context.Context) bool {
	own, ok := ctx.Value(ownSpanKey{}).(trace.Span)
	if !ok {
		return false
	}
	sc := own.SpanContext()
	return sc.IsValid() && sc.Equal(trace.SpanContextFromContext(ctx))
}

// errorType is the error.type of err, by the one rule of internal/errtype.
func errorType(err error) string { return errtype.Of(err) }

// nameCache maps a command name as go-redis holds it ("lrange") to its
// upper-case form ("LRANGE") without allocating once the name was seen.
type nameCache struct {
	m boundcache.Map[string, string]
}

// maxCachedNames bounds nameCache: Redis has about 250 commands, and a
// client sending arbitrary names (Do with user input) must not grow it.
const maxCachedNames = 512

func (c *nameCache) get(args []any) string {
	if len(args) == 0 {
		return ""
	}
	s, ok := args[0].(string)
	if !ok {
		return string(redact.AppendRedisName(nil, args))
	}
	if up, ok := c.m.Load(s); ok {
		return up
	}
	return c.m.Store(s, string(redact.AppendRedisName(make([]byte, 0, len(s)), args)), maxCachedNames)
}

// bufPool recycles the buffers the command text is built in.
type bufPool struct{ p sync.Pool }

func (p *bufPool) get() *[]byte {
	if b, ok := p.p.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, 0, 256)
	return &b
}

func (p *bufPool) put(b *[]byte) {
	if cap(*b) > 64<<10 {
		return
	}
	*b = (*b)[:0]
	p.p.Put(b)
}
