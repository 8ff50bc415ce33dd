package logging

import (
	"bytes"
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The access line LogRequest writes is the line slog writes for the same attributes,
// in both formats, whether it takes the fast path or not.
func TestLogRequestWritesWhatSlogWrites(t *testing.T) {
	requests := []Request{
		{ID: "9f0c2a1b3c4d5e6f70819293", Method: "GET", Path: "/api/v1/forecasts/0b9d1c6e-2f4a-4b8e-9c3d-5e6f7a8b9c0d",
			Status: 200, Bytes: 4013, Duration: 1234567 * time.Nanosecond, ClientIP: "127.0.0.1", Client: "dashboard"},
		{ID: "client-sent:id.1", Method: "HEAD", Path: "/api/v1/health", Status: 304, Bytes: 0, Duration: 0, ClientIP: "::1"},
		{ID: "x", Method: "POST", Path: "/api/v1/forecasts", Status: 201, Bytes: 3, Duration: 25 * time.Minute, ClientIP: "10.0.0.1", Client: "engine"},
		{ID: "y", Method: "GET", Path: "/api/v1/forecasts/country/SY", Status: 200, Bytes: 12, Duration: 999 * time.Microsecond, ClientIP: "10.0.0.2"},
		// Values that need quoting or escaping: slog writes these lines itself.
		{ID: "z", Method: "GET", Path: "/a path/with=equals\"and\\slash", Status: 404, Bytes: 1, Duration: time.Second, ClientIP: "1.2.3.4", Client: "name with spaces"},
		{ID: "u", Method: "GET", Path: "/événements/<script>&", Status: 404, Bytes: 1, Duration: time.Millisecond, ClientIP: "1.2.3.4", Client: "é"},
		{ID: "c", Method: "GET", Path: "/\x01\x7f", Status: 400, Bytes: 1, Duration: time.Millisecond, ClientIP: "1.2.3.4"},
	}
	// slog writes the record's time; the lines are compared with it masked.
	stamp := regexp.MustCompile(`^(time=|\{"time":")[^ "]+`)
	for _, json := range []bool{false, true} {
		for _, r := range requests {
			var fast, ref bytes.Buffer
			LogRequest(context.Background(), New(&fast, slog.LevelInfo, json), r)
			args := []any{"request_id", r.ID, "method", r.Method, "path", r.Path, "status", r.Status,
				"bytes", r.Bytes, "duration_ms", float64(r.Duration.Microseconds()) / 1000, "client_ip", r.ClientIP}
			if r.Client != "" {
				args = append(args, "client", r.Client)
			}
			New(&ref, slog.LevelInfo, json).Info("request", args...)
			got := stamp.ReplaceAllString(fast.String(), "${1}T")
			want := stamp.ReplaceAllString(ref.String(), "${1}T")
			if got != want {
				t.Errorf("json=%v\n got: %s\nwant: %s", json, got, want)
			}
		}
	}
}

// The fast path writes the time as slog does, to the millisecond in text and to the
// nanosecond in JSON, and leaves the line out below info.
func TestLogRequestTimeAndLevel(t *testing.T) {
	h := &handler{json: false}
	at := time.Date(2026, 11, 27, 9, 5, 7, 120_000_000, time.UTC)
	r := Request{ID: "a", Method: "GET", Path: "/", Status: 200, ClientIP: "127.0.0.1"}
	if got := string(h.appendRequest(nil, at, r, 0)); !strings.HasPrefix(got, "time=2026-11-27T09:05:07.120Z ") {
		t.Errorf("text time: %s", got)
	}
	h.json = true
	if got := string(h.appendRequest(nil, at, r, 0)); !strings.HasPrefix(got, `{"time":"2026-11-27T09:05:07.12Z",`) {
		t.Errorf("json time: %s", got)
	}
	var ref bytes.Buffer
	rec := slog.NewRecord(at, slog.LevelInfo, "request", 0)
	_ = New(&ref, slog.LevelInfo, true).Handler().Handle(context.Background(), rec)
	if !strings.HasPrefix(ref.String(), `{"time":"2026-11-27T09:05:07.12Z",`) {
		t.Errorf("slog's own JSON time differs: %s", ref.String())
	}

	var quiet bytes.Buffer
	LogRequest(context.Background(), New(&quiet, slog.LevelWarn, false), r)
	if quiet.Len() != 0 {
		t.Errorf("an access line at LOG_LEVEL=warn: %s", quiet.String())
	}
}
