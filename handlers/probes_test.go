package handlers_test

import (
	"net/http"
	"strings"
	"testing"

	"geopol/handlers"
)

// /livez answers 200 while the process serves; /readyz answers 200 until the server
// drains, then a 503 problem with Retry-After, while every other route keeps serving
// and asks its clients to close their connections.
func TestProbesAndDraining(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for path, want := range map[string]string{"/api/v1/livez": "alive", "/api/v1/readyz": "ready"} {
			rec := e.do("GET", path, nil)
			if rec.Code != http.StatusOK || decode[handlers.ProbeResponse](t, rec).Status != want {
				t.Errorf("GET %s: %d %s, want 200 %q", path, rec.Code, rec.Body, want)
			}
			if c := rec.Header().Get("Connection"); c != "" {
				t.Errorf("GET %s before draining: Connection %q", path, c)
			}
		}
		if e.server.Draining() {
			t.Fatal("a new server drains")
		}

		e.server.Drain()
		rec := e.do("GET", "/api/v1/readyz", nil)
		checkUnavailable(t, "readyz while draining", rec)
		if p := decode[handlers.Problem](t, rec); !strings.Contains(p.Detail, "shutting down") {
			t.Errorf("readyz while draining: detail %q", p.Detail)
		}
		for _, path := range []string{"/api/v1/livez", "/api/v1/countries", "/api/v1/health"} {
			rec := e.do("GET", path, nil)
			if rec.Code != http.StatusOK {
				t.Errorf("GET %s while draining: %d %s", path, rec.Code, rec.Body)
			}
			if c := rec.Header().Get("Connection"); c != "close" {
				t.Errorf("GET %s while draining: Connection %q, want close", path, c)
			}
		}
	})
}
