package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/forecast"
	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

// searchDoc is the text of a forecast a search test stores.
type searchDoc struct {
	question, prediction, reasoning string
	country, category               string // defaults SYR, conflict
}

// storeDoc stores a valid forecast with d's text, created at the given instant and active
// for 30 days from then, and returns its id.
func (e *env) storeDoc(d searchDoc, created time.Time) string {
	e.t.Helper()
	req := forecast.RandomForecasts(uint64(created.UnixNano()), 1)[0]
	req.Question, req.Prediction, req.ReasoningSummary = d.question, d.prediction, d.reasoning
	if req.Prediction == "" {
		req.Prediction = "Unlikely within the horizon."
	}
	if req.ReasoningSummary == "" {
		req.ReasoningSummary = "Base rates are low."
	}
	country, category := d.country, d.category
	if country == "" {
		country = "SYR"
	}
	if category == "" {
		category = "conflict"
	}
	horizon := 30
	req.CountryISO, req.Category, req.HorizonDays, req.ExpiresAt = &country, category, &horizon, nil
	row, err := forecast.Create(context.Background(), e.db, req, "", created)
	if err != nil {
		e.t.Fatalf("store %q: %v", d.question, err)
	}
	return row.ID
}

// fillers stores n identical forecasts that share no word with the search tests' terms,
// so that those terms stay rare (BM25 gives words in most documents next to no weight),
// created a second apart from the given instant on; it returns their ids, oldest first.
func (e *env) fillers(n int, created time.Time) []string {
	e.t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, e.storeDoc(searchDoc{question: "Will the harbour authority reopen the northern quay this season?"},
			created.Add(time.Duration(i)*time.Second)))
	}
	return out
}

// search GETs /forecasts/search with the given parameters and decodes the 200 answer.
func (e *env) search(params url.Values) handlers.SearchResponse {
	e.t.Helper()
	return getOK[handlers.SearchResponse](e, "/api/v1/forecasts/search?"+params.Encode())
}

func ids(r handlers.SearchResponse) []string {
	out := []string{}
	for _, hit := range r.Results {
		out = append(out, hit.Forecast.ForecastID)
	}
	return out
}

func TestSearchRanksRelevantForecastsFirst(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		base := store.Now().Add(-time.Hour)
		fillers := e.fillers(6, base)
		// Newest last, so that recency alone would give the reverse order.
		twice := e.storeDoc(searchDoc{question: "Will a zeppelin cross the strait, and a second zeppelin follow it?"}, base.Add(time.Minute))
		once := e.storeDoc(searchDoc{question: "Will a zeppelin cross the strait before the summit takes place?"}, base.Add(2*time.Minute))
		reasoning := e.storeDoc(searchDoc{question: "Will the border crossing at the strait reopen before the summit?",
			reasoning: "Air traffic, a zeppelin included, has been rerouted."}, base.Add(3*time.Minute))

		got := e.search(url.Values{"q": {"zeppelin"}})
		want := []string{twice, once, reasoning}
		if strings.Join(ids(got), ",") != strings.Join(want, ",") {
			t.Fatalf("order %v, want twice-in-question, once-in-question, in-reasoning %v", ids(got), want)
		}
		if got.Total != 3 || got.Query != "zeppelin" || got.Suggestions != nil {
			t.Errorf("total %d, query %q, suggestions %v", got.Total, got.Query, got.Suggestions)
		}
		for i, hit := range got.Results {
			if !(hit.Relevance > 0 && hit.Relevance < 1) {
				t.Errorf("result %d: relevance %v outside (0, 1)", i, hit.Relevance)
			}
			if i > 0 && hit.Relevance >= got.Results[i-1].Relevance {
				t.Errorf("result %d: relevance %v not below the previous %v", i, hit.Relevance, got.Results[i-1].Relevance)
			}
		}
		if full := got.Results[0].Forecast; full.Question == "" || full.Calibration.Category != "conflict" || full.CountryISO == nil || *full.CountryISO != "SY" {
			t.Errorf("results carry the full forecast: %+v", full)
		}

		// Words are stemmed and case-folded; every word must match; the query is echoed trimmed.
		if got := e.search(url.Values{"q": {"  ZEPPELINS  "}}); got.Total != 3 || got.Query != "ZEPPELINS" {
			t.Errorf("ZEPPELINS: total %d, query %q", got.Total, got.Query)
		}
		if got := e.search(url.Values{"q": {"zeppelin second"}}); strings.Join(ids(got), ",") != twice {
			t.Errorf("zeppelin second: %v, want only %s", ids(got), twice)
		}
		// Equal relevance falls back to newest first.
		slices.Reverse(fillers)
		if got := e.search(url.Values{"q": {"harbour quay"}}); strings.Join(ids(got), ",") != strings.Join(fillers, ",") ||
			got.Results[0].Relevance != got.Results[5].Relevance {
			t.Errorf("equally relevant forecasts: %v, want newest first %v", ids(got), fillers)
		}
	})
}

