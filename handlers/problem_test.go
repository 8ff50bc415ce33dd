package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

func TestUnknownRouteAndMethodAreProblems(t *testing.T) {
	cfg := storetest.Config(t, "")
	r := handlers.NewRouter(newServer(t, cfg, storetest.Open(t, cfg), store.NewMemoryCache("", 10)))
	for _, tc := range []struct {
		method, path string
		status       int
		title        string
	}{
		{http.MethodGet, "/api/v1/nope", http.StatusNotFound, "Not Found"},
		{http.MethodGet, "/", http.StatusNotFound, "Not Found"},
		{http.MethodDelete, "/api/v1/health", http.StatusMethodNotAllowed, "Method Not Allowed"},
	} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(tc.method, tc.path, nil)
		req.Header.Set("X-Request-ID", "abc-123")
		r.ServeHTTP(rec, req)
		if rec.Code != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, rec.Code, tc.status)
		}
		if ct := rec.Header().Get("Content-Type"); ct != handlers.ProblemContentType {
			t.Errorf("%s %s: content type %q", tc.method, tc.path, ct)
		}
		if rec.Header().Get("X-Request-ID") != "abc-123" {
			t.Errorf("request id not echoed: %q", rec.Header().Get("X-Request-ID"))
		}
		var p handlers.Problem
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		if p.Status != tc.status || p.Title != tc.title || p.Instance != tc.path || p.Detail == "" || p.Type == "" {
			t.Errorf("%s %s: problem %+v", tc.method, tc.path, p)
		}
	}
}
