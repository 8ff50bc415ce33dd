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

type requestIDKey struct{}

// WithRequestID returns a context that carries the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID returns the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
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
