package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"geopol/handlers"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// caches are the two caches a fault test runs with: with Redis, API keys are cached
// there and requests reach the handlers while PostgreSQL is down; without it, the key
// lookup is the first query to fail.
var caches = []struct {
	name string
	open func(t *testing.T) store.Cache
}{
	{"redis", func(t *testing.T) store.Cache { return storetest.Redis(t) }},
	{"memory", func(t *testing.T) store.Cache { return memCache() }},
}

// proxiedEnv is an env on a PostgreSQL database of the test's own, reached through a
// proxy the test can cut.
func proxiedEnv(t *testing.T, cache store.Cache) (*env, *storetest.Proxy) {
	t.Helper()
	dbURL, proxy := storetest.ProxiedPostgresURL(t)
	cfg := storetest.Config(t, dbURL)
	cfg.AdminToken = "faults-admin-token-0123456789abcdef"
	return newEnv(t, cfg, cache), proxy
}

// checkUnavailable fails the test unless rec is a 503 problem with a Retry-After of a
// few seconds.
func checkUnavailable(t *testing.T, what string, rec *httptest.ResponseRecorder) {
	t.Helper()
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("%s: %d, want 503: %s", what, rec.Code, rec.Body)
		return
	}
	if ct := rec.Header().Get("Content-Type"); ct != handlers.ProblemContentType {
		t.Errorf("%s: content type %q, want %s", what, ct, handlers.ProblemContentType)
	}
	if s, err := strconv.Atoi(rec.Header().Get("Retry-After")); err != nil || s < 1 || s > 5 {
		t.Errorf("%s: Retry-After %q, want 1 to 5 seconds", what, rec.Header().Get("Retry-After"))
	}
}