func TestSearchFiltersAndCounts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := store.Now()
		e.fillers(4, now.Add(-time.Hour))
		for i := 0; i < 7; i++ {
			e.storeDoc(searchDoc{question: "Will the monsoon flooding displace villages in the delta?", country: "MMR", category: "humanitarian"}, now.Add(-time.Duration(i)*time.Minute))
		}
		syria := e.storeDoc(searchDoc{question: "Will monsoon rains delay the offensive near the river?", country: "SYR", category: "conflict"}, now.Add(-time.Hour))
		// Expired: stored 40 days ago with a 30-day horizon.
		expired := e.storeDoc(searchDoc{question: "Will the monsoon arrive early in the delta this year?", country: "MMR", category: "humanitarian"}, now.Add(-40*24*time.Hour))

		all := e.search(url.Values{"q": {"monsoon"}, "limit": {"3"}})
		if len(all.Results) != 3 || all.Total != 8 {
			t.Fatalf("limit 3: %d results, total %d; want 3 of 8 (the expired one excluded)", len(all.Results), all.Total)
		}
		if got := e.search(url.Values{"q": {"monsoon"}, "limit": {"50"}}); len(got.Results) != 8 || got.Total != 8 {
			t.Errorf("limit 50: %d results, total %d", len(got.Results), got.Total)
		}
		for _, id := range ids(e.search(url.Values{"q": {"monsoon"}, "limit": {"50"}})) {
			if id == expired {
				t.Error("an expired forecast was found")
			}
		}
		for _, country := range []string{"sy", "SYR", "Syr"} {
			if got := e.search(url.Values{"q": {"monsoon"}, "country": {country}}); strings.Join(ids(got), ",") != syria || got.Total != 1 {
				t.Errorf("country=%s: %v (total %d), want only %s", country, ids(got), got.Total, syria)
			}
		}
		if got := e.search(url.Values{"q": {"monsoon"}, "category": {"humanitarian"}}); got.Total != 7 || len(got.Results) != 7 {
			t.Errorf("category=humanitarian: %d results, total %d", len(got.Results), got.Total)
		}
		if got := e.search(url.Values{"q": {"monsoon"}, "category": {"humanitarian"}, "country": {"SY"}}); got.Total != 0 || len(got.Results) != 0 {
			t.Errorf("humanitarian in Syria: %d results, total %d", len(got.Results), got.Total)
		}
	})
}

func TestSearchParameters(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	for name, tc := range map[string]struct{ query, field string }{
		"missing q":       {"", "q"},
		"empty q":         {"q=", "q"},
		"blank q":         {"q=%20%09%20", "q"},
		"q of 201":        {"q=" + strings.Repeat("a", 201), "q"},
		"q not UTF-8":     {"q=%ff%fe", "q"},
		"limit 0":         {"q=x&limit=0", "limit"},
		"limit 51":        {"q=x&limit=51", "limit"},
		"limit word":      {"q=x&limit=ten", "limit"},
		"country":         {"q=x&country=ZZZ", "country"},
		"category":        {"q=x&category=Not%20a%20category", "category"},
		"several at once": {"limit=99&country=QQ", "q"},
	} {
		rec := e.do(http.MethodGet, "/api/v1/forecasts/search?"+tc.query, nil)
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
			continue
		}
		p := decode[handlers.Problem](t, rec)
		found := false
		for _, f := range p.Errors {
			found = found || f.Field == tc.field
		}
		if !found {
			t.Errorf("%s: errors %+v do not name %s", name, p.Errors, tc.field)
		}
		if name == "several at once" && len(p.Errors) != 3 {
			t.Errorf("every invalid parameter is reported: %+v", p.Errors)
		}
	}
	// 200 characters once trimmed is the most q may have.
	if got := e.search(url.Values{"q": {"  " + strings.Repeat("b", 200) + "  "}}); got.Total != 0 {
		t.Errorf("q of 200: %+v", got)
	}
	// Not /forecasts/{id}.
	if rec := e.do(http.MethodPost, "/api/v1/forecasts/search?q=x", nil); rec.Code != http.StatusMethodNotAllowed && rec.Code != http.StatusNotFound {
		t.Errorf("POST /forecasts/search: %d", rec.Code)
	}
}

