package handlers_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"geopol/forecast"
	"geopol/store"
	"geopol/store/storetest"
)

// latencies sends n requests for each path (without the response checkers, which would
// dominate the timing) and returns their durations, failing on any answer but 200.
func latencies(t *testing.T, e *env, n int, paths ...string) []time.Duration {
	t.Helper()
	out := make([]time.Duration, 0, n*len(paths))
	for i := 0; i < n; i++ {
		for _, p := range paths {
			start := time.Now()
			rec := e.serve(httptest.NewRequest(http.MethodGet, p, nil))
			out = append(out, time.Since(start))
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d %s", p, rec.Code, rec.Body)
			}
		}
	}
	slices.Sort(out)
	return out
}

func p50(d []time.Duration) time.Duration { return d[len(d)/2] }

// Killing Redis costs a request nothing it would notice: the breaker opens on the first
// failure, later requests do not call Redis (no dial, no timeout), the cached forecast is
// still served from the process's memory and lists from the database, with at most 1 ms
// added to the median; once Redis is back, it is used again within a second.
func TestRedisDownCostsNothing(t *testing.T) {
	own := storetest.StartRedis(t)
	cache, err := store.OpenCache(own.URL(), "down:")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	rc := cache.(*store.RedisCache)
	e := newEnv(t, storetest.Config(t, storetest.PostgresURL(t)), cache)
	logs := withLogs(e, "")
	rc.SetLogger(e.server.Log)

	created := e.post(golden(t, "syria"))
	if created.Code != http.StatusCreated {
		t.Fatalf("POST: %d %s", created.Code, created.Body)
	}
	id := decode[forecast.ForecastResponse](t, created).ForecastID
	paths := []string{"/api/v1/forecasts/" + id, "/api/v1/forecasts/country/SY", "/api/v1/forecasts/top"}
	waitKeyCached(t, e)
	latencies(t, e, 20, paths...) // warm: entries cached, pools open
	up := latencies(t, e, 150, paths...)

	own.Stop()
	// The requests that meet the dead Redis first: the breaker opens at the first call
	// that fails (answers served from process memory make none).
	var first []time.Duration
	for deadline := time.Now().Add(5 * time.Second); rc.Available(); {
		first = append(first, latencies(t, e, 1, paths...)...)
		if time.Now().After(deadline) {
			t.Fatal("the breaker is still closed 5 s after Redis died")
		}
	}
	slices.Sort(first)
	calls := &callCounter{}
	rc.Client.AddHook(calls)
	down := latencies(t, e, 150, paths...)
	t.Logf("p50 with Redis %v, without %v; slowest without %v (slowest before the breaker opened %v)",
		p50(up), p50(down), down[len(down)-1], first[len(first)-1])
	if added := p50(down) - p50(up); added > time.Millisecond {
		t.Errorf("Redis down adds %v to the median request, want at most 1 ms", added)
	}
	// While the breaker is open only its probe talks to Redis: no request dials it or
	// waits on a timeout.
	if n, dials := calls.commands.Load(), calls.dials.Load(); n != 0 {
		t.Errorf("requests sent %d commands to the dead Redis (%d dials) while the breaker was open", n, dials)
	}
	if !containsAll(logs.String(), "redis unreachable", "rate limiting in-process") {
		t.Errorf("the outage is not logged:\n%s", logs)
	}

	own.Start()
	back := time.Now()
	for !rc.Available() {
		if time.Since(back) > time.Second {
			t.Fatalf("Redis answered %v ago and the breaker is still open", time.Since(back))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("Redis used again %v after it came back", time.Since(back))
	// And the requests really go through it again: a list is cached in the new Redis.
	latencies(t, e, 1, paths...)
	raw := redis.NewClient(&redis.Options{Addr: own.Addr()})
	defer raw.Close()
	if keys, err := raw.Keys(context.Background(), "down:*").Result(); err != nil || len(keys) == 0 {
		t.Fatalf("nothing cached in Redis after its return: %v %v", keys, err)
	}
}

// callCounter counts the commands a Redis client sends, except the breaker's probe
// (PING), and its dials.
type callCounter struct{ commands, dials atomic.Int64 }

func (c *callCounter) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c.dials.Add(1)
		return next(ctx, network, addr)
	}
}

func (c *callCounter) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if cmd.Name() != "ping" {
			c.commands.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (c *callCounter) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		c.commands.Add(int64(len(cmds)))
		return next(ctx, cmds)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