// With the database cut off, every route that needs it answers 503 with Retry-After
// (never 500), with and without Redis; routes that do not need it keep answering; and
// everything works again once the database is back.
func TestProxyCutEveryRouteIs503(t *testing.T) {
	for _, c := range caches {
		t.Run(c.name, func(t *testing.T) {
			e, proxy := proxiedEnv(t, c.open(t))
			// One write before the cut: the API key is now cached in Redis (when there is
			// one), so requests get past authentication to the handlers.
			created := e.post(golden(t, "syria"), "Idempotency-Key", "before-cut")
			if created.Code != http.StatusCreated {
				t.Fatalf("POST before the cut: %d %s", created.Code, created.Body)
			}
			id := decode[struct {
				ForecastID string `json:"forecast_id"`
			}](t, created).ForecastID
			admin := []string{"Authorization", "Bearer " + e.cfg.AdminToken}

			proxy.Cut()
			for _, r := range []struct {
				method, path string
				body         []byte
				header       []string
			}{
				{"POST", "/api/v1/forecasts", golden(t, "ukraine"), []string{"Idempotency-Key", "during-cut"}},
				{"POST", "/api/v1/forecasts", golden(t, "myanmar"), nil},
				{"GET", "/api/v1/forecasts/" + id, nil, nil},
				{"GET", "/api/v1/forecasts/" + id + "/scenarios", nil, nil},
				{"GET", "/api/v1/forecasts/top", nil, nil},
				{"GET", "/api/v1/forecasts/search?q=Idlib", nil, nil},
				{"GET", "/api/v1/forecasts/country/SYR", nil, nil},
				{"POST", "/api/v1/forecasts/" + id + "/outcome", []byte(`{"outcome":1}`), nil},
				{"GET", "/api/v1/forecasts/" + id + "/outcome", nil, nil},
				{"GET", "/api/v1/countries", nil, nil},
				{"GET", "/api/v1/countries/SYR", nil, nil},
				{"GET", "/api/v1/countries/risk-map", nil, nil},
				{"GET", "/api/v1/globe/deltas", nil, nil},
				{"GET", "/api/v1/calibration/scorecard", nil, nil},
				{"GET", "/api/v1/calibration/weights", nil, nil},
				{"GET", "/api/v1/calibration/weights/global", nil, nil},
				{"GET", "/api/v1/ingest-runs", nil, nil},
				{"POST", "/api/v1/admin/keys", []byte(`{"client_name":"during-cut"}`), admin},
				{"GET", "/api/v1/admin/keys", nil, admin},
				{"DELETE", "/api/v1/admin/keys/1", nil, admin},
				{"PUT", "/api/v1/admin/forecasts/" + id + "/outcome", []byte(`{"outcome":0}`), admin},
				{"POST", "/api/v1/admin/calibrate", nil, admin},
			} {
				checkUnavailable(t, r.method+" "+r.path, e.do(r.method, r.path, r.body, r.header...))
			}
			// The GDELT event store is not the forecast database, but a key is trusted only
			// while the database that holds revocations can confirm it (within a second):
			// its routes answer from the process's key cache for that second, then 503.
			for _, path := range []string{"/api/v1/events", "/api/v1/globe/arcs"} {
				if rec := e.do("GET", path, nil); rec.Code != http.StatusOK {
					checkUnavailable(t, "GET "+path, rec)
				}
			}
			if rec := e.do("GET", "/api/v1/openapi.json", nil); rec.Code != http.StatusOK {
				t.Errorf("GET /api/v1/openapi.json with the database down: %d", rec.Code)
			}
			if rec := e.do("GET", "/api/v1/health", nil); rec.Code != http.StatusServiceUnavailable {
				t.Errorf("health with the database down: %d %s", rec.Code, rec.Body)
			}
			// Not ready (take the instance out), but alive (do not restart it).
			checkUnavailable(t, "readyz with the database down", e.do("GET", "/api/v1/readyz", nil))
			if rec := e.do("GET", "/api/v1/livez", nil); rec.Code != http.StatusOK {
				t.Errorf("livez with the database down: %d %s", rec.Code, rec.Body)
			}

			proxy.Restore()
			restored := time.Now()
			for {
				rec := e.do("GET", "/api/v1/readyz", nil)
				if rec.Code == http.StatusOK {
					break
				}
				if time.Since(restored) > time.Second {
					t.Errorf("readyz 1s after the database is back: %d %s", rec.Code, rec.Body)
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			// The retried write is stored once, under the id its key names.
			deadline := time.Now().Add(5 * time.Second)
			var retried *httptest.ResponseRecorder
			for {
				retried = e.post(golden(t, "ukraine"), "Idempotency-Key", "during-cut")
				if retried.Code != http.StatusServiceUnavailable || time.Now().After(deadline) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if retried.Code != http.StatusCreated {
				t.Fatalf("POST after the database came back: %d %s", retried.Code, retried.Body)
			}
			if again := e.post(golden(t, "ukraine"), "Idempotency-Key", "during-cut"); again.Code != http.StatusCreated ||
				again.Header().Get("Location") != retried.Header().Get("Location") {
				t.Errorf("idempotent retry: %d %s, want the same forecast %s", again.Code, again.Header().Get("Location"), retried.Header().Get("Location"))
			}
			var n int64
			if err := e.db.Model(&models.Prediction{}).Count(&n).Error; err != nil || n != 2 {
				t.Errorf("forecasts stored: %d (%v), want 2: the one before the cut and the retried one", n, err)
			}
		})
	}
}

// writeResult is one POST /forecasts answer seen by a writer.
type writeResult struct {
	status int
	err    error // a transport error: the request got no HTTP answer
	at     time.Time
}

// Sixteen clients write forecasts through a real HTTP server, each retrying on 503
// with the same Idempotency-Key until the write is acknowledged, while the database is
// cut off for 1.5 s. Every acknowledged forecast is stored, exactly once; the only
// answers are 201 and 503; and writes succeed again within a second of the database
// coming back.
func TestProxyCutConcurrentWrites(t *testing.T) {
	for _, c := range caches {
		t.Run(c.name, func(t *testing.T) { testCutWrites(t, c.open(t)) })
	}
}

func testCutWrites(t *testing.T, cache store.Cache) {
	const (
		writers  = 16
		outage   = 1500 * time.Millisecond
		before   = 500 * time.Millisecond // writing before the cut
		after    = time.Second            // writing after the restore
		giveUp   = 20 * time.Second       // one write may be retried this long
		retryGap = 20 * time.Millisecond  // clients here retry faster than Retry-After asks
	)
	e, proxy := proxiedEnv(t, cache)
	srv := httptest.NewServer(e.router)
	defer srv.Close()
	client := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: writers}}
	defer client.CloseIdleConnections()
	body := golden(t, "syria")

	var (
		stop    atomic.Bool
		mu      sync.Mutex
		results []writeResult
		acked   = map[string]string{} // Idempotency-Key -> forecast id
		bad     []string              // answers other than 201 and 503
	)
	post := func(key string) (int, string, error) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/forecasts", bytes.NewReader(body))
		if err != nil {
			return 0, "", err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(e.cfg.APIKeyHeader, e.headers.Get(e.cfg.APIKeyHeader))
		req.Header.Set("Idempotency-Key", key)
		res, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil {
			return 0, "", err
		}
		switch res.StatusCode {
		case http.StatusCreated:
			var f struct {
				ForecastID string `json:"forecast_id"`
			}
			if err := json.Unmarshal(b, &f); err != nil || f.ForecastID == "" {
				return 0, "", fmt.Errorf("201 without a forecast id: %s", b)
			}
			return res.StatusCode, f.ForecastID, nil
		case http.StatusServiceUnavailable:
			if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 || s > 5 {
				return res.StatusCode, "", fmt.Errorf("503 with Retry-After %q", res.Header.Get("Retry-After"))
			}
		}
		return res.StatusCode, string(b), nil
	}

	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key := fmt.Sprintf("cut-%d-%d", w, i)
				start := time.Now()
				for {
					status, out, err := post(key)
					mu.Lock()
					results = append(results, writeResult{status: status, err: err, at: time.Now()})
					switch {
					case err != nil:
						bad = append(bad, fmt.Sprintf("%s: %v", key, err))
					case status == http.StatusCreated:
						acked[key] = out
					case status != http.StatusServiceUnavailable:
						bad = append(bad, fmt.Sprintf("%s: %d %s", key, status, out))
					}
					mu.Unlock()
					if err != nil || status != http.StatusServiceUnavailable {
						break
					}
					if time.Since(start) > giveUp {
						mu.Lock()
						bad = append(bad, key+": still 503 after "+giveUp.String())
						mu.Unlock()
						break
					}
					time.Sleep(retryGap)
				}
			}
		}()
	}

	// Cut once writes are flowing (at least one per writer), however loaded the machine.
	for waited := time.Duration(0); ; waited += 10 * time.Millisecond {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= writers && waited >= before {
			break
		}
		if waited > 30*time.Second {
			t.Fatalf("only %d writes acknowledged before the cut in 30 s", n)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cutAt := time.Now()
	proxy.Cut()
	time.Sleep(outage)
	restoredAt := time.Now()
	proxy.Restore()
	time.Sleep(after)
	stop.Store(true)
	finished := make(chan struct{})
	go func() { wg.Wait(); close(finished) }()
	select {
	case <-finished:
	case <-time.After(giveUp + 15*time.Second):
		proxy.Restore()
		t.Fatal("writers did not finish")
	}

	var n201, n503, beforeCut int
	firstAfter := time.Duration(-1)
	for _, r := range results {
		switch r.status {
		case http.StatusCreated:
			n201++
			if r.at.Before(cutAt) {
				beforeCut++
			}
			if d := r.at.Sub(restoredAt); d >= 0 && (firstAfter < 0 || d < firstAfter) {
				firstAfter = d
			}
		case http.StatusServiceUnavailable:
			n503++
		}
	}
	t.Logf("%d writes acknowledged (%d before the cut), %d answers 503, %d other; first 201 %s after the restore",
		len(acked), beforeCut, n503, len(bad), firstAfter)
	for i, b := range bad {
		if i == 10 {
			t.Errorf("... and %d more", len(bad)-10)
			break
		}
		t.Errorf("unexpected answer: %s", b)
	}
	if beforeCut == 0 || n503 == 0 {
		t.Fatalf("the test did not exercise an outage: %d writes before the cut, %d answers 503", beforeCut, n503)
	}
	if firstAfter < 0 || firstAfter > time.Second {
		t.Errorf("first successful write %s after the database came back, want within 1s", firstAfter)
	}

	// Every acknowledged write is stored, once; nothing else is.
	ids := make([]string, 0, len(acked))
	for _, id := range acked {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if len(slices.Compact(slices.Clone(ids))) != len(ids) {
		t.Errorf("two Idempotency-Keys were acknowledged with the same forecast id")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var stored []string
	if err := e.db.WithContext(ctx).Model(&models.Prediction{}).Order("id").Pluck("id", &stored).Error; err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, id := range ids {
		if _, found := slices.BinarySearch(stored, id); !found {
			missing = append(missing, id)
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d acknowledged writes are not stored, e.g. %s", len(missing), missing[0])
	}
	if len(stored) != len(ids) {
		t.Errorf("%d forecasts stored for %d acknowledged writes", len(stored), len(ids))
	}
}
