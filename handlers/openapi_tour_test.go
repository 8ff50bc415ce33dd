package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"geopol/forecast"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/store/storetest"
)

// TestOpenAPITour sends every documented operation its main success and error cases, so
// the conformance check validates each of them whatever the other tests cover, and then
// fails if an operation's success response was never checked.
func TestOpenAPITour(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.cfg.AdminToken = "tour-admin-token-0123456789abcdef"
		e.router = handlers.NewRouter(e.server) // admin routes exist only with a token
		e.authorize()
		expect := func(want int, method, path string, body []byte, header ...string) *bytes.Buffer {
			t.Helper()
			rec := e.do(method, path, body, header...)
			if rec.Code != want {
				t.Errorf("%s %s: %d, want %d: %s", method, path, rec.Code, want, rec.Body)
			}
			return rec.Body
		}
		expect(200, "GET", "/api/v1/health", nil)
		expect(200, "GET", "/api/v1/livez", nil)
		expect(200, "GET", "/api/v1/readyz", nil)
		expect(200, "GET", "/api/v1/openapi.json", nil)
		expect(200, "GET", "/docs", nil)
		expect(404, "GET", "/api/v1/nope", nil)
		expect(405, "DELETE", "/api/v1/health", nil)

		ids := map[string]string{}
		for _, name := range forecast.GoldenFixtures() {
			f := unmarshal[forecast.ForecastResponse](t, expect(201, "POST", "/api/v1/forecasts", golden(t, name), "Idempotency-Key", "tour-"+name))
			ids[name] = f.ForecastID
		}
		expect(201, "POST", "/api/v1/forecasts", golden(t, "syria"), "Idempotency-Key", "tour-syria")
		expect(409, "POST", "/api/v1/forecasts", golden(t, "ukraine"), "Idempotency-Key", "tour-syria")
		expect(400, "POST", "/api/v1/forecasts", []byte(`{"question":`))
		expect(415, "POST", "/api/v1/forecasts", golden(t, "syria"), "Content-Type", "text/plain")
		expect(422, "POST", "/api/v1/forecasts", []byte(`{"question":"Will it happen soon enough?","surprise":1}`))
		expect(422, "POST", "/api/v1/forecasts", bytes.Replace(golden(t, "syria"), []byte(`"probability":0.62`), []byte(`"probability":1.7`), 1))
		expect(413, "POST", "/api/v1/forecasts", append(append([]byte(`{"question":"`), bytes.Repeat([]byte("x"), int(max(e.cfg.MaxBodyBytes, 1<<20)))...), `"}`...))

		id := ids["syria"]
		rec := e.do("GET", "/api/v1/forecasts/"+id, nil)
		expect(304, "GET", "/api/v1/forecasts/"+id, nil, "If-None-Match", rec.Header().Get("ETag"))
		expect(200, "GET", "/api/v1/forecasts/"+id+"/scenarios", nil)
		expect(404, "GET", "/api/v1/forecasts/00000000-0000-4000-8000-000000000000", nil)
		expect(404, "GET", "/api/v1/forecasts/00000000-0000-4000-8000-000000000000/scenarios", nil)

		// A second Syria forecast, so that a page of one has a next page to follow.
		expect(201, "POST", "/api/v1/forecasts", golden(t, "syria"), "Idempotency-Key", "tour-syria-2")
		page := unmarshal[handlers.Page[forecast.ForecastResponse]](t, expect(200, "GET", "/api/v1/forecasts/country/sy?limit=1", nil))
		if page.NextCursor == nil || !page.HasMore {
			t.Fatalf("two Syria forecasts, limit=1: no next page (%+v)", page)
		}
		next := unmarshal[handlers.Page[forecast.ForecastResponse]](t,
			expect(200, "GET", "/api/v1/forecasts/country/SYR?limit=1&cursor="+url.QueryEscape(*page.NextCursor), nil))
		if len(next.Items) != 1 || next.Items[0].ForecastID == page.Items[0].ForecastID || next.NextCursor != nil {
			t.Errorf("second page: %+v after %s", next, page.Items[0].ForecastID)
		}
		expect(400, "GET", "/api/v1/forecasts/country/SYR?limit=1&cursor="+url.QueryEscape(*page.NextCursor+"x"), nil)
		expect(400, "GET", "/api/v1/forecasts/country/SYR?cursor=bm90LWEtY3Vyc29y", nil)
		expect(422, "GET", "/api/v1/forecasts/country/SYR?limit=0", nil)
		expect(404, "GET", "/api/v1/forecasts/country/ZZZ", nil)
		for _, sort := range []string{"probability", "confidence", "recency"} {
			expect(200, "GET", "/api/v1/forecasts/top?limit=2&sort="+sort, nil)
		}
		expect(422, "GET", "/api/v1/forecasts/top?sort=size", nil)
		expect(200, "GET", "/api/v1/forecasts/search?q=Idlib+offensive&country=SY&limit=5", nil)
		expect(200, "GET", "/api/v1/forecasts/search?q=zeppelin", nil) // no results: suggestions
		expect(422, "GET", "/api/v1/forecasts/search?q=", nil)
		expect(200, "GET", "/api/v1/countries", nil)
		expect(200, "GET", "/api/v1/countries/SYR", nil)
		expect(404, "GET", "/api/v1/countries/ISL", nil)
		expect(200, "GET", "/api/v1/countries/risk-map", nil)

		tourEvents(t, e, expect)
		tourDashboard(t, expect)
		tourOutcomes(t, e, expect, id)
		tourAdmin(t, e, expect)
		tourOps(t, e, expect)

		for path, item := range mustContract(t).doc.Paths.Map() {
			for method, op := range item.Operations() {
				if !exercisedSuccess(method, path, op.Responses.Map()) {
					t.Errorf("no success response of %s %s was validated", method, path)
				}
			}
		}
	})
}

