package handlers_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"geopol/apikey"
	"geopol/handlers"
	"geopol/models"
	"geopol/ratelimit"
	"geopol/store"
	"geopol/store/storetest"
)

// keyedPath is a keyed route that answers 200 on an empty database.
const keyedPath = "/api/v1/forecasts/top"

const testAdminToken = "test-admin-token-9f8e7d6c5b4a39281706"

// syncBuffer collects log output; loggers may write from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// withLogs sends the server's log (and its rate limiter's) to a buffer and rebuilds
// the router, with admin routes when adminToken is set.
func withLogs(e *env, adminToken string) *syncBuffer {
	buf := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.cfg.AdminToken = adminToken
	e.server.Log = log
	e.server.Limiter = ratelimit.New(e.cache, log)
	e.router = handlers.NewRouter(e.server)
	return buf
}

func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// createKey makes a key through the admin route.
func createKey(t *testing.T, e *env, client string) handlers.CreatedKey {
	t.Helper()
	rec := e.do(http.MethodPost, "/api/v1/admin/keys", []byte(`{"client_name":"`+client+`"}`), bearer(e.cfg.AdminToken)...)
	if rec.Code != http.StatusCreated || rec.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("create key: %d %v %s", rec.Code, rec.Header(), rec.Body)
	}
	return decode[handlers.CreatedKey](t, rec)
}

// noPlaintext fails if the key, or its secret part after the display prefix, appears
// in any column of any api_keys row or anywhere in the logs.
func noPlaintext(t *testing.T, e *env, key, logs string) {
	t.Helper()
	secret := key[apikey.DisplayPrefixLen:]
	rows, err := e.db.Raw("SELECT * FROM api_keys").Rows()
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	n := 0
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, v := range vals {
			if s := fmt.Sprintf("%s", v); strings.Contains(s, secret) {
				t.Errorf("api_keys.%s holds the plaintext key", cols[i])
			}
		}
		n++
	}
	if n == 0 {
		t.Error("api_keys is empty: the scan proves nothing")
	}
	if strings.Contains(logs, secret) {
		t.Errorf("the logs hold the plaintext key:\n%s", logs)
	}
}

// A key is created, used, listed, revoked and then refused, on both backends; it is
// never stored or logged in plaintext.
func TestKeyLifecycle(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		logs := withLogs(e, testAdminToken)
		created := createKey(t, e, "globe-dashboard")
		if !apikey.WellFormed(created.Key) || created.Prefix != created.Key[:12] || created.ClientName != "globe-dashboard" {
			t.Fatalf("created: %+v", created)
		}
		for _, h := range [][]string{{"X-API-Key", created.Key}, {"X-API-Key", "", "Authorization", "Bearer " + created.Key}} {
			rec := e.do(http.MethodGet, keyedPath, nil, h...)
			if rec.Code != http.StatusOK || rec.Header().Get(handlers.RateLimitLimitHeader) == "" {
				t.Fatalf("with %v: %d %v %s", h[0], rec.Code, rec.Header(), rec.Body)
			}
		}
		if !strings.Contains(logs.String(), "client=globe-dashboard") {
			t.Errorf("access log does not name the client:\n%s", logs)
		}

		list := e.do(http.MethodGet, "/api/v1/admin/keys", nil, bearer(testAdminToken)...)
		var mine *handlers.KeyView
		for _, k := range decode[handlers.KeyList](t, list).Items {
			if k.ID == created.ID {
				mine = &k
			}
		}
		if mine == nil || mine.Prefix != created.Prefix || mine.LastUsedAt == nil || mine.RevokedAt != nil {
			t.Fatalf("list: %s", list.Body)
		}
		if strings.Contains(list.Body.String(), created.Key) {
			t.Fatal("the list shows a key")
		}

		del := fmt.Sprintf("/api/v1/admin/keys/%d", created.ID)
		if rec := e.do(http.MethodDelete, del, nil, bearer(testAdminToken)...); rec.Code != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
		}
		if rec := e.do(http.MethodGet, keyedPath, nil, "X-API-Key", created.Key); rec.Code != http.StatusUnauthorized {
			t.Fatalf("revoked key: %d %s", rec.Code, rec.Body)
		}
		if rec := e.do(http.MethodDelete, del, nil, bearer(testAdminToken)...); rec.Code != http.StatusNoContent {
			t.Errorf("revoking twice: %d", rec.Code)
		}
		var row models.ApiKey
		if err := e.db.First(&row, created.ID).Error; err != nil || row.RevokedAt == nil || row.KeyHash != apikey.Hash(created.Key) {
			t.Fatalf("row after revoke: %+v %v", row, err)
		}
		if !strings.Contains(logs.String(), "api key revoked") || !strings.Contains(logs.String(), "actor=admin") {
			t.Errorf("admin actions are not logged with their actor:\n%s", logs)
		}
		noPlaintext(t, e, created.Key, logs.String())
		if rc, ok := e.cache.(*store.RedisCache); ok {
			ctx := context.Background()
			for it := rc.Client.Scan(ctx, 0, "*", 1000).Iterator(); it.Next(ctx); {
				v, _ := rc.Client.Get(ctx, it.Val()).Result()
				if strings.Contains(it.Val()+v, created.Key[12:]) {
					t.Errorf("Redis key %s holds the plaintext key", it.Val())
				}
			}
		}
	})
}

