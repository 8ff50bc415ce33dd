package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"geopol/config"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// newServer wires a Server on real stores: the given database, the event store cfg names
// (PostgreSQL at GDELT_DATABASE_URL, else a fresh GDELT file) and the given cache.
func newServer(t *testing.T, cfg *config.Config, db *gorm.DB, cache store.Cache) *handlers.Server {
	t.Helper()
	gs, err := gdelt.OpenConfigured(context.Background(), cfg, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gs.Close() })
	s := &handlers.Server{Config: cfg, DB: db, GDELT: gs, Cache: cache, Log: storetest.Logger()}
	// Pending last_used_at writes go out before the test closes the database.
	t.Cleanup(func() { _ = s.FlushUsage(context.Background()) })
	return s
}

// healthBody is a health response with its subsystems also indexed by name.
type healthBody struct {
	handlers.HealthResponse
	Checks map[string]handlers.SubsystemStatus
}

// getHealth reads /health as an operator, with the admin token, so details are shown.
func getHealth(t *testing.T, s *handlers.Server) (int, healthBody) {
	t.Helper()
	if s.Config.AdminToken == "" {
		s.Config.AdminToken = "health-admin-token-0123456789abcdef"
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/api/v1/health", nil)
	req.Header.Set("Authorization", "Bearer "+s.Config.AdminToken)
	handlers.NewRouter(s).ServeHTTP(rec, req)
	var body healthBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body.HealthResponse); err != nil {
		t.Fatalf("health body: %v: %s", err, rec.Body)
	}
	if body.Timestamp.IsZero() || body.Version == "" {
		t.Errorf("health lacks timestamp or version: %s", rec.Body)
	}
	want := []string{"database", "cache", "gdelt_store", "last_ingest", "last_prediction", "calibration"}
	if len(body.Subsystems) != len(want) {
		t.Fatalf("%d subsystems, want %d: %s", len(body.Subsystems), len(want), rec.Body)
	}
	body.Checks = map[string]handlers.SubsystemStatus{}
	for i, c := range body.Subsystems {
		if c.Name != want[i] {
			t.Errorf("subsystem %d is %s, want %s", i, c.Name, want[i])
		}
		if c.Detail == nil || *c.Detail == "" || c.CheckedAt.IsZero() {
			t.Errorf("subsystem %s lacks detail or checked_at: %+v", c.Name, c)
		}
		body.Checks[c.Name] = c
	}
	return rec.Code, body
}

