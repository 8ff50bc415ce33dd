package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/config"
	"geopol/store/storetest"
)

// The server processes are the test binary re-run as `geopol serve` through
// TestChildServe (drain_test.go) with childServeEnv set.

const processesAdminToken = "processes-test-admin-token-5e4d3c2b1a09"

// lockedBuffer collects a child's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is one `geopol serve` process.
type procServer struct {
	base string
	cmd  *exec.Cmd
	out  *lockedBuffer
}

var processClient = &http.Client{Timeout: 10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 16}}

// startServers starts n `geopol serve` processes on the database and cache cfg names,
// with extra environment, and waits until each answers /health. They are stopped
// (SIGTERM) when the test ends.
func startServers(t *testing.T, n int, cfg *config.Config, extra ...string) []*procServer {
	t.Helper()
	var out []*procServer
	for i := 0; i < n; i++ {
		port := storetest.FreePort(t)
		s := &procServer{base: "http://127.0.0.1:" + strconv.Itoa(port), out: &lockedBuffer{}}
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildServe$")
		cmd.Dir = t.TempDir() // no config.yaml or .env of the checkout
		cmd.Env = append(os.Environ(), childServeEnv+"=1", "ENVIRONMENT=testing",
			// The tests send revoked keys over and over: failed-credential throttling
			// (tested in handlers) would turn their 401s into 429s.
			"AUTH_FAILURES_PER_MINUTE=1000000", "CONFIG_FILE=-absent-", "ENV_FILE=-absent-",
			"HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port), "DATABASE_URL="+cfg.DatabaseURL, "SQLITE_PATH="+cfg.SQLitePath,
			"GDELT_DB_PATH="+cfg.GDELTDBPath, "REDIS_URL="+cfg.RedisURL, "CACHE_PREFIX="+cfg.CachePrefix,
			"AUTO_MIGRATE=false", "LOG_LEVEL=warn", "ADMIN_TOKEN="+processesAdminToken)
		cmd.Env = append(cmd.Env, extra...)
		cmd.Stdout, cmd.Stderr = s.out, s.out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		s.cmd = cmd
		t.Cleanup(func() {
			_ = cmd.Process.Signal(syscall.SIGTERM)
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				_ = cmd.Process.Kill()
				<-done
			}
			if t.Failed() {
				t.Logf("server %s output:\n%s", s.base, s.out)
			}
		})
		out = append(out, s)
	}
	for _, s := range out {
		deadline := time.Now().Add(60 * time.Second)
		for {
			res, err := processClient.Get(s.base + "/api/v1/health")
			if err == nil {
				res.Body.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("server %s never answered: %v\n%s", s.base, err, s.out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return out
}

// call sends a keyed GET to /forecasts/top and returns the status.
func (s *procServer) call(t *testing.T, key string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, s.base+"/api/v1/forecasts/top", nil)
	req.Header.Set("X-API-Key", key)
	res, err := processClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", s.base, err)
	}
	res.Body.Close()
	return res.StatusCode
}

// use calls each server with key for a while, so each knows it (key cache filled and
// checked), failing unless every answer is 200.
func use(t *testing.T, key string, servers ...*procServer) {
	t.Helper()
	for end := time.Now().Add(700 * time.Millisecond); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		for _, s := range servers {
			if code := s.call(t, key); code != http.StatusOK {
				t.Fatalf("%s: a valid key got %d", s.base, code)
			}
		}
	}
}

