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

	"geopol/gdelt"
	"geopol/handlers"
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
		expect(200, "GET", "/api/v1/openapi.json", nil)
		expect(200, "GET", "/docs", nil)
		expect(404, "GET", "/api/v1/nope", nil)
		expect(405, "DELETE", "/api/v1/health", nil)

		ids := map[string]string{}
		for _, name := range handlers.GoldenFixtures() {
			var f handlers.ForecastResponse
			_ = json.Unmarshal(expect(201, "POST", "/api/v1/forecasts", golden(t, name), "Idempotency-Key", "tour-"+name).Bytes(), &f)
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

		var page handlers.Page[handlers.ForecastResponse]
		_ = json.Unmarshal(expect(200, "GET", "/api/v1/forecasts/country/sy?limit=1", nil).Bytes(), &page)
		if page.NextCursor != nil {
			expect(200, "GET", "/api/v1/forecasts/country/SYR?limit=1&cursor="+url.QueryEscape(*page.NextCursor), nil)
			expect(400, "GET", "/api/v1/forecasts/country/SYR?limit=1&cursor="+url.QueryEscape(*page.NextCursor+"x"), nil)
		}
		expect(400, "GET", "/api/v1/forecasts/country/SYR?cursor=bm90LWEtY3Vyc29y", nil)
		expect(422, "GET", "/api/v1/forecasts/country/SYR?limit=0", nil)
		expect(404, "GET", "/api/v1/forecasts/country/ZZZ", nil)
		for _, sort := range []string{"probability", "confidence", "recency"} {
			expect(200, "GET", "/api/v1/forecasts/top?limit=2&sort="+sort, nil)
		}
		expect(422, "GET", "/api/v1/forecasts/top?sort=size", nil)
		expect(200, "GET", "/api/v1/countries", nil)
		expect(200, "GET", "/api/v1/countries/SYR/risk-summary", nil)
		expect(404, "GET", "/api/v1/countries/ISL/risk-summary", nil)
		expect(200, "GET", "/api/v1/countries/risk-map", nil)

		tourEvents(t, e, expect)
		tourOutcomes(t, e, expect, id)
		tourAdmin(t, e, expect)

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

// tourSample is the real GDELT export the events tests ingest.
const tourSample = "../../shared/testdata/gdelt/20191024143000.export.CSV.zip"

// tourEvents ingests a real GDELT export and reads it back.
func tourEvents(t *testing.T, e *env, expect expectFunc) {
	if _, err := gdelt.Ingest(context.Background(), e.db, e.server.GDELT, tourSample, gdelt.Options{}); err != nil {
		t.Fatalf("ingest %s: %v", tourSample, err)
	}
	var page handlers.Page[gdelt.Event]
	_ = json.Unmarshal(expect(200, "GET", "/api/v1/events?limit=2&country=SYR", nil).Bytes(), &page)
	if len(page.Items) > 0 {
		expect(200, "GET", "/api/v1/events/"+strconv.FormatInt(page.Items[0].GlobalEventID, 10), nil)
	}
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
	var created struct {
		ID  int64  `json:"id"`
		Key string `json:"key"`
	}
	_ = json.Unmarshal(expect(201, "POST", "/api/v1/admin/keys", []byte(`{"client_name":"tour"}`), bearer...).Bytes(), &created)
	expect(422, "POST", "/api/v1/admin/keys", []byte(`{"client_name":""}`), bearer...)
	expect(422, "POST", "/api/v1/admin/keys", []byte(`{"client_name":"x","extra":true}`), bearer...)
	expect(200, "GET", "/api/v1/admin/keys", nil, bearer...)
	expect(401, "GET", "/api/v1/admin/keys", nil, "Authorization", "Bearer wrong")
	expect(200, "GET", "/api/v1/countries", nil, "X-API-Key", created.Key)
	expect(204, "DELETE", "/api/v1/admin/keys/"+strconv.FormatInt(created.ID, 10), nil, bearer...)
	expect(401, "GET", "/api/v1/countries", nil, "X-API-Key", created.Key)
	expect(404, "DELETE", "/api/v1/admin/keys/987654321", nil, bearer...)
}

// exercisedSuccess reports whether a 2xx response of the operation was checked.
func exercisedSuccess(method, path string, responses map[string]*openapi3.ResponseRef) bool {
	for status := range responses {
		if strings.HasPrefix(status, "2") {
			if _, ok := exercised.Load(method + " " + path + " " + status); ok {
				return true
			}
		}
	}
	return false
}
