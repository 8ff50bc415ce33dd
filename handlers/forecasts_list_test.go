package handlers_test

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"geopol/forecast"
	"geopol/handlers"
	"geopol/store"
)

type forecastPage = handlers.Page[*forecast.ForecastResponse]

// insertFor stores n valid forecasts for a country through CreateForecast, all created
// at the given instant (ties exercise the id tie-break of the keyset).
func (e *env) insertFor(iso string, n int, at time.Time, seed uint64) []string {
	e.t.Helper()
	ids := make([]string, 0, n)
	for _, req := range forecast.RandomForecasts(seed, n) {
		req.CountryISO = &iso
		row, err := forecast.Create(context.Background(), e.db, req, "", at)
		if err != nil {
			e.t.Fatal(err)
		}
		ids = append(ids, row.ID)
	}
	return ids
}

// walk follows next_cursor from the first page to the last.
func (e *env) walk(path string, limit string) []string {
	e.t.Helper()
	var ids []string
	cursor := ""
	for pages := 0; ; pages++ {
		if pages > 100 {
			e.t.Fatal("pagination does not end")
		}
		q := url.Values{"limit": {limit}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		rec := e.do(http.MethodGet, path+"?"+q.Encode(), nil)
		if rec.Code != http.StatusOK {
			e.t.Fatalf("%s: %d %s", path, rec.Code, rec.Body)
		}
		page := decode[forecastPage](e.t, rec)
		for _, f := range page.Items {
			ids = append(ids, f.ForecastID)
		}
		if !page.HasMore {
			if page.NextCursor != nil {
				e.t.Fatal("next_cursor set on the last page")
			}
			return ids
		}
		cursor = *page.NextCursor
	}
}

func TestCountryPaginationHasNoGapsOrDuplicates(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		base := store.Now().Add(-time.Hour)
		var want []string
		for i := 0; i < 5; i++ {
			want = append(want, e.insertFor("SYR", 5, base.Add(time.Duration(i)*time.Minute), uint64(i+1))...)
		}
		e.insertFor("UKR", 3, base, 99) // another country must not leak in

		// Walk the pages while other writers keep adding newer forecasts.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
					e.insertFor("SYR", 1, store.Now(), uint64(1000+i))
				}
			}
		}()
		got := e.walk("/api/v1/forecasts/country/sy", "4")
		close(stop)
		wg.Wait()

		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("forecast %s appears twice", id)
			}
			seen[id] = true
		}
		for _, id := range want {
			if !seen[id] {
				t.Errorf("forecast %s missing from the pages", id)
			}
		}
	})
}

func TestListParameters(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	e.insertFor("SYR", 3, store.Now(), 1)
	first := decode[forecastPage](t, e.do(http.MethodGet, "/api/v1/forecasts/country/SYR?limit=1", nil))
	if len(first.Items) != 1 || !first.HasMore || first.NextCursor == nil {
		t.Fatalf("first page: %+v", first)
	}
	// The position altered (one microsecond later), its tag kept.
	payload, tag, _ := strings.Cut(*first.NextCursor, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(payload)
	micros, id, _ := strings.Cut(string(raw), "|")
	n, _ := strconv.ParseInt(micros, 10, 64)
	tampered := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(n+1, 10)+"|"+id)) + "." + tag
	for name, tc := range map[string]struct {
		path   string
		status int
	}{
		"limit 0":          {"/api/v1/forecasts/country/SYR?limit=0", http.StatusUnprocessableEntity},
		"limit 51":         {"/api/v1/forecasts/country/SYR?limit=51", http.StatusUnprocessableEntity},
		"limit text":       {"/api/v1/forecasts/country/SYR?limit=ten", http.StatusUnprocessableEntity},
		"garbage cursor":   {"/api/v1/forecasts/country/SYR?cursor=%%%", http.StatusBadRequest},
		"undecodable":      {"/api/v1/forecasts/country/SYR?cursor=bm90LWEtY3Vyc29y", http.StatusBadRequest},
		"tampered cursor":  {"/api/v1/forecasts/country/SYR?cursor=" + tampered, http.StatusBadRequest},
		"foreign cursor":   {"/api/v1/forecasts/country/UKR?cursor=" + *first.NextCursor, http.StatusBadRequest},
		"unknown country":  {"/api/v1/forecasts/country/XYZ", http.StatusNotFound},
		"top limit 0":      {"/api/v1/forecasts/top?limit=0", http.StatusUnprocessableEntity},
		"top bad sort":     {"/api/v1/forecasts/top?sort=drama", http.StatusUnprocessableEntity},
		"summary unknown":  {"/api/v1/countries/QQ", http.StatusNotFound},
		"summary no rows":  {"/api/v1/countries/FRA", http.StatusNotFound},
		"valid cursor":     {"/api/v1/forecasts/country/SYR?limit=1&cursor=" + *first.NextCursor, http.StatusOK},
		"empty country ok": {"/api/v1/forecasts/country/fr", http.StatusOK},
	} {
		rec := e.do(http.MethodGet, tc.path, nil)
		if rec.Code != tc.status {
			t.Errorf("%s: %d, want %d: %s", name, rec.Code, tc.status, rec.Body)
		}
	}
}

func TestTopSortsAndExcludesExpired(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := store.Now()
		e.server.Now = func() time.Time { return now }
		e.insertFor("SYR", 20, now.Add(-time.Hour), 7)
		for _, sort := range []string{"probability", "confidence", "recency"} {
			top := decode[[]*forecast.ForecastResponse](t, e.do(http.MethodGet, "/api/v1/forecasts/top?limit=20&sort="+sort, nil))
			if len(top) != 20 {
				t.Fatalf("%s: %d items", sort, len(top))
			}
			for i := 1; i < len(top); i++ {
				a, b := top[i-1], top[i]
				ok := map[string]bool{
					"probability": a.Probability >= b.Probability,
					"confidence":  a.Confidence >= b.Confidence,
					"recency":     !a.CreatedAt.Before(b.CreatedAt),
				}[sort]
				if !ok {
					t.Errorf("%s: items %d and %d out of order", sort, i-1, i)
				}
			}
		}
		// Two hundred days on, every generated forecast (horizon <= 186 days) has expired.
		later := now.Add(200 * 24 * time.Hour)
		e.server.Now = func() time.Time { return later }
		e.cache.Delete(context.Background(), "gen:global", "gen:country:SYR")
		if top := decode[[]*forecast.ForecastResponse](t, e.do(http.MethodGet, "/api/v1/forecasts/top", nil)); top == nil || len(top) != 0 {
			t.Errorf("expired forecasts listed in top (or null instead of []): %v", top)
		}
		if page := decode[forecastPage](t, e.do(http.MethodGet, "/api/v1/forecasts/country/SYR", nil)); len(page.Items) != 0 {
			t.Errorf("expired forecasts listed for the country: %d", len(page.Items))
		}
		if rec := e.do(http.MethodGet, "/api/v1/countries/SYR", nil); rec.Code != http.StatusNotFound {
			t.Errorf("summary of a country with only expired forecasts: %d", rec.Code)
		}
	})
}
