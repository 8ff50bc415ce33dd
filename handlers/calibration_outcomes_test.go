package handlers_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"geopol/forecast"
	"geopol/handlers"
)

// forecastReq is the Syria golden forecast re-labelled with a category, CAMEO root code,
// probability and ensemble probabilities (tkg < 0: none), and no calibration block.
func forecastReq(t *testing.T, category, code string, p, llm, tkg float64) []byte {
	t.Helper()
	req, err := forecast.GoldenRequest("syria")
	if err != nil {
		t.Fatal(err)
	}
	req.Category, req.CameoRootCode, req.Probability, req.Calibration = category, &code, &p, nil
	req.EnsembleInfo.LLMProbability, req.EnsembleInfo.TKGProbability = llm, nil
	if tkg >= 0 {
		req.EnsembleInfo.TKGProbability = &tkg
	}
	return mustJSON(t, req)
}

// newForecast POSTs a forecast and returns its id.
func (e *env) newForecast(body []byte) string {
	e.t.Helper()
	rec := e.post(body)
	if rec.Code != http.StatusCreated {
		e.t.Fatalf("POST forecast: %d %s", rec.Code, rec.Body)
	}
	return decode[forecast.ForecastResponse](e.t, rec).ForecastID
}

// resolve POSTs an outcome body for a forecast.
func (e *env) resolve(id, body string) *httptest.ResponseRecorder {
	e.t.Helper()
	return e.do(http.MethodPost, "/api/v1/forecasts/"+id+"/outcome", []byte(body))
}

// withAdmin rebuilds the env's router with an admin token, so admin routes exist.
func (e *env) withAdmin() []string {
	e.cfg.AdminToken = "calibration-admin-token-0123456789"
	e.router = handlers.NewRouter(e.server)
	e.authorize()
	return []string{"Authorization", "Bearer " + e.cfg.AdminToken}
}

