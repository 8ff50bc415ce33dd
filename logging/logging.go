// Package logging holds what every geopol log line shares: the request id carried in a
// context, so that lines written deep inside a request (the database's included) name
// the request they belong to, and the attribute rules of the process's handlers.
package logging

import (
	"context"
	"io"
	"log/slog"
	"time"
)

type requestKey struct{}

// Identified is what a context carries to name its request: a server's per-request
// state, which knows the request's id.
type Identified interface{ RequestID() string }

// WithRequest returns a context that carries v, which names the request: a server keeps
// its per-request state there, in the one value every log line below can read.
func WithRequest(ctx context.Context, v Identified) context.Context {
	return context.WithValue(ctx, requestKey{}, v)
}

// RequestValue returns the value WithRequest put in ctx, or nil.
func RequestValue(ctx context.Context) Identified {
	v, _ := ctx.Value(requestKey{}).(Identified)
	return v
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	if v := RequestValue(ctx); v != nil {
		return v.RequestID()
	}
	return ""
}

// New builds the process logger: text or JSON lines at level on w, with durations
// written as text ("1.5s", "15m0s") rather than JSON's nanosecond integers.
func New(w io.Writer, level slog.Leveler, json bool) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: durationsAsText}
	h := &handler{w: w, json: json}
	if json {
		h.Handler = slog.NewJSONHandler(w, opts)
	} else {
		h.Handler = slog.NewTextHandler(w, opts)
	}
	return slog.New(h)
}

// durationsAsText renders every time.Duration attribute with its String form.
func durationsAsText(_ []string, a slog.Attr) slog.Attr {
	if a.Value.Kind() == slog.KindDuration {
		return slog.String(a.Key, a.Value.Duration().String())
	}
	if d, ok := a.Value.Any().(time.Duration); ok {
		return slog.String(a.Key, d.String())
	}
	return a
}