// refusedWithin polls every server until it refuses key, failing when one still accepts
// it limit after since; then it checks that the refusals hold.
func refusedWithin(t *testing.T, key string, since time.Time, limit time.Duration, servers ...*procServer) {
	t.Helper()
	for _, s := range servers {
		for {
			code := s.call(t, key)
			if code == http.StatusUnauthorized {
				break
			}
			if code != http.StatusOK {
				t.Fatalf("%s: %d", s.base, code)
			}
			if time.Since(since) > limit {
				t.Fatalf("%s still accepts the key %v after its revocation", s.base, time.Since(since))
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Logf("%s refuses the key %v after its revocation", s.base, time.Since(since).Round(time.Millisecond))
	}
}

// stillRefused checks for a while that no server accepts key.
func stillRefused(t *testing.T, key string, d time.Duration, servers ...*procServer) {
	t.Helper()
	for end := time.Now().Add(d); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		for _, s := range servers {
			if code := s.call(t, key); code != http.StatusUnauthorized {
				t.Fatalf("%s accepts the revoked key again: %d", s.base, code)
			}
		}
	}
}

// Two API processes on one database (one SQLite file; or PostgreSQL with Redis) serve
// keys from their key caches, and a revocation reaches both: through process A's admin
// route, A refuses the key on its next request and B within a second; through the
// database alone (the CLI), both within a second. With Redis, a revocation made while
// Redis is down holds after Redis returns.
func TestRevocationAcrossProcesses(t *testing.T) {
	t.Run("embedded", func(t *testing.T) {
		cfg := storetest.Config(t, "")
		testRevocationAcrossProcesses(t, cfg, storetest.Open(t, cfg), nil)
	})
	t.Run("postgres+redis", func(t *testing.T) {
		cfg := storetest.Config(t, storetest.PostgresURL(t))
		own := storetest.StartRedis(t)
		cfg.RedisURL, cfg.CachePrefix = own.URL(), "revocation:"
		testRevocationAcrossProcesses(t, cfg, storetest.Open(t, cfg), own)
	})
}

func testRevocationAcrossProcesses(t *testing.T, cfg *config.Config, db *gorm.DB, own *storetest.OwnRedis) {
	ctx := context.Background()
	keyA, rowA, err := apikey.Create(ctx, db, "revoked-by-admin")
	if err != nil {
		t.Fatal(err)
	}
	keyB, rowB, err := apikey.Create(ctx, db, "revoked-by-cli")
	if err != nil {
		t.Fatal(err)
	}
	servers := startServers(t, 2, cfg)
	a, b := servers[0], servers[1]
	use(t, keyA, a, b)
	use(t, keyB, a, b)

	req, _ := http.NewRequest(http.MethodDelete, a.base+"/api/v1/admin/keys/"+strconv.FormatInt(rowA.ID, 10), nil)
	req.Header.Set("Authorization", "Bearer "+processesAdminToken)
	res, err := processClient.Do(req)
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke through A: %v %v", res, err)
	}
	res.Body.Close()
	revoked := time.Now()
	if code := a.call(t, keyA); code != http.StatusUnauthorized {
		t.Fatalf("A accepts the key it revoked: %d", code)
	}
	refusedWithin(t, keyA, revoked, time.Second, b)

	if own != nil {
		own.Stop() // a partition: both processes lose Redis
		for _, s := range servers {
			if code := s.call(t, keyB); code != http.StatusOK {
				t.Fatalf("%s without Redis: %d", s.base, code)
			}
		}
	}
	if _, err := apikey.Revoke(ctx, db, rowB.ID); err != nil { // as `geopol apikey revoke` does
		t.Fatal(err)
	}
	refusedWithin(t, keyB, time.Now(), time.Second, a, b)
	if own != nil {
		own.Start()
		stillRefused(t, keyB, 1500*time.Millisecond, a, b)
	}
	stillRefused(t, keyA, 100*time.Millisecond, a, b)
}

// Three API processes sharing one Redis give a key its budget, within 10%, however its
// requests are spread: each process spends leases of the shared budget locally.
func TestBudgetSharedByThreeProcesses(t *testing.T) {
	cfg := storetest.Config(t, storetest.PostgresURL(t))
	cfg.RedisURL, cfg.CachePrefix = storetest.RedisURL(t), storetest.RedisPrefix(t)
	db := storetest.Open(t, cfg)
	key, _, err := apikey.Create(context.Background(), db, "three-processes")
	if err != nil {
		t.Fatal(err)
	}
	const perMinute, burst = 6000, 50 // 100 a second
	servers := startServers(t, 3, cfg, "RATE_LIMIT_PER_MINUTE="+strconv.Itoa(perMinute),
		"RATE_LIMIT_BURST="+strconv.Itoa(burst))

	var allowed, refused atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	end := start.Add(4 * time.Second)
	for _, s := range servers {
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for time.Now().Before(end) {
					switch code := s.call(t, key); code {
					case http.StatusOK:
						allowed.Add(1)
					case http.StatusTooManyRequests:
						refused.Add(1)
					default:
						t.Errorf("%s: %d", s.base, code)
						return
					}
				}
			}()
		}
	}
	wg.Wait()
	// The budget accrues while clients send: until end (a request still in flight then,
	// one per client at most, may be admitted a little later).
	elapsed := end.Sub(start)
	want := float64(burst) + float64(perMinute)/60*elapsed.Seconds()
	got := float64(allowed.Load())
	t.Logf("%d admitted, %d refused in %v across 3 processes; the budget is %.0f", allowed.Load(), refused.Load(), elapsed, want)
	if got < 0.9*want || got > 1.1*want {
		t.Errorf("the key got %.0f requests, its budget is %.0f (want within 10%%)", got, want)
	}
	if refused.Load() == 0 {
		t.Error("nothing was refused: the test did not exceed the budget")
	}
}