func TestPostOutcome(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		admin := e.withAdmin()
		id := e.newForecast(forecastReq(t, "conflict", "19", 0.7, 0.8, 0.4))

		if rec := e.do(http.MethodGet, "/api/v1/forecasts/"+id+"/outcome", nil); rec.Code != http.StatusNotFound {
			t.Errorf("GET before resolution: %d", rec.Code)
		}
		rec := e.resolve(id, `{"outcome":1,"resolution_method":"manual","evidence_gdelt_ids":["881990960"],"notes":"two wire services"}`)
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST outcome: %d %s", rec.Code, rec.Body)
		}
		got := decode[forecast.OutcomeResponse](t, rec)
		if got.ForecastID != id || got.Outcome != 1 || got.Status != "resolved" || !got.Scored || got.ResolutionMethod != "manual" ||
			len(got.EvidenceGdeltIDs) != 1 || got.EvidenceGdeltIDs[0] != "881990960" || got.Notes == nil || len(got.History) != 0 {
			t.Errorf("created outcome: %+v", got)
		}
		if loc := rec.Header().Get("Location"); loc != "/api/v1/forecasts/"+id+"/outcome" {
			t.Errorf("Location %q", loc)
		}
		if time.Since(got.ResolutionDate) > time.Minute {
			t.Errorf("resolution_date %v is not now", got.ResolutionDate)
		}
		read := e.do(http.MethodGet, "/api/v1/forecasts/"+id+"/outcome", nil)
		if read.Code != http.StatusOK || decode[forecast.OutcomeResponse](t, read).Outcome != 1 {
			t.Errorf("GET outcome: %d %s", read.Code, read.Body)
		}

		// One resolution per forecast.
		second := e.resolve(id, `{"outcome":0}`)
		if p := decode[handlers.Problem](t, second); second.Code != http.StatusConflict || !strings.Contains(p.Detail, "already resolved") {
			t.Errorf("second POST: %d %s", second.Code, second.Body)
		}

		// The admin correction keeps the old version in history.
		put := e.do(http.MethodPut, "/api/v1/admin/forecasts/"+id+"/outcome", []byte(`{"outcome":0,"notes":"retracted by the source"}`), admin...)
		if put.Code != http.StatusOK {
			t.Fatalf("PUT: %d %s", put.Code, put.Body)
		}
		fixed := decode[forecast.OutcomeResponse](t, put)
		if fixed.Outcome != 0 || len(fixed.History) != 1 || fixed.History[0].Outcome != 1 || fixed.History[0].ReplacedAt == nil ||
			fixed.History[0].EvidenceGdeltIDs[0] != "881990960" || *fixed.Notes != "retracted by the source" {
			t.Errorf("corrected: %+v", fixed)
		}
		if again := e.do(http.MethodPut, "/api/v1/admin/forecasts/"+id+"/outcome", []byte(`{"outcome":1}`), admin...); len(decode[forecast.OutcomeResponse](t, again).History) != 2 {
			t.Errorf("second correction: %s", again.Body)
		}
		if rec := e.do(http.MethodPut, "/api/v1/admin/forecasts/"+id+"/outcome", []byte(`{"outcome":1}`)); rec.Code != http.StatusUnauthorized {
			t.Errorf("PUT without the admin token: %d", rec.Code)
		}
		unresolved := e.newForecast(forecastReq(t, "conflict", "19", 0.4, 0.5, 0.3))
		if rec := e.do(http.MethodPut, "/api/v1/admin/forecasts/"+unresolved+"/outcome", []byte(`{"outcome":1}`), admin...); rec.Code != http.StatusNotFound {
			t.Errorf("PUT with nothing to correct: %d", rec.Code)
		}

		// A resolution before the forecast existed is a 422 naming the field.
		early := e.resolve(unresolved, `{"outcome":1,"resolution_date":"2019-10-24T00:00:00Z"}`)
		if p := decode[handlers.Problem](t, early); early.Code != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != "resolution_date" {
			t.Errorf("before created_at: %d %s", early.Code, early.Body)
		}
		for body, field := range map[string]string{
			`{}`:                            "outcome",
			`{"outcome":1.5}`:               "outcome",
			`{"outcome":1,"status":"void"}`: "status",
			`{"outcome":1,"evidence_gdelt_ids":["x"]}`:               "evidence_gdelt_ids[0]",
			`{"outcome":1,"resolution_method":"By Hand"}`:            "resolution_method",
			`{"outcome":1,"winner":"yes"}`:                           "winner",
			`{"outcome":"yes"}`:                                      "outcome",
			`{"outcome":1,"resolution_date":"2999-01-01T00:00:00Z"}`: "resolution_date",
		} {
			rec := e.resolve(unresolved, body)
			if p := decode[handlers.Problem](t, rec); rec.Code != http.StatusUnprocessableEntity || len(p.Errors) == 0 || p.Errors[0].Field != field {
				t.Errorf("%s: %d %s, want 422 on %s", body, rec.Code, rec.Body, field)
			}
		}

		// Unknown forecasts are 404, whether or not the id is a UUID.
		for _, missing := range []string{"00000000-0000-4000-8000-000000000000", "nope"} {
			if rec := e.resolve(missing, `{"outcome":1}`); rec.Code != http.StatusNotFound {
				t.Errorf("outcome for %s: %d", missing, rec.Code)
			}
		}

		// Annulled outcomes are stored but never scored.
		annulled := e.resolve(unresolved, `{"status":"annulled","notes":"question overtaken by events"}`)
		if a := decode[forecast.OutcomeResponse](t, annulled); annulled.Code != http.StatusCreated || a.Scored || a.Status != "annulled" {
			t.Errorf("annulled: %d %s", annulled.Code, annulled.Body)
		}
		card := decode[handlers.ScorecardResponse](t, e.do(http.MethodGet, "/api/v1/calibration/scorecard", nil))
		// Scored: only the first forecast, p = 0.7, now outcome 1: Brier 0.3² = 0.09.
		if card.Overall.Count != 1 || card.Unscored.Annulled != 1 || card.Overall.BrierScore == nil || !approx(*card.Overall.BrierScore, 0.09) {
			t.Errorf("scorecard after annulment: %+v", card)
		}
	})
}

func approx(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
