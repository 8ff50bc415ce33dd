package handlers

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/forecast"
	"geopol/logging"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// Benchmarks of the read paths on PostgreSQL with benchRows forecasts in the table:
//
//	go test ./handlers -run '^$' -bench . -benchtime 2000x
//
// BENCH_ROWS overrides the table size (default 100000).
const benchCountry = "SYR"

// benchEnv builds a PostgreSQL database holding n forecasts, a fifth of them for
// benchCountry, inserted in batches.
func benchEnv(b *testing.B) (*gorm.DB, []string) {
	b.Helper()
	n := 100_000
	if v := os.Getenv("BENCH_ROWS"); v != "" {
		if _, err := fmt.Sscan(v, &n); err != nil {
			b.Fatal(err)
		}
	}
	db := storetest.Postgres(b)
	now := store.Now()
	reqs := forecast.RandomForecasts(42, 1000)
	rows := make([]*models.Prediction, 0, 1000)
	var ids []string
	for i := 0; i < n; i++ {
		req := *reqs[i%len(reqs)]
		if i%5 == 0 {
			c := benchCountry
			req.CountryISO = &c
		}
		row, err := req.Row(uuid.NewString(), now.Add(-time.Duration(i)*time.Second))
		if err != nil {
			b.Fatal(err)
		}
		rows = append(rows, row)
		if len(rows) == cap(rows) || i == n-1 {
			if err := db.CreateInBatches(rows, 500).Error; err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
		if len(ids) < 1000 {
			ids = append(ids, row.ID)
		}
	}
	if err := db.Exec("ANALYZE predictions").Error; err != nil {
		b.Fatal(err)
	}
	return db, ids
}

// benchHandler is the real router with a valid API key attached to every request, so
// the numbers include authentication and rate limiting.
type benchHandler struct {
	h      http.Handler
	header string
	key    string
	s      *Server
}

func benchServer(b *testing.B, db *gorm.DB, cache store.Cache, ttl time.Duration) benchHandler {
	cfg := storetest.Config(b, "")
	cfg.CacheTTLForecast, cfg.CacheTTLList, cfg.CacheTTLSummary = ttl, ttl, ttl
	cfg.RateLimitPerMinute, cfg.RateLimitPostPerMinute, cfg.RateLimitBurst = 1_000_000_000, 1_000_000_000, 1_000_000_000
	key, _, err := apikey.Create(context.Background(), db, "benchmark")
	if err != nil {
		b.Fatal(err)
	}
	// The logger serve builds, at serve's default level: every request writes its access
	// line (here into io.Discard).
	s := &Server{Config: cfg, DB: db, Cache: cache, Log: logging.New(io.Discard, slog.LevelInfo, false)}
	return benchHandler{h: NewRouter(s), header: cfg.APIKeyHeader, key: key, s: s}
}

func get(b *testing.B, h benchHandler, path string) {
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set(h.header, h.key)
	h.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
	}
}

func BenchmarkForecastRead(b *testing.B) {
	db, ids := benchEnv(b)
	for _, bc := range []struct {
		name  string
		cache store.Cache
		ttl   time.Duration
	}{
		{"uncached", store.NewMemoryCache("", 10), 0}, // a zero TTL stores nothing
		{"cached-memory", store.NewMemoryCache("", 10_000), time.Hour},
		{"cached-redis", storetest.Redis(b), time.Hour},
	} {
		h := benchServer(b, db, bc.cache, bc.ttl)
		for _, id := range ids { // warm the cache: the cached cases then measure hits only
			get(b, h, "/api/v1/forecasts/"+id)
		}
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				get(b, h, "/api/v1/forecasts/"+ids[i%len(ids)])
			}
		})
	}
}

// BenchmarkCountryPage compares page one of a country list with a page deep inside it:
// with keyset pagination both are one index range scan of `limit` rows.
func BenchmarkCountryPage(b *testing.B) {
	db, _ := benchEnv(b)
	h := benchServer(b, db, store.NewMemoryCache("", 10), 0) // measure the database, not the cache
	var total int64
	db.Model(&models.Prediction{}).Where("country_iso = ?", benchCountry).Count(&total)
	var deep models.Prediction
	if err := db.Where("country_iso = ?", benchCountry).Order("created_at DESC, id DESC").
		Offset(int(total) - 20).Take(&deep).Error; err != nil {
		b.Fatal(err)
	}
	cursorKey, err := h.s.cursorKey(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	cur := cursor{createdAt: deep.CreatedAt, id: deep.ID}.encode(cursorKey, "country:"+benchCountry)
	b.Logf("%d forecasts for %s; deep page starts after row %d", total, benchCountry, total-20)
	for name, path := range map[string]string{
		"page-1":    "/api/v1/forecasts/country/" + benchCountry + "?limit=10",
		"deep-page": "/api/v1/forecasts/country/" + benchCountry + "?limit=10&cursor=" + cur,
	} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				get(b, h, path)
			}
		})
	}
}
