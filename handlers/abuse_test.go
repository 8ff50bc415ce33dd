package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"geopol/handlers"
	"geopol/store"
)

// sendFrom serves one request as if it came from remote (host:port), with headers.
func sendFrom(e *env, remote, method, path string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, nil)
	req.RemoteAddr = remote
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec
}

// After AUTH_FAILURES_PER_MINUTE failed keys, an address gets 429 with Retry-After,
// valid key or not; another address is not affected.
func TestFailedKeysAreThrottledPerAddress(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	e.cfg.AuthFailuresPerMinute = 3
	e.router = handlers.NewRouter(e.server)
	good := e.headers.Get("X-API-Key")
	bad := "gp_live_" + "0000000000000000000000000000000000000000000"
	for i := 0; i < 3; i++ {
		if rec := sendFrom(e, "198.51.100.7:4000", "GET", keyedPath, "X-API-Key", bad); rec.Code != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, rec.Code)
		}
	}
	rec := sendFrom(e, "198.51.100.7:4001", "GET", keyedPath, "X-API-Key", bad)
	if rec.Code != http.StatusUnauthorized {
		t.Fatalf("the 4th failure is still answered (it spends the last of the budget): %d", rec.Code)
	}
	rec = sendFrom(e, "198.51.100.7:4002", "GET", keyedPath, "X-API-Key", good)
	if wait, _ := strconv.Atoi(rec.Header().Get("Retry-After")); rec.Code != http.StatusTooManyRequests || wait < 1 {
		t.Fatalf("a throttled address: %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
	if rec := sendFrom(e, "203.0.113.9:4000", "GET", keyedPath, "X-API-Key", good); rec.Code != http.StatusOK {
		t.Fatalf("another address is throttled too: %d", rec.Code)
	}
}

// Admin routes take ADMIN_RATE_LIMIT_PER_MINUTE requests a minute from one address, and
// wrong admin tokens count as failed credentials.
func TestAdminRoutesAreRateLimited(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.AdminToken = testAdminToken
	cfg.AdminRateLimitPerMinute = 5
	e := newEnv(t, cfg, store.NewMemoryCache("", 100))
	bearer := "Bearer " + testAdminToken
	for i := 0; i < 5; i++ {
		if rec := sendFrom(e, "198.51.100.8:1", "GET", "/api/v1/admin/keys", "Authorization", bearer); rec.Code != http.StatusOK {
			t.Fatalf("admin request %d: %d", i+1, rec.Code)
		}
	}
	if rec := sendFrom(e, "198.51.100.8:1", "GET", "/api/v1/admin/keys", "Authorization", bearer); rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") == "" {
		t.Fatalf("the 6th admin request in a minute: %d", rec.Code)
	}
	e.cfg.AdminRateLimitPerMinute, e.cfg.AuthFailuresPerMinute = 1000, 2
	e.router = handlers.NewRouter(e.server)
	for i := 0; i < 3; i++ {
		sendFrom(e, "198.51.100.9:1", "GET", "/api/v1/admin/keys", "Authorization", "Bearer wrong")
	}
	if rec := sendFrom(e, "198.51.100.9:1", "GET", "/api/v1/admin/keys", "Authorization", bearer); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("after failed admin tokens the right one from that address: %d", rec.Code)
	}
}

// With TRUSTED_PROXIES, X-Forwarded-For from that proxy names the client address; from
// anyone else it is ignored.
func TestTrustedProxiesNameTheClient(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.TrustedProxies = []string{"192.0.2.10"}
	cfg.AuthFailuresPerMinute = 1
	e := newEnv(t, cfg, memCache())
	bad := "gp_live_" + "1111111111111111111111111111111111111111111"
	good := e.headers.Get("X-API-Key")
	// Through the proxy, two failures from client A block A only.
	for i := 0; i < 2; i++ {
		sendFrom(e, "192.0.2.10:1", "GET", keyedPath, "X-API-Key", bad, "X-Forwarded-For", "203.0.113.1")
	}
	if rec := sendFrom(e, "192.0.2.10:1", "GET", keyedPath, "X-API-Key", good, "X-Forwarded-For", "203.0.113.1"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("client A behind the proxy: %d", rec.Code)
	}
	if rec := sendFrom(e, "192.0.2.10:1", "GET", keyedPath, "X-API-Key", good, "X-Forwarded-For", "203.0.113.2"); rec.Code != http.StatusOK {
		t.Fatalf("client B behind the same proxy: %d", rec.Code)
	}
	// An untrusted peer cannot pick its address with the header.
	for i := 0; i < 2; i++ {
		sendFrom(e, "198.51.100.20:1", "GET", keyedPath, "X-API-Key", bad, "X-Forwarded-For", "203.0.113.3")
	}
	if rec := sendFrom(e, "198.51.100.20:1", "GET", keyedPath, "X-API-Key", good, "X-Forwarded-For", "203.0.113.99"); rec.Code != http.StatusTooManyRequests {
		t.Fatalf("a spoofed X-Forwarded-For escaped the block: %d", rec.Code)
	}
}
