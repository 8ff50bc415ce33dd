package handlers_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"geopol/codes"
	"geopol/forecast"
	"geopol/handlers"
	"geopol/models"
)

var (
	eventURL   = regexp.MustCompile(`,"event_url":"([^"]*)"`)
	citedEvent = regexp.MustCompile(`"gdelt_event_id":\s*"([0-9]+)"`)
)

func golden(t *testing.T, name string) []byte {
	t.Helper()
	req, err := forecast.GoldenRequest(name)
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, req)
}

func (e *env) post(body []byte, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, "/api/v1/forecasts", body, header...)
}

func (e *env) count() int64 {
	e.t.Helper()
	var n int64
	if err := e.db.Model(&models.Prediction{}).Count(&n).Error; err != nil {
		e.t.Fatal(err)
	}
	return n
}

// A forecast POSTed and then read back is field-for-field what was sent, plus the
// server-assigned id and times.
func TestPostThenGetRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		for _, name := range forecast.GoldenFixtures() {
			body := golden(t, name)
			rec := e.post(body)
			if rec.Code != http.StatusCreated {
				t.Fatalf("%s: POST %d %s", name, rec.Code, rec.Body)
			}
			created := decode[forecast.ForecastResponse](t, rec)
			if loc := rec.Header().Get("Location"); loc != "/api/v1/forecasts/"+created.ForecastID {
				t.Errorf("Location = %q", loc)
			}
			get := e.do(http.MethodGet, "/api/v1/forecasts/"+created.ForecastID, nil)
			if get.Code != http.StatusOK {
				t.Fatalf("GET %d %s", get.Code, get.Body)
			}
			if get.Body.String() != rec.Body.String() {
				t.Errorf("%s: GET differs from POST response:\n%s\n%s", name, get.Body, rec.Body)
			}
			// Every field the client sent comes back unchanged (country normalised).
			var sent, got map[string]any
			if err := json.Unmarshal(body, &sent); err != nil {
				t.Fatal(err)
			}
			// event_url is the one field the server adds inside the tree: one link per
			// cited event, pointing at that event.
			cited := citedEvent.FindAllStringSubmatch(string(body), -1)
			links := eventURL.FindAllStringSubmatch(get.Body.String(), -1)
			if len(cited) == 0 || len(links) != len(cited) {
				t.Errorf("%s: %d cited GDELT events, %d event_url links", name, len(cited), len(links))
			}
			for i := range min(len(cited), len(links)) {
				if links[i][1] != "/api/v1/events/"+cited[i][1] {
					t.Errorf("%s: event %s links to %s", name, cited[i][1], links[i][1])
				}
			}
			if err := json.Unmarshal([]byte(eventURL.ReplaceAllString(get.Body.String(), "")), &got); err != nil {
				t.Fatal(err)
			}
			for k, v := range sent {
				if k == "country_iso" || v == nil { // null: the server derives it
					continue
				}
				if a, b := mustJSON(t, v), mustJSON(t, got[k]); string(a) != string(b) {
					t.Errorf("%s: field %s: sent %s, got %s", name, k, a, b)
				}
			}
			// Stored as alpha-3, answered as alpha-2: the code dashboards key on.
			iso := codes.Alpha2(sent["country_iso"].(string))
			if got["country_iso"] != iso || len(iso) != 2 {
				t.Errorf("country_iso = %v, want %s", got["country_iso"], iso)
			}
			if !created.ExpiresAt.Equal(created.CreatedAt.AddDate(0, 0, created.HorizonDays)) {
				t.Errorf("expires_at %v is not created_at + %d days", created.ExpiresAt, created.HorizonDays)
			}
			sc := e.do(http.MethodGet, "/api/v1/forecasts/"+created.ForecastID+"/scenarios", nil)
			tree := decode[handlers.ScenariosResponse](t, sc)
			if sc.Code != http.StatusOK || tree.ForecastID != created.ForecastID || string(mustJSON(t, tree.Scenarios)) != string(mustJSON(t, created.Scenarios)) {
				t.Errorf("scenarios endpoint: %d %s", sc.Code, sc.Body)
			}
		}
		if n := e.count(); n != 3 {
			t.Errorf("%d rows, want 3", n)
		}
	})
}

func TestGetUnknownForecastIs404(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	for _, id := range []string{"4b1e1c5e-6a4c-4b53-9d1e-000000000000", "not-a-uuid", strings.Repeat("x", 300)} {
		for _, suffix := range []string{"", "/scenarios"} {
			rec := e.do(http.MethodGet, "/api/v1/forecasts/"+id+suffix, nil)
			p := decode[handlers.Problem](t, rec)
			if rec.Code != http.StatusNotFound || p.Title != "Not Found" || rec.Header().Get("Content-Type") != handlers.ProblemContentType {
				t.Errorf("GET %s%s: %d %+v", id[:min(len(id), 20)], suffix, rec.Code, p)
			}
		}
	}
}

func TestIdempotencyKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		body := golden(t, "ukraine")
		first := e.post(body, "Idempotency-Key", "retry-123")
		second := e.post(body, "Idempotency-Key", "retry-123")
		if first.Code != http.StatusCreated || second.Code != http.StatusCreated {
			t.Fatalf("statuses %d %d: %s", first.Code, second.Code, second.Body)
		}
		if first.Body.String() != second.Body.String() || first.Header().Get("Location") != second.Header().Get("Location") {
			t.Errorf("retry did not return the original response:\n%s\n%s", first.Body, second.Body)
		}
		if n := e.count(); n != 1 {
			t.Errorf("%d rows after a retried POST, want 1", n)
		}
		other := golden(t, "syria")
		conflict := e.post(other, "Idempotency-Key", "retry-123")
		if conflict.Code != http.StatusConflict || decode[handlers.Problem](t, conflict).Title != "Conflict" {
			t.Errorf("same key, different body: %d %s", conflict.Code, conflict.Body)
		}
		// Concurrent retries of one request still store one row.
		var wg sync.WaitGroup
		codes := make([]int, 8)
		for i := range codes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				codes[i] = e.post(other, "Idempotency-Key", "concurrent-1").Code
			}()
		}
		wg.Wait()
		for _, c := range codes {
			if c != http.StatusCreated {
				t.Errorf("concurrent retry answered %d", c)
			}
		}
		if n := e.count(); n != 2 {
			t.Errorf("%d rows after concurrent retries, want 2", n)
		}
		if rec := e.post(body, "Idempotency-Key", "bad key with spaces"); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("malformed Idempotency-Key: %d", rec.Code)
		}
	})
}
