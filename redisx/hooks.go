package redisx

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"
)

// Command is what a hook learns of the command or pipeline of a span. It
// holds the command as the span records it, never the raw arguments:
// credentials (the password of AUTH, HELLO ... AUTH, CONFIG SET
// requirepass, ACL SETUSER rules...) are always masked, values too with
// WithValueMasking, and long arguments and commands are cut as
// WithMaxArgLen and WithMaxCommandLen say.
type Command struct {
	// Name is the command's name in upper case ("GET", "CLIENT"); for a
	// pipeline, the distinct names in order ("MULTI INCR EXPIRE EXEC"),
	// as db.operation shows them.
	Name string
	// Text is the command as db.statement (db.query.text) records it
	// ("SET session:42 ?" with WithValueMasking); for a pipeline, its
	// commands one per line.
	Text string
	// Pipeline is the number of commands sent in the pipeline or
	// transaction (MULTI and EXEC included), 0 for a single command.
	Pipeline int
}

// StartHook is called with a command or a pipeline just before the start
// of its span, with the caller's context. The attributes it returns are
// given to the tracer at the start (trace.WithAttributes), so the sampler
// sees them in its parameters, and they are on the span. It runs on the
// goroutine that sends the command, before it is sent, for every span
// (sampled or not; not for a command WithCommandFilter skips), the
// set-up commands go-redis sends on a new connection (HELLO, AUTH,
// CLIENT SETINFO...) included. A pipeline makes one call, as it makes one
// span.
type StartHook func(ctx context.Context, cmd Command) []attribute.KeyValue

// EndHook is called with a recorded command or pipeline span just before
// it ends, after redisx has set its attributes and, on failure, its status
// and exception event: span can take more attributes or events. err is
// the command's error as go-redis returns it (redis.Nil for a missing
// key, which the span does not count as a failure), nil on success; for a
// pipeline, the first failed command's error, else the pipeline's. Its
// text (Error) is the one the span records, with the arguments the
// command text masks scrubbed out (servers echo the arguments of commands
// they reject); errors.Is and errors.As reach go-redis's error beneath.
// It must not end the span.
type EndHook func(span trace.Span, cmd Command, err error)

// WithStartHook sets the hook called before the start of every command and
// pipeline span (see StartHook), Python's redis request_hook but run
// before the start, so that the attributes it returns reach the sampler.
// The last of several of these options wins; nil removes it.
func WithStartHook(hook StartHook) Option {
	return optionFunc(func(c *config) { c.startHook = hook })
}

// WithEndHook sets the hook called with every recorded command and
// pipeline span just before it ends (see EndHook), Python's redis
// response_hook. The last of several of these options wins; nil removes
// it.
func WithEndHook(hook EndHook) Option {
	return optionFunc(func(c *config) { c.endHook = hook })
}
