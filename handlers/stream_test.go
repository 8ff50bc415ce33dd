package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"geopol/handlers"
	"geopol/stream"
)

// withStream gives the env's server a live stream (heartbeat every beat) and rebuilds
// the router.
func (e *env) withStream(beat time.Duration) *stream.Hub {
	e.t.Helper()
	hub := stream.NewHub(stream.Options{Heartbeat: beat})
	e.t.Cleanup(hub.Close)
	e.server.Stream = hub
	e.router = handlers.NewRouter(e.server)
	return hub
}

// sseEvent is one parsed Server-Sent Event (or, with only Comment set, a comment).
type sseEvent struct {
	ID, Event, Data, Comment string
}

// sseReader reads events from a stream response.
type sseReader struct {
	r      *bufio.Reader
	events chan sseEvent
}

func newSSEReader(t *testing.T, resp *http.Response) *sseReader {
	s := &sseReader{r: bufio.NewReader(resp.Body), events: make(chan sseEvent, 100)}
	go func() {
		defer close(s.events)
		var ev sseEvent
		for {
			line, err := s.r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, ":"):
				ev.Comment = strings.TrimSpace(line[1:])
			default:
				k, v, _ := strings.Cut(line, ":")
				v = strings.TrimPrefix(v, " ")
				switch k {
				case "id":
					ev.ID = v
				case "event":
					ev.Event = v
				case "data":
					ev.Data += v
				}
			}
		}
	}()
	return s
}

// next returns the next event of type typ (skipping comments and others), or fails.
func (s *sseReader) next(t *testing.T, typ string, within time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("stream ended while waiting for %s", typ)
			}
			if ev.Event == typ {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %s event within %v", typ, within)
		}
	}
}

// openStream connects to the stream of a running server.
func openStream(t *testing.T, ctx context.Context, url string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// The stream outlives the server's read and write timeouts, announces each write with
// an id, sends heartbeats, and resumes after Last-Event-ID.
func TestStreamOverHTTP(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.withStream(150 * time.Millisecond)
		e.cfg.AdminToken = "stream-admin-token-0123456789abcdef"
		e.router = handlers.NewRouter(e.server)
		srv := httptest.NewUnstartedServer(e.router)
		srv.Config.ReadTimeout, srv.Config.WriteTimeout = 400*time.Millisecond, 400*time.Millisecond
		srv.Start()
		defer srv.Close()
		key := e.headers.Get(e.cfg.APIKeyHeader)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		resp := openStream(t, ctx, srv.URL+"/api/v1/stream", e.cfg.APIKeyHeader, key)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream; charset=utf-8" ||
			resp.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("stream: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
		sse := newSSEReader(t, resp)
		time.Sleep(time.Second) // past both server timeouts

		rec := e.do("POST", "/api/v1/forecasts", golden(t, "syria"))
		if rec.Code != 201 {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
		id := decode[map[string]any](t, rec)["forecast_id"].(string)
		ev := sse.next(t, stream.ForecastCreated, time.Second)
		var env struct {
			ID   string                     `json:"id"`
			Type string                     `json:"type"`
			Time time.Time                  `json:"time"`
			Data stream.ForecastCreatedData `json:"data"`
		}
		if err := json.Unmarshal([]byte(ev.Data), &env); err != nil {
			t.Fatalf("event data %q: %v", ev.Data, err)
		}
		if env.ID != ev.ID || env.Type != stream.ForecastCreated || env.Data.ForecastID != id ||
			env.Data.URL != "/api/v1/forecasts/"+id || env.Data.CountryISO == nil || *env.Data.CountryISO != "SY" {
			t.Errorf("forecast.created: id %s %+v", ev.ID, env)
		}
		rec = e.do("POST", "/api/v1/forecasts/"+id+"/outcome", []byte(`{"outcome":1,"status":"resolved","resolution_method":"manual"}`))
		if rec.Code != 201 {
			t.Fatalf("POST outcome: %d %s", rec.Code, rec.Body)
		}
		out := sse.next(t, stream.OutcomeRecorded, time.Second)
		if !strings.Contains(out.Data, `"forecast_id":"`+id+`"`) || !strings.Contains(out.Data, `"corrected":false`) {
			t.Errorf("outcome.recorded: %s", out.Data)
		}
		rec = e.do("POST", "/api/v1/admin/calibrate", nil, "Authorization", "Bearer "+e.cfg.AdminToken)
		if rec.Code != 200 {
			t.Fatalf("calibrate: %d %s", rec.Code, rec.Body)
		}
		sse.next(t, stream.CalibrationUpdated, time.Second)
		heartbeat := false
		for !heartbeat {
			select {
			case ev := <-sse.events:
				heartbeat = ev.Comment == "heartbeat"
			case <-time.After(time.Second):
				t.Fatal("no heartbeat within 1 s (every 150 ms)")
			}
		}

		// Resume after the forecast: the outcome and the calibration come again.
		resumed := newSSEReader(t, openStream(t, ctx, srv.URL+"/api/v1/stream?types=outcome.recorded",
			e.cfg.APIKeyHeader, key, handlers.LastEventIDHeader, ev.ID))
		again := resumed.next(t, stream.OutcomeRecorded, time.Second)
		if again.ID != out.ID {
			t.Errorf("resumed outcome id %s, want %s", again.ID, out.ID)
		}
		// An id the stream never issued: reset, carrying the id to resume from.
		lost := newSSEReader(t, openStream(t, ctx, srv.URL+"/api/v1/stream?last_event_id=1", e.cfg.APIKeyHeader, key))
		r := lost.next(t, stream.Reset, time.Second)
		if got, _ := strconv.ParseUint(r.ID, 10, 64); got < mustUint(t, out.ID) {
			t.Errorf("reset id %q, want the newest id", r.ID)
		}
	})
}

// The stream's errors and its HEAD are answered like every route's (and validated
// against the specification by e.do).
func TestStreamRequests(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	if rec := e.do("GET", "/api/v1/stream", nil); rec.Code != 503 {
		t.Errorf("no hub: %d, want 503", rec.Code)
	}
	e.withStream(time.Second)
	for _, tc := range []struct {
		path   string
		header []string
		want   int
	}{
		{"/api/v1/stream?types=forecast.deleted", nil, 422},
		{"/api/v1/stream", []string{handlers.LastEventIDHeader, "abc"}, 422},
		{"/api/v1/stream?last_event_id=-1", nil, 422},
	} {
		if rec := e.do("GET", tc.path, nil, tc.header...); rec.Code != tc.want {
			t.Errorf("GET %s %v: %d, want %d: %s", tc.path, tc.header, rec.Code, tc.want, rec.Body)
		}
	}
	if rec := e.serve(httptest.NewRequest("HEAD", "/api/v1/stream", nil)); rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream; charset=utf-8" {
		t.Errorf("HEAD: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	e.headers.Del(e.cfg.APIKeyHeader)
	if rec := e.do("GET", "/api/v1/stream", nil); rec.Code != 401 {
		t.Errorf("without a key: %d, want 401", rec.Code)
	}
}

// streamOnce sends GET path through the router for d, then ends the request, and runs
// the response checkers on what was sent.
func streamOnce(t *testing.T, e *env, path string, d time.Duration, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	req := httptest.NewRequest(http.MethodGet, path, nil).WithContext(ctx)
	rec := e.serve(req, header...)
	for _, check := range responseCheckers {
		check(t, req, nil, rec)
	}
	return rec
}

func mustUint(t *testing.T, s string) uint64 {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatalf("event id %q: %v", s, err)
	}
	return n
}
