package errtype

// WithText returns err with the text msg, for an error whose own text may
// echo what must not leave the process (a bound SQL argument, a Redis
// password): err itself when msg is already its text (or err is nil),
// otherwise an error whose Error is msg and whose Unwrap is err, so that
// errors.Is and errors.As still reach the original. sqlx and redisx hand
// their hooks errors through it.
func WithText(err error, msg string) error {
	if err == nil || msg == err.Error() {
		return err
	}
	return &textError{msg: msg, err: err}
}

// textError is an error whose text is replaced, over the original.
type textError struct {
	msg string
	err error
}

func (e *textError) Error() string { return e.msg }
func (e *textError) Unwrap() error { return e.err }