// Anything a user can type is words: query syntax of either engine never reaches it, so
// no query is a 500, and operators behave as plain words.
func TestSearchHostileQueries(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := store.Now()
		e.fillers(3, now.Add(-time.Hour))
		target := e.storeDoc(searchDoc{question: "Will the Kyiv (Київ) delegation accept the near-term proposal?"}, now.Add(-time.Minute))
		hostile := []string{`"`, `""`, `"zeppelin`, `*`, `zeppelin*`, `NEAR(`, `NEAR(a b, 2)`, `a:b`, `question:zeppelin`,
			`{question prediction}: x`, `-`, `--`, `-zeppelin`, `^`, `^zeppelin`, `(`, `)`, `((a)`, `OR`, `AND`, `NOT`,
			`a OR b`, `a AND NOT b`, `+`, `'`, `'; DROP TABLE predictions; --`, `%`, `_`, `\`, `\x00`, "a\x00b", "\u0301",
			"e\u0301", `Київ`, `東京`, `🚀`, `ﷺ`, `<script>`, `&&`, `||`, `!`, `@@`, `:*`, `a & b | !c`, `<->`, `x <-> y`,
			strings.Repeat(`"(*:-^`, 33) + "ab", strings.Repeat("Київ ", 40), strings.Repeat("a ", 100)}
		for _, q := range hostile {
			rec := e.do(http.MethodGet, "/api/v1/forecasts/search?q="+url.QueryEscape(q), nil)
			if rec.Code != http.StatusOK && rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("q=%q: %d %s", q, rec.Code, rec.Body)
			}
		}
		// Operators are words: quoted, starred, negated, column-qualified or OR-ed, the
		// words still mean themselves.
		for _, q := range []string{`"Kyiv"`, `kyiv*`, `-kyiv`, `^kyiv`, `kyiv:delegation`, `(kyiv)`, `NOT kyiv`, `Київ`,
			`kyiv OR`, `delegation AND proposal`, `near-term`, `NEAR(kyiv delegation)`} {
			if got := e.search(url.Values{"q": {q}}); strings.Join(ids(got), ",") != target {
				t.Errorf("q=%q: %v, want %s", q, ids(got), target)
			}
		}
		// OR is not a disjunction: both sides must match.
		if got := e.search(url.Values{"q": {"kyiv OR zeppelin"}}); got.Total != 0 {
			t.Errorf("kyiv OR zeppelin: %v", ids(got))
		}
	})
}