// Missing, malformed, unknown and revoked keys get byte-identical 401 bodies, so a
// caller cannot tell a revoked key from a mistyped one.
func TestUnauthorizedIsIdentical(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		revoked, row, err := apikey.Create(context.Background(), e.db, "old")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := apikey.Revoke(context.Background(), e.db, row.ID); err != nil {
			t.Fatal(err)
		}
		unknown, _ := apikey.New()
		cases := map[string][]string{
			"missing":        {"X-API-Key", ""},
			"malformed":      {"X-API-Key", "gp_live_short"},
			"unknown":        {"X-API-Key", unknown},
			"unknown bearer": {"X-API-Key", "", "Authorization", "Bearer " + unknown},
			"revoked":        {"X-API-Key", revoked},
			"revoked bearer": {"X-API-Key", "", "Authorization", "Bearer " + revoked},
		}
		var first string
		for name, h := range cases {
			rec := e.do(http.MethodGet, keyedPath, nil, h...)
			if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" ||
				rec.Header().Get("Content-Type") != handlers.ProblemContentType {
				t.Fatalf("%s: %d %v", name, rec.Code, rec.Header())
			}
			if rec.Header().Get(handlers.RateLimitLimitHeader) != "" {
				t.Errorf("%s: rate-limit headers on an unauthenticated response", name)
			}
			if first == "" {
				first = rec.Body.String()
			} else if rec.Body.String() != first {
				t.Errorf("%s: body differs:\n%s\n%s", name, rec.Body, first)
			}
		}
	})
}

// A revocation made behind a router's back (by the CLI, or another API process: the
// database row alone) is honoured by it within a second although it served the key from
// its key cache, on both backends; a lookup racing the revocation cannot bring it back.
func TestRevocationReachesAnotherProcessWithinASecond(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		key := e.headers.Get("X-API-Key")
		waitKeyCached(t, e)
		var row models.ApiKey
		if err := e.db.Where("key_hash = ?", apikey.Hash(key)).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := apikey.Revoke(context.Background(), e.db, row.ID); err != nil {
			t.Fatal(err)
		}
		revoked := time.Now()
		for {
			rec := e.do(http.MethodGet, keyedPath, nil)
			if rec.Code == http.StatusUnauthorized {
				break
			}
			if time.Since(revoked) > time.Second {
				t.Fatalf("the key revoked %v ago still answers %d", time.Since(revoked), rec.Code)
			}
			time.Sleep(10 * time.Millisecond)
		}
		for i := 0; i < 20; i++ {
			if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusUnauthorized {
				t.Fatalf("the revoked key came back: %d", rec.Code)
			}
		}
	})
}

// The admin route revokes in its own process at once: the very next request is refused.
func TestAdminRevocationIsImmediate(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		withLogs(e, testAdminToken)
		created := createKey(t, e, "short-lived")
		e.headers.Set("X-API-Key", created.Key)
		waitKeyCached(t, e)
		if rec := e.do(http.MethodDelete, fmt.Sprintf("/api/v1/admin/keys/%d", created.ID), nil, bearer(testAdminToken)...); rec.Code != http.StatusNoContent {
			t.Fatalf("revoke: %d %s", rec.Code, rec.Body)
		}
		if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusUnauthorized {
			t.Fatalf("next request after the revocation: %d", rec.Code)
		}
	})
}

// waitKeyCached sends requests with the env's key until its key cache serves it: a first
// revocation check has run, so later requests need no key read.
func waitKeyCached(t *testing.T, e *env) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusOK {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if e.server.KeyCached(apikey.Hash(e.headers.Get("X-API-Key"))) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the key cache never served the key")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sharedRedis opens a Redis cache under prefix (from storetest.RedisPrefix, which deletes
// its keys after the test), as another API process with the same CACHE_PREFIX would.
func sharedRedis(t *testing.T, prefix string) store.Cache {
	t.Helper()
	c, err := store.OpenCache(storetest.RedisURL(t), prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// last_used_at is written on first use and then at most once a minute (by the background
// batch, or FlushUsage).
func TestLastUsedAtOncePerMinute(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := store.Now()
		e.server.Now = func() time.Time { return now }
		lastUsed := func() *time.Time {
			var row models.ApiKey
			if err := e.db.Where("key_hash = ?", apikey.Hash(e.headers.Get("X-API-Key"))).Take(&row).Error; err != nil {
				t.Fatal(err)
			}
			return row.LastUsedAt
		}
		step := func(d time.Duration) *time.Time {
			now = now.Add(d)
			if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusOK {
				t.Fatalf("%d %s", rec.Code, rec.Body)
			}
			if err := e.server.FlushUsage(context.Background()); err != nil {
				t.Fatal(err)
			}
			return lastUsed()
		}
		first := step(0)
		if first == nil || !first.Equal(now) {
			t.Fatalf("first use: last_used_at %v, want %v", first, now)
		}
		if got := step(30 * time.Second); !got.Equal(*first) {
			t.Errorf("written again after 30 s: %v", got)
		}
		if got := step(31 * time.Second); !got.Equal(now) {
			t.Errorf("not written after 61 s: %v, want %v", got, now)
		}
	})
}
