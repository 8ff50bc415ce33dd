package logging

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"time"
)

// Request is what a server's access line says of one request.
type Request struct {
	ID       string
	Method   string
	Path     string
	Status   int
	Bytes    int
	Duration time.Duration
	ClientIP string
	// Client is the API client's name, left out when empty.
	Client string
}

// handler is the handler New builds, remembering what it writes to and how, so that
// LogRequest can write an access line without going through slog.
type handler struct {
	slog.Handler
	w    io.Writer
	json bool
}

// LogRequest writes r as the info line "request" on log, exactly as
// log.Info("request", "request_id", r.ID, "method", ..., "client", r.Client) would, with
// duration_ms in milliseconds to the microsecond.
//
// A server writes one such line per request, so when log is a logger New built (not
// one derived from it with With) and every value is plain (printable ASCII that neither
// format quotes or escapes), the line is appended straight into one buffer and written
// with one Write, without slog's attribute machinery. Otherwise slog writes it.
func LogRequest(ctx context.Context, log *slog.Logger, r Request) {
	base := log.Handler()
	h, fast := base.(*handler)
	if !base.Enabled(ctx, slog.LevelInfo) {
		return
	}
	now := time.Now()
	ms := float64(r.Duration.Microseconds()) / 1000
	if fast && plain(r.ID) && plain(r.Method) && plain(r.Path) && plain(r.ClientIP) && (r.Client == "" || plain(r.Client)) {
		bp := lineBuffers.Get().(*[]byte)
		*bp = h.appendRequest((*bp)[:0], now, r, ms)
		_, _ = h.w.Write(*bp)
		if cap(*bp) <= 4<<10 { // a rare long line is not kept
			lineBuffers.Put(bp)
		}
		return
	}
	attrs := [8]slog.Attr{
		slog.String("request_id", r.ID),
		slog.String("method", r.Method),
		slog.String("path", r.Path),
		slog.Int("status", r.Status),
		slog.Int("bytes", r.Bytes),
		slog.Float64("duration_ms", ms),
		slog.String("client_ip", r.ClientIP),
	}
	n := 7
	if r.Client != "" {
		attrs[n] = slog.String("client", r.Client)
		n++
	}
	// A record built here rather than by Logger.Info: no caller lookup (the source is
	// never logged), and the same line.
	rec := slog.NewRecord(now, slog.LevelInfo, "request", 0)
	rec.AddAttrs(attrs[:n]...)
	_ = base.Handle(ctx, rec)
}

// lineBuffers hold the access lines being written: io.Writer may not keep the slice, so
// it is reused.
var lineBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// appendRequest appends the line slog's text or JSON handler would write for r.
func (h *handler) appendRequest(b []byte, now time.Time, r Request, ms float64) []byte {
	str := func(b []byte, key, v string) []byte {
		if h.json {
			b = append(b, ",\""...)
			b = append(b, key...)
			b = append(b, "\":\""...)
			b = append(b, v...)
			return append(b, '"')
		}
		b = append(b, ' ')
		b = append(b, key...)
		b = append(b, '=')
		return append(b, v...)
	}
	num := func(b []byte, key string, v int) []byte {
		if h.json {
			b = append(b, ",\""...)
			b = append(b, key...)
			b = append(b, "\":"...)
		} else {
			b = append(b, ' ')
			b = append(b, key...)
			b = append(b, '=')
		}
		return strconv.AppendInt(b, int64(v), 10)
	}
	if h.json {
		b = append(b, `{"time":"`...)
		b = now.AppendFormat(b, time.RFC3339Nano)
		b = append(b, `","level":"INFO","msg":"request"`...)
	} else {
		b = append(b, "time="...)
		b = now.AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = append(b, " level=INFO msg=request"...)
	}
	b = str(b, "request_id", r.ID)
	b = str(b, "method", r.Method)
	b = str(b, "path", r.Path)
	b = num(b, "status", r.Status)
	b = num(b, "bytes", r.Bytes)
	if h.json {
		b = append(b, `,"duration_ms":`...)
	} else {
		b = append(b, " duration_ms="...)
	}
	if h.json {
		// encoding/json's form, which slog's JSON handler uses: no exponent below 1e21.
		b = strconv.AppendFloat(b, ms, 'f', -1, 64)
	} else {
		b = strconv.AppendFloat(b, ms, 'g', -1, 64)
	}
	b = str(b, "client_ip", r.ClientIP)
	if r.Client != "" {
		b = str(b, "client", r.Client)
	}
	if h.json {
		b = append(b, '}')
	}
	return append(b, '\n')
}

// plain reports whether s is non-empty and made only of bytes that slog writes as they
// are in both formats: printable ASCII but space, '=', '"', '\\' and the characters
// JSON or HTML escaping touches.
func plain(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '=' || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}
