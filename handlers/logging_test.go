package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"geopol/handlers"
	"geopol/logging"
	"geopol/store"
)

// jsonLines decodes the buffer's JSON log lines.
func (s *syncBuffer) jsonLines(t *testing.T) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line is not JSON: %q", line)
		}
		out = append(out, m)
	}
	return out
}

// Expected outcomes (validation, 404, 409, an idempotent replay, a duplicate outcome)
// write no ERROR line, from the handlers or from GORM, and every line a request causes,
// the database's included, carries that request's id.
func TestExpectedOutcomesAreNotErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		var sink syncBuffer
		log := logging.New(&sink, slog.LevelDebug, true)
		db, err := store.OpenDatabase(context.Background(), e.cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close(db) })
		s := &handlers.Server{Config: e.cfg, DB: db, GDELT: e.server.GDELT, Cache: e.cache, Log: log}
		router := handlers.NewRouter(s)
		send := func(id, method, path string, body []byte, header ...string) int {
			req := httptest.NewRequest(method, path, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(handlers.RequestIDHeader, id)
			for k, v := range e.headers {
				req.Header[k] = v
			}
			for i := 0; i+1 < len(header); i += 2 {
				req.Header.Set(header[i], header[i+1])
			}
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, req)
			return rec.Code
		}
		syria := golden(t, "syria")
		for _, c := range []struct {
			id, method, path string
			body             []byte
			header           []string
			want             int
		}{
			{"first", "POST", "/api/v1/forecasts", syria, []string{"Idempotency-Key", "k1"}, 201},
			{"replay", "POST", "/api/v1/forecasts", syria, []string{"Idempotency-Key", "k1"}, 201},
			{"conflict", "POST", "/api/v1/forecasts", golden(t, "ukraine"), []string{"Idempotency-Key", "k1"}, 409},
			{"invalid", "POST", "/api/v1/forecasts", []byte(`{"question":"x"}`), nil, 422},
			{"missing", "GET", "/api/v1/forecasts/00000000-0000-4000-8000-000000000000", nil, nil, 404},
		} {
			if got := send(c.id, c.method, c.path, c.body, c.header...); got != c.want {
				t.Fatalf("%s: %d, want %d", c.id, got, c.want)
			}
		}
		var created struct {
			ForecastID string `json:"forecast_id"`
		}
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, func() *http.Request {
			r := httptest.NewRequest("GET", "/api/v1/forecasts/top", nil)
			for k, v := range e.headers {
				r.Header[k] = v
			}
			return r
		}())
		var top []json.RawMessage
		if err := json.Unmarshal(rec.Body.Bytes(), &top); err != nil || len(top) != 1 || json.Unmarshal(top[0], &created) != nil {
			t.Fatalf("top: %v %s", err, rec.Body)
		}
		outcome := "/api/v1/forecasts/" + created.ForecastID + "/outcome"
		if got := send("outcome", "POST", outcome, []byte(`{"outcome":1}`)); got != 201 {
			t.Fatalf("outcome: %d", got)
		}
		if got := send("outcome-again", "POST", outcome, []byte(`{"outcome":1}`)); got != 409 {
			t.Fatalf("second outcome: %d", got)
		}

		sawDBLine := false
		for _, line := range sink.jsonLines(t) {
			if line["level"] == "ERROR" {
				t.Errorf("an expected outcome was logged as an error: %v", line)
			}
			if msg, _ := line["msg"].(string); msg == "query refused" || msg == "query failed" {
				sawDBLine = true
				if line["request_id"] == nil || line["request_id"] == "" {
					t.Errorf("a database line lacks the request id: %v", line)
				}
			}
			if line["msg"] == "request" && line["request_id"] == nil {
				t.Errorf("an access line lacks the request id: %v", line)
			}
		}
		if !sawDBLine {
			t.Error("the duplicate-key replay and the second outcome left no debug line from the database")
		}
	})
}
