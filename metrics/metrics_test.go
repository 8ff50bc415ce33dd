package metrics_test

import (
	"context"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/forecast/forecasttest"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/metrics"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

func init() { gin.SetMode(gin.TestMode) }

// scrape returns the text exposition of a registry built over db.
func scrape(t *testing.T, db *gorm.DB) string {
	t.Helper()
	reg, err := metrics.NewRegistry(metrics.Options{DB: db, Log: storetest.Logger()})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	metrics.Handler(reg).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

// value returns the sample named exactly series (name and labels, as exposed), or NaN.
func value(text, series string) float64 {
	for _, line := range strings.Split(text, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err == nil {
				return v
			}
		}
	}
	return math.NaN()
}

// Requests are recorded by route template and status, never by raw path; cache reads
// by key kind; and a 429 by the limit that refused it.
func TestRequestCacheAndRateLimitMetrics(t *testing.T) {
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	gs, err := gdelt.Open(context.Background(), cfg.GDELTDBPath, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	cfg.RateLimitPerMinute, cfg.RateLimitBurst = 3, 3
	ids := forecasttest.Seed(t, db, forecasttest.Options{N: 2, Seed: 7})
	router := handlers.NewRouter(&handlers.Server{Config: cfg, DB: db, GDELT: gs,
		Cache: metrics.InstrumentCache(store.NewMemoryCache("", 1000)), Log: storetest.Logger()})
	key, _, err := apikey.Create(context.Background(), db, "metrics-test")
	if err != nil {
		t.Fatal(err)
	}
	before := scrape(t, nil)
	do := func(path string) int {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Header.Set(cfg.APIKeyHeader, key)
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		return rec.Code
	}
	for _, p := range []string{"/api/v1/forecasts/" + ids[0], "/api/v1/forecasts/" + ids[0], "/api/v1/forecasts/" + ids[1], "/api/v1/forecasts/" + ids[1]} {
		do(p)
	}
	if code := do("/api/v1/no-such-route/" + ids[0]); code != http.StatusNotFound && code != http.StatusTooManyRequests {
		t.Fatalf("unknown route: %d", code)
	}
	after := scrape(t, nil)
	delta := func(series string) float64 {
		b := value(before, series)
		if math.IsNaN(b) {
			b = 0
		}
		return value(after, series) - b
	}
	if d := delta(`geopol_http_request_duration_seconds_count{method="GET",route="/api/v1/forecasts/:id",status="200"}`); d != 3 {
		t.Errorf("200s of GET /api/v1/forecasts/:id recorded: %v, want 3 (the budget of 3)", d)
	}
	if d := delta(`geopol_ratelimit_denied_total{limit="key_read"}`); d != 1 {
		t.Errorf("key_read denials: %v, want 1", d)
	}
	if d := delta(`geopol_http_request_duration_seconds_count{method="GET",route="/api/v1/forecasts/:id",status="429"}`); d != 1 {
		t.Errorf("429s recorded: %v, want 1", d)
	}
	if d := delta(`geopol_cache_requests_total{kind="forecast",result="hit"}`); d != 1 {
		t.Errorf("forecast cache hits: %v, want 1 (the second read of the first forecast)", d)
	}
	if d := delta(`geopol_cache_requests_total{kind="forecast",result="miss"}`); d != 2 {
		t.Errorf("forecast cache misses: %v, want 2", d)
	}
	if !strings.Contains(after, `route="unmatched"`) {
		t.Error("a request that matched no route is not recorded as route=\"unmatched\"")
	}
	for _, leak := range []string{ids[0], ids[1], key, "no-such-route"} {
		if strings.Contains(after, leak) {
			t.Errorf("/metrics exposes %q: labels must be route templates, never raw paths or keys", leak)
		}
	}
	if value(after, "geopol_http_requests_in_flight") != 0 {
		t.Error("requests in flight after every request ended")
	}
}

// Ingest runs, resolved forecasts and their Brier score come from the database at
// scrape time, on both dialects, with the pool statistics.
func TestDatabaseMetrics(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		now := store.Now()
		done := now.Add(-90 * time.Second)
		older := now.Add(-time.Hour)
		for _, r := range []*models.IngestRun{
			{Source: "gdelt", StartedAt: older, CompletedAt: &older, Status: models.IngestSuccess, EventsFetched: 10, EventsNew: 7, EventsDuplicate: 3},
			{Source: "gdelt", StartedAt: done, CompletedAt: &done, Status: models.IngestSuccess, EventsFetched: 5, EventsNew: 5},
			{Source: "gdelt", StartedAt: now, CompletedAt: &now, Status: models.IngestFailed},
		} {
			if err := db.Create(r).Error; err != nil {
				t.Fatal(err)
			}
		}
		forecasttest.Seed(t, db, forecasttest.Options{N: 300, Seed: 11, Resolved: 0.6, Overconfidence: 0.3})
		var want []struct {
			Category string
			N        int
			Brier    float64
		}
		if err := db.Table("outcome_records AS o").Joins("JOIN predictions AS p ON p.id = o.prediction_id").
			Where("o.status = 'resolved'").Group("p.category").
			Select("p.category, COUNT(*) AS n, AVG((p.probability - o.outcome) * (p.probability - o.outcome)) AS brier").
			Scan(&want).Error; err != nil {
			t.Fatal(err)
		}
		text := scrape(t, db)
		for series, v := range map[string]float64{
			`geopol_ingest_runs_total{status="success"}`:     2,
			`geopol_ingest_runs_total{status="failed"}`:      1,
			`geopol_ingest_runs_total{status="running"}`:     0,
			`geopol_ingest_events_total{status="new"}`:       12,
			`geopol_ingest_events_total{status="duplicate"}`: 3,
			`geopol_metrics_database_up`:                     1,
			`geopol_ingest_last_success_timestamp_seconds`:   float64(done.UnixMilli()) / 1000,
		} {
			if got := value(text, series); math.Abs(got-v) > 1e-6 {
				t.Errorf("%s = %v, want %v", series, got, v)
			}
		}
		if age := value(text, "geopol_ingest_seconds_since_last_success"); age < 89 || age > 150 {
			t.Errorf("seconds since the last successful ingest = %v, want about 90", age)
		}
		if len(want) < 3 {
			t.Fatalf("seeded categories: %+v", want)
		}
		for _, c := range want {
			if got := value(text, `geopol_forecasts_resolved{category="`+c.Category+`"}`); got != float64(c.N) {
				t.Errorf("resolved %s = %v, want %d", c.Category, got, c.N)
			}
			if got := value(text, `geopol_brier_score{category="`+c.Category+`"}`); math.Abs(got-c.Brier) > 1e-9 {
				t.Errorf("brier %s = %v, want %v", c.Category, got, c.Brier)
			}
		}
		if !regexp.MustCompile(`(?m)^go_sql_max_open_connections\{db_name="forecast"\} `).MatchString(text) {
			t.Error("no connection pool statistics (go_sql_*{db_name=\"forecast\"})")
		}
	})
}

// The listener serves /metrics only, and a busy address is named with its setting.
func TestServeMetricsListener(t *testing.T) {
	reg, err := metrics.NewRegistry(metrics.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if _, err := metrics.Serve(context.Background(), addr, reg, storetest.Logger()); err == nil || !strings.Contains(err.Error(), "METRICS_ADDR") {
		t.Errorf("busy address: error %v, want one naming METRICS_ADDR", err)
	}
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	stop, err := metrics.Serve(ctx, addr, reg, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") {
		t.Errorf("GET /metrics: %d", code)
	}
	if code, _ := get("/api/v1/health"); code != 404 {
		t.Errorf("GET /api/v1/health on the metrics listener: %d, want 404", code)
	}
	cancel()
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := http.Get("http://" + addr + "/metrics"); err != nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Error("the metrics listener still answers after its context ended")
}
