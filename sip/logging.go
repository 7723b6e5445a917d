package sip

import (
	"context"
	"log/slog"
	"strings"
)

// sipgo logs whole messages it cannot parse ("data") at ERROR, Authorization
// headers and all. Its transport and transaction layers, server and client log
// through redacting(log) instead: no message text reaches our logs.

// maxLoggedValue bounds any string value sipgo logs (an error quoting a line).
const maxLoggedValue = 120

// redactedKeys are sipgo attributes that carry raw message text.
var redactedKeys = map[string]bool{"data": true, "body": true, "msg_raw": true, "message": true, "raw": true}

// redacting wraps log's handler so sipgo's records lose message bodies and
// headers; it is only for sipgo, our own lines already log chosen fields.
func redacting(log *slog.Logger) *slog.Logger {
	return slog.New(redactHandler{log.Handler()})
}

type redactHandler struct{ h slog.Handler }

func (r redactHandler) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redactHandler) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redactString(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		if a, ok := redactAttr(a); ok {
			out.AddAttrs(a)
		}
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redactHandler) WithAttrs(as []slog.Attr) slog.Handler {
	kept := make([]slog.Attr, 0, len(as))
	for _, a := range as {
		if a, ok := redactAttr(a); ok {
			kept = append(kept, a)
		}
	}
	return redactHandler{r.h.WithAttrs(kept)}
}

func (r redactHandler) WithGroup(name string) slog.Handler { return redactHandler{r.h.WithGroup(name)} }

// redactAttr drops raw-message attributes and shortens or hides any other
// value that could hold message text (errors quoting a header line included).
func redactAttr(a slog.Attr) (slog.Attr, bool) {
	if redactedKeys[strings.ToLower(a.Key)] {
		return slog.Attr{}, false
	}
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindGroup:
		var kept []any
		for _, g := range v.Group() {
			if g, ok := redactAttr(g); ok {
				kept = append(kept, g)
			}
		}
		return slog.Group(a.Key, kept...), true
	case slog.KindString, slog.KindAny:
		var s string
		if err, ok := v.Any().(error); ok && v.Kind() == slog.KindAny {
			s = err.Error()
		} else {
			s = v.String()
		}
		return slog.String(a.Key, redactString(s)), true
	}
	return a, true
}

// redactString keeps a short first line, unless it looks like credentials.
func redactString(s string) string {
	l := strings.ToLower(s)
	if strings.Contains(l, "authorization") || strings.Contains(l, "digest") || strings.Contains(l, "response=") {
		return "[redacted]"
	}
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		s = s[:i] + " …"
	}
	if len(s) > maxLoggedValue {
		s = s[:maxLoggedValue] + " …"
	}
	return s
}