func TestHealthHealthyWithRecentIngest(t *testing.T) {
	for _, tc := range []struct {
		name  string
		url   func(t *testing.T) string
		cache func(t *testing.T) store.Cache
	}{
		{"sqlite+memory", func(*testing.T) string { return "" }, func(*testing.T) store.Cache { return store.NewMemoryCache("", 10) }},
		{"postgres+redis", func(t *testing.T) string { return storetest.PostgresURL(t) }, func(t *testing.T) store.Cache { return storetest.Redis(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := storetest.Config(t, tc.url(t))
			db := storetest.Open(t, cfg)
			s := newServer(t, cfg, db, tc.cache(t))

			code, body := getHealth(t, s)
			if code != http.StatusOK || body.Status != handlers.StatusDegraded || body.Checks["last_ingest"].Healthy {
				t.Fatalf("no ingest yet: want 200 degraded with last_ingest unhealthy, got %d %+v", code, body)
			}

			done := store.Now().Add(-5 * time.Minute)
			if err := db.Create(&models.IngestRun{StartedAt: done.Add(-time.Minute), CompletedAt: &done, Status: models.IngestSuccess}).Error; err != nil {
				t.Fatal(err)
			}
			code, body = getHealth(t, s)
			if code != http.StatusOK || body.Status != handlers.StatusHealthy {
				t.Fatalf("want 200 healthy, got %d %+v", code, body)
			}
		})
	}
}

func TestHealthStaleIngestIsDegraded(t *testing.T) {
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	old := store.Now().Add(-3 * time.Hour)
	if err := db.Create(&models.IngestRun{StartedAt: old, CompletedAt: &old, Status: models.IngestSuccess}).Error; err != nil {
		t.Fatal(err)
	}
	code, body := getHealth(t, newServer(t, cfg, db, store.NewMemoryCache("", 10)))
	if code != http.StatusOK || body.Status != handlers.StatusDegraded || body.Checks["last_ingest"].Healthy {
		t.Fatalf("stale ingest: got %d %+v", code, body)
	}
}

func TestHealthRedisDownIsDegraded(t *testing.T) {
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	cache, err := store.OpenCache("redis://127.0.0.1:1/0", "t:")
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	code, body := getHealth(t, newServer(t, cfg, db, cache))
	if code != http.StatusOK || body.Status != handlers.StatusDegraded || body.Checks["cache"].Healthy || !body.Checks["database"].Healthy {
		t.Fatalf("redis down: got %d %+v", code, body)
	}
}

func TestHealthDatabaseDownIs503(t *testing.T) {
	cfg := storetest.Config(t, "")
	// Nothing listens on port 1: the pool opens lazily and every ping fails.
	db, err := gorm.Open(postgres.Open("postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"),
		&gorm.Config{DisableAutomaticPing: true})
	if err != nil {
		t.Fatal(err)
	}
	code, body := getHealth(t, newServer(t, cfg, db, store.NewMemoryCache("", 10)))
	if code != http.StatusServiceUnavailable || body.Status != handlers.StatusUnhealthy || body.Checks["database"].Healthy {
		t.Fatalf("database down: got %d %+v", code, body)
	}
}

// Without the admin token /health says each subsystem's state only: no paths, ids,
// addresses or errors; a wrong token is treated as none.
func TestHealthPublicHidesDetails(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.AdminToken = "health-admin-token-0123456789abcdef"
	s := newServer(t, cfg, storetest.Open(t, cfg), store.NewMemoryCache("", 10))
	for _, auth := range []string{"", "Bearer wrong-token", "Bearer"} {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodGet, "/api/v1/health", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		handlers.NewRouter(s).ServeHTTP(rec, req)
		var body handlers.HealthResponse
		if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || len(body.Subsystems) != 6 {
			t.Fatalf("%q: %v %s", auth, err, rec.Body)
		}
		for _, sub := range body.Subsystems {
			if sub.Detail != nil {
				t.Errorf("%q: subsystem %s shows its detail %q without the admin token", auth, sub.Name, *sub.Detail)
			}
		}
		if strings.Contains(rec.Body.String(), cfg.GDELTDBPath) {
			t.Errorf("%q: the GDELT path leaks: %s", auth, rec.Body)
		}
	}
}

// A run that failed after the newest success (a file with no valid row, a --watch poll
// that could not read the feed) degrades last_ingest at once, naming the failure; the
// next success clears it.
func TestHealthNewestRunFailedIsDegraded(t *testing.T) {
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	s := newServer(t, cfg, db, store.NewMemoryCache("", 10))
	ok := store.Now().Add(-10 * time.Minute)
	if err := db.Create(&models.IngestRun{StartedAt: ok, CompletedAt: &ok, Status: models.IngestSuccess}).Error; err != nil {
		t.Fatal(err)
	}
	failedAt, msg := store.Now().Add(-time.Minute), "read http://feed/lastupdate.txt: connection refused"
	if err := db.Create(&models.IngestRun{StartedAt: failedAt, CompletedAt: &failedAt, Status: models.IngestFailed, ErrorMessage: &msg}).Error; err != nil {
		t.Fatal(err)
	}
	code, body := getHealth(t, s)
	li := body.Checks["last_ingest"]
	if code != http.StatusOK || body.Status != handlers.StatusDegraded || li.Healthy || !strings.Contains(*li.Detail, "connection refused") ||
		!strings.Contains(*li.Detail, "1 failed in the last 24 h") {
		t.Fatalf("newest run failed: got %d %s %+v", code, body.Status, li)
	}
	again := store.Now()
	if err := db.Create(&models.IngestRun{StartedAt: again, CompletedAt: &again, Status: models.IngestSuccess}).Error; err != nil {
		t.Fatal(err)
	}
	if _, body := getHealth(t, s); body.Status != handlers.StatusHealthy {
		t.Fatalf("a success after the failure should clear it: %+v", body.Checks["last_ingest"])
	}
}