type expectFunc func(want int, method, path string, body []byte, header ...string) *bytes.Buffer

// tourEvents ingests a real GDELT export and reads it back.
func tourEvents(t *testing.T, e *env, expect expectFunc) {
	sample := storetest.GDELTSample(t, true)
	if _, err := gdelt.Ingest(context.Background(), e.db, e.server.GDELT, sample, gdelt.Options{}); err != nil {
		t.Fatalf("ingest %s: %v", sample, err)
	}
	page := unmarshal[handlers.Page[handlers.EventDTO]](t, expect(200, "GET", "/api/v1/events?limit=2&country=SYR", nil))
	if len(page.Items) == 0 {
		t.Fatal("the sample has Syrian events; /events?country=SYR returned none")
	}
	expect(200, "GET", "/api/v1/events/"+strconv.FormatInt(page.Items[0].ID, 10), nil)
	expect(404, "GET", "/api/v1/events/999999999999", nil)
	expect(422, "GET", "/api/v1/events?quad_class=9", nil)
	expect(400, "GET", "/api/v1/events?cursor=bm90LWEtY3Vyc29y", nil)
	expect(200, "GET", "/api/v1/ingest-runs?limit=1", nil)
	expect(422, "GET", "/api/v1/ingest-runs?status=done", nil)
}

// tourOutcomes resolves forecast id, corrects the outcome and reads the scorecard and
// the ensemble weights.
func tourOutcomes(t *testing.T, e *env, expect expectFunc, id string) {
	bearer := []string{"Authorization", "Bearer " + e.cfg.AdminToken}
	path := "/api/v1/forecasts/" + id + "/outcome"
	expect(404, "GET", path, nil)
	expect(422, "POST", path, []byte(`{"outcome":2}`))
	expect(201, "POST", path, []byte(`{"outcome":1,"evidence_gdelt_ids":["881990960"]}`))
	expect(409, "POST", path, []byte(`{"outcome":1}`))
	expect(200, "GET", path, nil)
	expect(200, "PUT", "/api/v1/admin"+path[len("/api/v1"):], []byte(`{"outcome":0,"notes":"corrected"}`), bearer...)
	expect(404, "POST", "/api/v1/forecasts/00000000-0000-4000-8000-000000000000/outcome", []byte(`{"outcome":1}`))
	expect(200, "GET", "/api/v1/calibration/scorecard", nil)
	expect(422, "GET", "/api/v1/calibration/scorecard?from=yesterday", nil)
	expect(200, "GET", "/api/v1/calibration/weights", nil)
	expect(200, "GET", "/api/v1/calibration/weights/global", nil)
	expect(404, "GET", "/api/v1/calibration/weights/99", nil)
	expect(200, "POST", "/api/v1/admin/calibrate", nil, bearer...)
}

