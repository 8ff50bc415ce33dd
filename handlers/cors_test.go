package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"geopol/config"
	"geopol/handlers"
)

// send serves one request without the conformance check: preflights and foreign
// origins are CORS machinery, not operations of the specification.
func send(e *env, method, path string, header ...string) *httptest.ResponseRecorder {
	return e.serve(httptest.NewRequest(method, path, nil), header...)
}

func preflight(e *env, origin string) *httptest.ResponseRecorder {
	return send(e, http.MethodOptions, keyedPath, "X-API-Key", "", "Origin", origin,
		"Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "x-api-key")
}

// Responses to an allowed origin expose the request id and the rate-limit headers.
func checkAllowed(t *testing.T, rec *httptest.ResponseRecorder, origin string) {
	t.Helper()
	h := rec.Header()
	if rec.Code != http.StatusOK || h.Get("Access-Control-Allow-Origin") != origin || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Fatalf("origin %s: %d %v", origin, rec.Code, h)
	}
	exposed := h.Get("Access-Control-Expose-Headers")
	for _, name := range []string{"X-Request-ID", handlers.RateLimitLimitHeader, handlers.RateLimitRemainingHeader, handlers.RateLimitResetHeader, "Retry-After"} {
		if !strings.Contains(exposed, name) {
			t.Errorf("%s is not exposed: %q", name, exposed)
		}
	}
	if h.Get("Access-Control-Allow-Credentials") != "" {
		t.Error("credentials must never be allowed")
	}
}

// Development allows any origin; preflights are answered 204 without an API key.
func TestCORSDevelopment(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	e.cfg.Environment = config.Development
	origin := "http://localhost:5173"
	checkAllowed(t, send(e, http.MethodGet, keyedPath, "Origin", origin), origin)

	rec := preflight(e, origin)
	h := rec.Header()
	if rec.Code != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != origin ||
		!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
		!strings.Contains(h.Get("Access-Control-Allow-Headers"), "X-API-Key") || h.Get("Access-Control-Max-Age") == "" {
		t.Fatalf("preflight: %d %v %s", rec.Code, h, rec.Body)
	}
	if h.Get("X-Request-ID") == "" {
		t.Error("preflight lacks a request id")
	}
}

// Production and testing allow only CORS_ORIGINS.
func TestCORSAllowlist(t *testing.T) {
	for _, env := range []string{config.Production, config.Testing} {
		t.Run(env, func(t *testing.T) {
			e := newEnv(t, sqliteConfig(t), memCache())
			e.cfg.Environment = env
			e.cfg.CORSOrigins = []string{"https://globe.example.org/"}
			checkAllowed(t, send(e, http.MethodGet, keyedPath, "Origin", "https://globe.example.org"), "https://globe.example.org")
			if rec := preflight(e, "https://globe.example.org"); rec.Code != http.StatusNoContent {
				t.Errorf("allowed preflight: %d", rec.Code)
			}

			evil := "https://evil.example.com"
			rec := send(e, http.MethodGet, keyedPath, "Origin", evil)
			if rec.Code != http.StatusOK || rec.Header().Get("Access-Control-Allow-Origin") != "" || rec.Header().Get("Access-Control-Expose-Headers") != "" {
				t.Errorf("foreign origin: %d %v", rec.Code, rec.Header())
			}
			if rec := preflight(e, evil); rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Errorf("foreign preflight: %d %v", rec.Code, rec.Header())
			}
			if rec := send(e, http.MethodGet, keyedPath); rec.Header().Get("Access-Control-Allow-Origin") != "" {
				t.Error("CORS headers without an Origin")
			}
		})
	}
}
