package handlers_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"geopol/forecast"
	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

// A new forecast shows up at once in every cached view it belongs to, not after a TTL.
func TestPostInvalidatesCachedViews(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		if rec := e.post(golden(t, "syria")); rec.Code != http.StatusCreated {
			t.Fatal(rec.Body)
		}
		views := []string{"/api/v1/forecasts/country/SYR", "/api/v1/forecasts/top?sort=recency",
			"/api/v1/countries", "/api/v1/countries/SYR", "/api/v1/countries/risk-map"}
		before := map[string]string{}
		for _, v := range views {
			rec := e.do(http.MethodGet, v, nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: %d", v, rec.Code)
			}
			before[v] = rec.Body.String()
			// Served again from the cache: identical.
			if again := e.do(http.MethodGet, v, nil); again.Body.String() != before[v] {
				t.Fatalf("%s changed without a write", v)
			}
		}
		// A second Syrian forecast, with the highest probability and newest.
		body := mutate(t, func(m map[string]any) {
			m["question"] = "Will Turkey launch a new cross-border operation into northern Syria?"
			m["probability"] = 0.93
			m["cameo_root_code"] = "20"
		})
		rec := e.post(body)
		if rec.Code != http.StatusCreated {
			t.Fatal(rec.Body)
		}
		for _, v := range views {
			if after := e.do(http.MethodGet, v, nil); after.Body.String() == before[v] {
				t.Errorf("%s still serves the cached view after a POST", v)
			}
		}
		sum := decode[forecast.CountryRiskSummary](t, e.do(http.MethodGet, "/api/v1/countries/SYR", nil))
		if sum.ForecastCount != 2 || sum.TopProbability == nil || *sum.TopProbability != 0.93 {
			t.Errorf("summary after POST: %+v", sum)
		}
	})
}

func TestETagAndNotModified(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	created := decode[forecast.ForecastResponse](t, e.post(golden(t, "myanmar")))
	for path, cacheControl := range map[string]string{
		"/api/v1/forecasts/" + created.ForecastID: "private, max-age=300",
		"/api/v1/forecasts/country/MMR":           "private, no-cache",
		"/api/v1/countries/MM":                    "private, no-cache",
	} {
		rec := e.do(http.MethodGet, path, nil)
		etag := rec.Header().Get("ETag")
		if rec.Code != http.StatusOK || etag == "" || rec.Header().Get("Cache-Control") != cacheControl {
			t.Fatalf("%s: %d etag=%q cache-control=%q", path, rec.Code, etag, rec.Header().Get("Cache-Control"))
		}
		if nm := e.do(http.MethodGet, path, nil, "If-None-Match", etag); nm.Code != http.StatusNotModified || nm.Body.Len() != 0 {
			t.Errorf("%s with matching If-None-Match: %d", path, nm.Code)
		}
		if other := e.do(http.MethodGet, path, nil, "If-None-Match", `"stale"`); other.Code != http.StatusOK {
			t.Errorf("%s with a stale ETag: %d", path, other.Code)
		}
	}
}

// With Redis unreachable every endpoint still answers from the database.
func TestRedisDownDegradesToDatabase(t *testing.T) {
	down, err := store.OpenCache("redis://127.0.0.1:1/0", "t:")
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	e := newEnv(t, sqliteConfig(t), down)
	created := e.post(golden(t, "syria"))
	if created.Code != http.StatusCreated {
		t.Fatalf("POST with Redis down: %d %s", created.Code, created.Body)
	}
	id := decode[forecast.ForecastResponse](t, created).ForecastID
	for _, path := range []string{"/api/v1/forecasts/" + id, "/api/v1/forecasts/" + id + "/scenarios",
		"/api/v1/forecasts/country/SYR", "/api/v1/forecasts/top", "/api/v1/countries",
		"/api/v1/countries/SYR", "/api/v1/countries/risk-map"} {
		if rec := e.do(http.MethodGet, path, nil); rec.Code != http.StatusOK {
			t.Errorf("%s with Redis down: %d %s", path, rec.Code, rec.Body)
		}
	}
}

// Entries really come from the cache: a row changed behind the API's back stays hidden
// until its entry expires or is invalidated.
func TestForecastIsServedFromCache(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	created := decode[forecast.ForecastResponse](t, e.post(golden(t, "ukraine")))
	path := "/api/v1/forecasts/" + created.ForecastID
	first := e.do(http.MethodGet, path, nil).Body.String()
	if err := e.db.Exec("UPDATE predictions SET question = ? WHERE id = ?", "Changed behind the cache?", created.ForecastID).Error; err != nil {
		t.Fatal(err)
	}
	if again := e.do(http.MethodGet, path, nil).Body.String(); again != first {
		t.Fatal("second read did not come from the cache")
	}
	if err := e.cache.Delete(context.Background(), "v3:forecast:"+created.ForecastID); err != nil {
		t.Fatal(err)
	}
	if fresh := decode[forecast.ForecastResponse](t, e.do(http.MethodGet, path, nil)); fresh.Question != "Changed behind the cache?" {
		t.Fatalf("after eviction: %q", fresh.Question)
	}
}

// Two processes sharing Redis keep lists in memory, and a POST through one reaches the
// other's copy through the announced generation: the new forecast shows there within
// milliseconds (the test allows a second), not after the list's TTL.
func TestPostReachesAnotherProcessesLists(t *testing.T) {
	url := storetest.PostgresURL(t)
	prefix := storetest.RedisPrefix(t)
	a := newEnv(t, storetest.Config(t, url), sharedRedis(t, prefix))
	b := newEnv(t, a.cfg, sharedRedis(t, prefix))
	b.headers = a.headers
	if rec := a.post(golden(t, "syria")); rec.Code != http.StatusCreated {
		t.Fatal(rec.Body)
	}
	path := "/api/v1/forecasts/country/SYR"
	for i := 0; i < 5; i++ { // b caches the list, learns the generation, subscribes
		if rec := b.do(http.MethodGet, path, nil); rec.Code != http.StatusOK || len(decode[handlers.Page[forecast.ForecastResponse]](t, rec).Items) != 1 {
			t.Fatalf("b: %d %s", rec.Code, rec.Body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	created := a.post(mutate(t, func(m map[string]any) { m["question"] = "Will a second Syrian question be asked?" }))
	if created.Code != http.StatusCreated {
		t.Fatal(created.Body)
	}
	posted := time.Now()
	for {
		page := decode[handlers.Page[forecast.ForecastResponse]](t, b.do(http.MethodGet, path, nil))
		if len(page.Items) == 2 {
			t.Logf("the other process lists the new forecast %v after the POST", time.Since(posted))
			return
		}
		if time.Since(posted) > time.Second {
			t.Fatalf("the other process still lists %d forecasts %v after the POST", len(page.Items), time.Since(posted))
		}
		time.Sleep(time.Millisecond)
	}
}