// tourAdmin creates, lists and revokes a key, and checks the admin token is required.
func tourAdmin(t *testing.T, e *env, expect expectFunc) {
	bearer := []string{"Authorization", "Bearer " + e.cfg.AdminToken}
	created := unmarshal[struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}](t, expect(201, "POST", "/api/v1/admin/keys", []byte(`{"client_name":"tour"}`), bearer...))
	expect(422, "POST", "/api/v1/admin/keys", []byte(`{"client_name":""}`), bearer...)
	expect(422, "POST", "/api/v1/admin/keys", []byte(`{"client_name":"x","extra":true}`), bearer...)
	expect(200, "GET", "/api/v1/admin/keys", nil, bearer...)
	expect(401, "GET", "/api/v1/admin/keys", nil, "Authorization", "Bearer wrong")
	expect(200, "GET", "/api/v1/countries", nil, "X-API-Key", created.Key)
	expect(204, "DELETE", "/api/v1/admin/keys/"+strconv.FormatInt(created.ID, 10), nil, bearer...)
	expect(401, "GET", "/api/v1/countries", nil, "X-API-Key", created.Key)
	expect(404, "DELETE", "/api/v1/admin/keys/987654321", nil, bearer...)
}

// unmarshal decodes a response body, failing the test when it is not the JSON of a T.
func unmarshal[T any](t *testing.T, body *bytes.Buffer) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, body)
	}
	return v
}

// tourDashboard reads the globe layers (after tourEvents filled the event store) and
// calls each route a dashboard may call for something geopol does not provide.
func tourDashboard(t *testing.T, expect expectFunc) {
	arcs := unmarshal[struct {
		Arcs []handlers.Arc `json:"arcs"`
	}](t, expect(200, "GET", "/api/v1/globe/arcs?limit=5", nil))
	if len(arcs.Arcs) == 0 {
		t.Error("the sample has bilateral events; /globe/arcs returned none")
	}
	expect(200, "GET", "/api/v1/globe/deltas", nil)
	expect(422, "GET", "/api/v1/globe/arcs?limit=0", nil)
	for _, r := range [][2]string{
		{"GET", "/api/v1/globe/heatmap"}, {"GET", "/api/v1/calibration/polymarket"}, {"GET", "/api/v1/calibration/polymarket/top"},
		{"GET", "/api/v1/calibration/polymarket/comparisons"}, {"GET", "/api/v1/calibration/polymarket/comparisons/7/snapshots"},
		{"POST", "/api/v1/forecasts/submit"}, {"POST", "/api/v1/forecasts/submit/abc/confirm"}, {"GET", "/api/v1/forecasts/requests"},
		{"GET", "/api/v1/articles"}, {"GET", "/api/v1/sources"}, {"GET", "/api/v1/advisories"},
	} {
		expect(501, r[0], r[1], nil)
	}
}

// exercisedSuccess reports whether a 2xx response of the operation was checked, or, for
// an operation that declares none (a route geopol does not provide), its 501.
func exercisedSuccess(method, path string, responses map[string]*openapi3.ResponseRef) bool {
	want := "2"
	if _, ok := responses["501"]; ok {
		want = "501"
	}
	for status := range responses {
		if strings.HasPrefix(status, want) {
			if _, ok := exercised.Load(method + " " + path + " " + status); ok {
				return true
			}
		}
	}
	return false
}