func TestSearchSuggestions(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := store.Now()
		e.fillers(2, now.Add(-time.Hour))
		e.storeDoc(searchDoc{question: "Will the ceasefire in the Donbas hold through the winter?", country: "UKR", category: "diplomatic"}, now.Add(-3*time.Minute))
		e.storeDoc(searchDoc{question: "Will ceasefire talks resume in Geneva before the winter?", country: "UKR", category: "diplomatic"}, now.Add(-2*time.Minute))
		e.storeDoc(searchDoc{question: "Will the siege of the capital end before winter?", country: "MMR"}, now.Add(-time.Minute))

		raw := func(params url.Values) (handlers.SearchResponse, string) {
			rec := e.do(http.MethodGet, "/api/v1/forecasts/search?"+params.Encode(), nil)
			if rec.Code != http.StatusOK {
				t.Fatalf("%v: %d %s", params, rec.Code, rec.Body)
			}
			var m map[string]json.RawMessage
			if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
				t.Fatal(err)
			}
			return decode[handlers.SearchResponse](t, rec), string(m["suggestions"])
		}

		// With results: null.
		if _, s := raw(url.Values{"q": {"ceasefire"}}); s != "null" {
			t.Errorf("with results, suggestions = %s, want null", s)
		}
		// A misspelling: the words sharing its first letters come first, then the most
		// common question words.
		got, _ := raw(url.Values{"q": {"ceasfire"}})
		if got.Total != 0 || len(got.Results) != 0 {
			t.Fatalf("ceasfire matched %v", ids(got))
		}
		if len(got.Suggestions) != 5 || got.Suggestions[0] != "ceasefire" || got.Suggestions[1] != "winter" {
			t.Errorf("ceasfire: suggestions %q, want ceasefire first, then winter (in 3 questions)", got.Suggestions)
		}
		for _, s := range got.Suggestions {
			if s == "will" || s == "the" {
				t.Errorf("stop word %q suggested", s)
			}
			if found := e.search(url.Values{"q": {s}}); found.Total == 0 {
				t.Errorf("suggestion %q finds nothing", s)
			}
		}
		// Suggestions come from the forecasts that pass the filters: each finds one there.
		got, _ = raw(url.Values{"q": {"zzzz"}, "country": {"UA"}})
		if len(got.Suggestions) == 0 {
			t.Fatal("no suggestions for Ukraine")
		}
		for _, s := range got.Suggestions {
			if found := e.search(url.Values{"q": {s}, "country": {"UA"}}); found.Total == 0 {
				t.Errorf("suggestion %q finds nothing in Ukraine", s)
			}
		}
		// Only stop words: nothing to search for, but suggestions.
		if got, _ := raw(url.Values{"q": {"will the"}}); got.Total != 0 || len(got.Suggestions) == 0 {
			t.Errorf("will the: total %d, suggestions %q", got.Total, got.Suggestions)
		}
		// No active forecast passes the filters: an empty list, not null.
		if _, s := raw(url.Values{"q": {"ceasefire"}, "country": {"IS"}}); s != "[]" {
			t.Errorf("no forecasts in scope: suggestions = %s, want []", s)
		}
	})
}

// The index follows every write to predictions: on SQLite through the triggers of the
// FTS5 table, on PostgreSQL because it is an expression index.
func TestSearchFollowsUpdatesAndDeletes(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		now := store.Now()
		e.fillers(3, now.Add(-time.Hour))
		id := e.storeDoc(searchDoc{question: "Will the airship programme be cancelled this year?"}, now)
		if err := e.db.Exec("UPDATE predictions SET question = ? WHERE id = ?", "Will the dirigible programme be cancelled this year?", id).Error; err != nil {
			t.Fatal(err)
		}
		if got := e.search(url.Values{"q": {"dirigible"}}); strings.Join(ids(got), ",") != id || got.Results[0].Forecast.Question != "Will the dirigible programme be cancelled this year?" {
			t.Errorf("after the update, dirigible: %v", ids(got))
		}
		if got := e.search(url.Values{"q": {"airship"}}); got.Total != 0 {
			t.Errorf("after the update, airship still finds %v", ids(got))
		}
		checkSearchIndex(t, e.db)
		if err := e.db.Exec("DELETE FROM predictions WHERE id = ?", id).Error; err != nil {
			t.Fatal(err)
		}
		if got := e.search(url.Values{"q": {"dirigible programme"}}); got.Total != 0 {
			t.Errorf("after the delete, dirigible finds %v", ids(got))
		}
		checkSearchIndex(t, e.db)
	})
}

// checkSearchIndex fails the test when SQLite's FTS5 index disagrees with predictions
// (integrity-check with rank 1 compares it with the content table).
func checkSearchIndex(t *testing.T, db *gorm.DB) {
	t.Helper()
	if store.Dialect(db) != store.SQLite {
		return
	}
	if err := db.Exec("INSERT INTO predictions_fts (predictions_fts, rank) VALUES ('integrity-check', 1)").Error; err != nil {
		t.Errorf("predictions_fts does not match predictions: %v", err)
	}
}

