package logcorr

import "log/slog"

// Fanout returns a handler that sends each record to every handler in hs
// that is enabled for its level, for instance the console and OTLP at once:
//
//	slog.SetDefault(slog.New(logcorr.Fanout(text, logcorr.NewOTLPHandler("hyunwoo"))))
//
// Each handler gets its own clone of the record. Nil handlers are dropped;
// with a single handler left it is returned as is, and with none the result
// discards everything. Errors of the handlers are joined. Fanout is
// slog.NewMultiHandler with those conveniences.
func Fanout(hs ...slog.Handler) slog.Handler {
	var kept []slog.Handler
	for _, h := range hs {
		if h != nil {
			kept = append(kept, h)
		}
	}
	switch len(kept) {
	case 0:
		return slog.DiscardHandler
	case 1:
		return kept[0]
	}
	return slog.NewMultiHandler(kept...)
}
