package handlers_test

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"geopol/apikey"
	"geopol/forecast"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// queryRoutes are the routes that read query parameters. sameBody marks those whose
// answer must be byte-identical on both backends given the same data (no generated ids).
var queryRoutes = []struct {
	path     string
	sameBody bool
}{
	{"/api/v1/events", true},
	{"/api/v1/calibration/scorecard", true},
	{"/api/v1/forecasts/search", false},
	{"/api/v1/forecasts/country/SYR", false},
	{"/api/v1/forecasts/top", false},
	{"/api/v1/ingest-runs", false},
	{"/api/v1/globe/arcs", true},
	{"/api/v1/globe/deltas", true},
	{"/api/v1/countries", false},
}

// fuzzBackend is a router over real stores filled with the same data on every backend:
// the GDELT sample, 12 forecasts (created at one instant) and outcomes for half of them.
type fuzzBackend struct {
	name   string
	router http.Handler
	key    string
}

func newFuzzBackend(f *testing.F, name, dbURL string, cache store.Cache, at time.Time) fuzzBackend {
	ctx := context.Background()
	cfg := storetest.Config(f, dbURL)
	cfg.RateLimitPerMinute, cfg.RateLimitPostPerMinute, cfg.RateLimitBurst = 1<<30, 1<<30, 1<<30
	db := storetest.Open(f, cfg)
	gs, err := gdelt.Open(ctx, cfg.GDELTDBPath, storetest.Logger())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = gs.Close() })
	if _, err := gdelt.Ingest(ctx, db, gs, storetest.GDELTSample(f, true), gdelt.Options{}); err != nil {
		f.Fatal(err)
	}
	for i, req := range forecast.RandomForecasts(5, 12) {
		row, err := forecast.Create(ctx, db, req, "", at)
		if err != nil {
			f.Fatal(err)
		}
		if i%2 == 0 {
			out := models.OutcomeRecord{PredictionID: row.ID, Outcome: float64(i % 4 / 2), Status: models.OutcomeResolved,
				ResolutionDate: at.Add(time.Hour), ResolutionMethod: "manual", EvidenceGdeltIDs: models.JSON("[]")}
			if err := db.Create(&out).Error; err != nil {
				f.Fatal(err)
			}
		}
	}
	key, _, err := apikey.Create(ctx, db, "fuzz")
	if err != nil {
		f.Fatal(err)
	}
	s := &handlers.Server{Config: cfg, DB: db, GDELT: gs, Cache: cache, Log: storetest.Logger(),
		Now: func() time.Time { return at.Add(2 * time.Hour) }}
	return fuzzBackend{name: name, router: handlers.NewRouter(s), key: key}
}

func (b fuzzBackend) get(path, rawQuery string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.URL.RawQuery = rawQuery // as sent: no client-side parsing or escaping
	req.Header.Set("X-API-Key", b.key)
	rec := httptest.NewRecorder()
	b.router.ServeHTTP(rec, req)
	return rec
}

// FuzzQueryFilters sends arbitrary query strings to every route that reads one, through
// the real router on SQLite and (when it answers) PostgreSQL + Redis: no answer is a 5xx,
// both backends answer with the same status, and routes whose answer holds no generated
// ids answer the same bytes.
func FuzzQueryFilters(f *testing.F) {
	for i := range queryRoutes {
		for _, q := range []string{"", "limit=1", "limit=0", "cursor=abc", "cursor=%00", "limit=99999999999999999999",
			"country=SY&start_date=2019-01-01&end_date=2019-12-31", "goldstein_min=NaN", "goldstein_max=Inf", "goldstein_min=-1e309",
			"text=%25&actor=_", "text=%27%20OR%201%3D1%20--", "from=0000-01-01&to=9999-12-31", "from=2019-02-30", "q=syria",
			"q=%E2%80%8B", "q=%FF", "category=conflict", "source=%00", "status=failed", "sort=recency", "text=a%0Db", "country=%C3%A9"} {
			f.Add(uint8(i), q)
		}
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	backends := []fuzzBackend{newFuzzBackend(f, "sqlite", "", store.NewMemoryCache("", 10_000), at)}
	if storetest.PostgresAnswers(f) {
		backends = append(backends, newFuzzBackend(f, "postgres", storetest.PostgresURL(f), storetest.Redis(f), at))
	}
	f.Fuzz(func(t *testing.T, route uint8, rawQuery string) {
		r := queryRoutes[int(route)%len(queryRoutes)]
		var first *httptest.ResponseRecorder
		for _, b := range backends {
			rec := b.get(r.path, rawQuery)
			if rec.Code >= 500 {
				t.Fatalf("%s: GET %s?%s: %d %.300s", b.name, r.path, rawQuery, rec.Code, rec.Body)
			}
			if first == nil {
				first = rec
				continue
			}
			if rec.Code != first.Code || (r.sameBody && rec.Code == http.StatusOK && !bytes.Equal(uncursored(rec), uncursored(first))) {
				t.Fatalf("GET %s?%s: %s answers %d %.300s\n%s answers %d %.300s", r.path, rawQuery,
					backends[0].name, first.Code, first.Body, b.name, rec.Code, rec.Body)
			}
		}
	})
}

// nextCursor matches a page's next_cursor: each backend signs its cursors with a key of
// its own, so the cursors differ while the pages are the same.
var nextCursor = regexp.MustCompile(`"next_cursor":"[^"]*"`)

func uncursored(rec *httptest.ResponseRecorder) []byte {
	return nextCursor.ReplaceAll(rec.Body.Bytes(), []byte(`"next_cursor":""`))
}

// The scorecard's far bounds: a to of 9999-12-31 counts what no bound counts, on both
// databases, and so does a from of 0000-01-01; a to before everything counts nothing.
func TestScorecardFarBounds(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		at := store.Now()
		for i, req := range forecast.RandomForecasts(3, 4) {
			row, err := forecast.Create(context.Background(), e.db, req, "", at)
			if err != nil {
				t.Fatal(err)
			}
			out := models.OutcomeRecord{PredictionID: row.ID, Outcome: float64(i % 2), Status: models.OutcomeResolved,
				ResolutionDate: at, ResolutionMethod: "manual", EvidenceGdeltIDs: models.JSON("[]")}
			if err := e.db.Create(&out).Error; err != nil {
				t.Fatal(err)
			}
		}
		for query, want := range map[string]int{
			"": 4, "to=9999-12-31": 4, "from=0000-01-01": 4, "from=0000-01-01&to=9999-12-31": 4,
			"from=0001-01-01&to=9999-12-30": 4, "to=0000-01-01": 0, "to=2000-01-01": 0, "from=9999-12-31": 0,
			"from=" + at.Format(time.DateOnly): 4, "to=" + at.AddDate(0, 0, -1).Format(time.DateOnly): 0,
		} {
			if got := e.scorecard("?" + query).Overall.Count; got != want {
				t.Errorf("scorecard?%s counts %d, want %d", query, got, want)
			}
		}
		for _, bad := range []string{"to=2019-02-30", "from=10000-01-01", "to=9999-12-31T00:00:00Z", "from=-0001-01-01", "to=%00"} {
			if rec := e.do(http.MethodGet, "/api/v1/calibration/scorecard?"+bad, nil); rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("scorecard?%s: %d, want 422", bad, rec.Code)
			}
		}
	})
}