// Forecasts stored before the search migration are found after it (the SQLite migration
// backfills the FTS5 index; PostgreSQL builds the index over existing rows), and stay
// found through every later migration. Rows are written with the columns of that older
// schema, which never changes, and a deleted row leaves a gap in SQLite's rowids.
func TestSearchIndexSurvivesMigrations(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			dbURL, cache := b.setup(t)
			cfg := storetest.Config(t, dbURL)
			ctx := context.Background()
			old, err := store.OpenDatabase(ctx, cfg, storetest.Logger())
			if err != nil {
				t.Fatal(err)
			}
			status, err := store.Status(ctx, old)
			if err != nil {
				t.Fatal(err)
			}
			before := ""
			for i, m := range status {
				if m.Description == "forecast_search" && i > 0 {
					before = status[i-1].Version
				}
			}
			if before == "" {
				t.Fatal("no forecast_search migration after another one")
			}
			applied, err := store.MigrateTo(ctx, old, before)
			if err != nil {
				t.Fatal(err)
			}
			if len(applied) == 0 || applied[len(applied)-1] != before {
				t.Fatalf("MigrateTo(%s) applied %v", before, applied)
			}
			created := store.Now().Add(-time.Hour)
			for _, row := range [][2]string{
				{"00000000-0000-4000-8000-000000000001", "Will the glacier dam burst before the thaw ends?"},
				{"00000000-0000-4000-8000-000000000002", "Will the glacier survey be published this spring?"},
				{"00000000-0000-4000-8000-000000000003", "Will the tramway strike end within a month?"},
			} {
				if err := old.Exec(`INSERT INTO predictions (id, question, prediction, probability, confidence, horizon_days,
					category, reasoning_summary, scenarios, ensemble_info, calibration, entities, country_iso, created_at, expires_at)
					VALUES (?, ?, 'Unlikely.', 0.2, 0.7, 30, 'conflict', 'Base rates are low.', '[]',
					'{"llm_probability":0.2,"tkg_probability":null,"weights":{},"temperature_applied":1}',
					'{"category":"conflict","temperature":1,"historical_accuracy":0,"brier_score":null,"sample_size":0}',
					'[]', 'NOR', ?, ?)`, row[0], row[1], created, created.Add(30*24*time.Hour)).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := old.Exec("DELETE FROM predictions WHERE id = ?", "00000000-0000-4000-8000-000000000002").Error; err != nil {
				t.Fatal(err)
			}
			if err := store.Close(old); err != nil {
				t.Fatal(err)
			}

			e := newEnv(t, cfg, cache) // migrates to the newest version
			checkSearchIndex(t, e.db)
			if got := e.search(url.Values{"q": {"glacier"}}); strings.Join(ids(got), ",") != "00000000-0000-4000-8000-000000000001" {
				t.Errorf("glacier: %v", ids(got))
			}
			if got := e.search(url.Values{"q": {"tramway strike"}}); strings.Join(ids(got), ",") != "00000000-0000-4000-8000-000000000003" {
				t.Errorf("tramway strike: %v", ids(got))
			}
			newer := e.storeDoc(searchDoc{question: "Will the glacier retreat be measured again?"}, store.Now())
			if got := ids(e.search(url.Values{"q": {"glacier"}})); len(got) != 2 || !slices.Contains(got, newer) ||
				!slices.Contains(got, "00000000-0000-4000-8000-000000000001") {
				t.Errorf("glacier after a new forecast: %v", got)
			}
			checkSearchIndex(t, e.db)
		})
	}
}

// The golden forecasts, as `geopol seed` stores them, are found by the words a dashboard
// user would type.
func TestSearchFindsGoldenForecasts(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		seeded, err := forecast.SeedGolden(context.Background(), e.db, store.Now())
		if err != nil {
			t.Fatal(err)
		}
		for q, want := range map[string]string{
			"Idlib offensive":       seeded[0].ID,
			"ceasefire talks":       seeded[1].ID,
			"Myanmar state capital": seeded[2].ID,
			"junta":                 seeded[2].ID,
		} {
			got := e.search(url.Values{"q": {q}})
			if len(got.Results) == 0 || got.Results[0].Forecast.ForecastID != want {
				t.Errorf("%q: %v, want %s first", q, ids(got), want)
			}
		}
	})
}
