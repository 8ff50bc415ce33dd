package handlers_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

// limitTo sets small budgets: perMinute reads and postPerMinute writes, burst at once.
// The limiter reads them on every request.
func limitTo(e *env, perMinute, postPerMinute, burst int) {
	e.cfg.RateLimitPerMinute, e.cfg.RateLimitPostPerMinute, e.cfg.RateLimitBurst = perMinute, postPerMinute, burst
}

// header returns a response header as an integer, failing the test if it is not one.
func intHeader(t *testing.T, h http.Header, name string) int {
	t.Helper()
	n, err := strconv.Atoi(h.Get(name))
	if err != nil {
		t.Fatalf("%s: %q is not an integer", name, h.Get(name))
	}
	return n
}

// expectThrottled checks a 429 and its headers.
func expectThrottled(t *testing.T, rec interface {
	Result() *http.Response
}, limit int) {
	t.Helper()
	res := rec.Result()
	if res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("want 429, got %d", res.StatusCode)
	}
	if retry := intHeader(t, res.Header, "Retry-After"); retry < 1 || retry > 60 {
		t.Errorf("Retry-After %d", retry)
	}
	if intHeader(t, res.Header, handlers.RateLimitLimitHeader) != limit || intHeader(t, res.Header, handlers.RateLimitRemainingHeader) != 0 ||
		intHeader(t, res.Header, handlers.RateLimitResetHeader) < 1 {
		t.Errorf("429 headers: %v", res.Header)
	}
	if res.Header.Get("Content-Type") != handlers.ProblemContentType {
		t.Errorf("429 is not a problem: %v", res.Header)
	}
}

// With a budget of 60 a minute and bursts of 3, the fourth request in a row is refused
// with Retry-After: 1, and one second later the key may call again.
func TestRateLimitRefusesAndRecovers(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		limitTo(e, 60, 60, 3)
		for i := 0; i < 3; i++ {
			rec := e.do(http.MethodGet, keyedPath, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("request %d: %d %s", i+1, rec.Code, rec.Body)
			}
			if got := intHeader(t, rec.Header(), handlers.RateLimitRemainingHeader); got != 2-i {
				t.Errorf("request %d: remaining %d, want %d", i+1, got, 2-i)
			}
			if intHeader(t, rec.Header(), handlers.RateLimitLimitHeader) != 60 || intHeader(t, rec.Header(), handlers.RateLimitResetHeader) < 1 {
				t.Errorf("request %d: headers %v", i+1, rec.Header())
			}
		}
		rec := e.do(http.MethodGet, keyedPath, nil)
		expectThrottled(t, rec, 60)
		retry, _ := strconv.Atoi(rec.Header().Get("Retry-After"))
		time.Sleep(time.Duration(retry)*time.Second + 100*time.Millisecond)
		if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusOK {
			t.Fatalf("after Retry-After: %d %s", rec.Code, rec.Body)
		}
	})
}

// Writes spend their own, stricter budget: exhausting it leaves reads untouched.
func TestWritesHaveTheirOwnBudget(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		limitTo(e, 600, 2, 10)
		for i := 0; i < 2; i++ {
			if rec := e.do(http.MethodPost, "/api/v1/forecasts", []byte(`{}`)); rec.Code == http.StatusTooManyRequests ||
				intHeader(t, rec.Header(), handlers.RateLimitLimitHeader) != 2 {
				t.Fatalf("write %d: %d %v", i+1, rec.Code, rec.Header())
			}
		}
		expectThrottled(t, e.do(http.MethodPost, "/api/v1/forecasts", []byte(`{}`)), 2)
		if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusOK || rec.Header().Get(handlers.RateLimitLimitHeader) != "600" {
			t.Fatalf("read after the write budget ran out: %d %v", rec.Code, rec.Header())
		}
	})
}

// Two API processes (two routers, two Redis clients) sharing one Redis share each
// key's budget.
func TestProcessesShareOneBudget(t *testing.T) {
	url := storetest.PostgresURL(t)
	prefix := storetest.RedisPrefix(t)
	a := newEnv(t, storetest.Config(t, url), sharedRedis(t, prefix))
	b := newEnv(t, a.cfg, sharedRedis(t, prefix))
	b.headers = a.headers // the same key
	limitTo(a, 60, 60, 3)
	for i, e := range []*env{a, b, a} {
		rec := e.do(http.MethodGet, keyedPath, nil)
		if rec.Code != http.StatusOK || intHeader(t, rec.Header(), handlers.RateLimitRemainingHeader) != 2-i {
			t.Fatalf("request %d: %d remaining %s", i+1, rec.Code, rec.Header().Get(handlers.RateLimitRemainingHeader))
		}
	}
	expectThrottled(t, b.do(http.MethodGet, keyedPath, nil), 60)
}

// Without a reachable Redis the in-process limiter still limits, and says so in the
// log; with no Redis configured at all it is the limiter from the start.
func TestRateLimitWithoutRedis(t *testing.T) {
	down, err := store.OpenCache("redis://127.0.0.1:1/0", storetest.Name("down_")+":")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	for name, cache := range map[string]store.Cache{"redis down": down, "no redis": memCache()} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, sqliteConfig(t), cache)
			logs := withLogs(e, "")
			limitTo(e, 60, 60, 3)
			for i := 0; i < 3; i++ {
				if rec := e.do(http.MethodGet, keyedPath, nil); rec.Code != http.StatusOK {
					t.Fatalf("request %d: %d %s", i+1, rec.Code, rec.Body)
				}
			}
			expectThrottled(t, e.do(http.MethodGet, keyedPath, nil), 60)
			if warned := strings.Contains(logs.String(), "rate limiting in-process"); warned != (name == "redis down") {
				t.Errorf("fallback warning logged: %v\n%s", warned, logs)
			}
		})
	}
}
