package handlers_test

import (
	"math"
	"net/http"
	"testing"

	"geopol/calibration"
	"geopol/forecast"
	"geopol/handlers"
	"geopol/store/storetest"
)

func (e *env) scorecard(query string) handlers.ScorecardResponse {
	e.t.Helper()
	return getOK[handlers.ScorecardResponse](e, "/api/v1/calibration/scorecard"+query)
}

func (e *env) lookup(code string) calibration.Weight {
	e.t.Helper()
	return getOK[calibration.Weight](e, "/api/v1/calibration/weights/"+code)
}

// Ten conflict forecasts of CAMEO 19 at p = 0.7 (llm 0.8, tkg 0.4), 7 yes and 3 no, then
// the scorecard, a calibration run, the guardrail, and the calibration block of a new
// forecast, all through the API.
func TestScorecardWeightsAndCalibrationBlock(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		admin := e.withAdmin()
		list := decode[handlers.WeightList](t, e.do(http.MethodGet, "/api/v1/calibration/weights", nil))
		if len(list.Items) != 0 || list.PriorAlpha != calibration.PriorAlpha {
			t.Errorf("weights before calibration: %+v", list)
		}
		if w := e.lookup("19"); w.Source != calibration.PriorSource || w.Alpha != 0.6 {
			t.Errorf("lookup before calibration: %+v", w)
		}
		for i := 0; i < 10; i++ {
			id := e.newForecast(forecastReq(t, "conflict", "19", 0.7, 0.8, 0.4))
			outcome := `{"outcome":0}`
			if i < 7 {
				outcome = `{"outcome":1}`
			}
			if rec := e.resolve(id, outcome); rec.Code != http.StatusCreated {
				t.Fatalf("resolve: %d %s", rec.Code, rec.Body)
			}
		}

		card := e.scorecard("")
		o := card.Overall
		// Brier = (7×0.3² + 3×0.7²) / 10 = (0.63 + 1.47) / 10 = 0.21
		storetest.Near(t, "brier", o.BrierScore, 0.21)
		// Log = (7×(-ln 0.7) + 3×(-ln 0.3)) / 10 = (2.4967246 + 3.6119184) / 10 = 0.6108643
		storetest.Near(t, "log", o.LogScore, (7*-math.Log(0.7)+3*-math.Log(0.3))/10)
		// Every call is "yes" (p >= 0.5): 7 of 10 right.
		storetest.Near(t, "accuracy", o.HistoricalAccuracy, 0.7)
		// One bin (0.7 -> bin 7) whose mean forecast equals its observed rate 0.7:
		// REL = 0, RES = (0.7 - 0.7)² = 0, UNC = 0.7 × 0.3 = 0.21 = BS, ECE = 0.
		storetest.Near(t, "reliability", o.Reliability, 0)
		storetest.Near(t, "resolution", o.Resolution, 0)
		storetest.Near(t, "uncertainty", o.Uncertainty, 0.21)
		storetest.Near(t, "ece", o.ECE, 0)
		if b := o.Bins[7]; b.Count != 10 || !b.InsufficientSample || o.Count != 10 {
			t.Errorf("bin 7: %+v", b)
		}
		if len(card.ByCameoRoot) != 1 || card.ByCameoRoot[0].Key != "19" || len(card.ByCategory) != 1 || card.ByCategory[0].Key != "conflict" {
			t.Errorf("groups: %+v %+v", card.ByCategory, card.ByCameoRoot)
		}
		if c := e.scorecard("?category=diplomatic"); c.Overall.Count != 0 || c.Overall.BrierScore != nil || *c.Filters.Category != "diplomatic" {
			t.Errorf("diplomatic: %+v", c)
		}
		if c := e.scorecard("?country=sy&from=2000-01-01&to=2999-12-31"); c.Overall.Count != 10 || *c.Filters.Country != "SYR" {
			t.Errorf("country filter: %+v", c.Overall)
		}
		if c := e.scorecard("?from=2999-01-01"); c.Overall.Count != 0 {
			t.Errorf("from in the future: %+v", c.Overall)
		}
		for _, q := range []string{"?from=yesterday", "?country=ZZ", "?from=2020-01-02&to=2020-01-01", "?category=Conflict"} {
			if rec := e.do(http.MethodGet, "/api/v1/calibration/scorecard"+q, nil); rec.Code != http.StatusUnprocessableEntity {
				t.Errorf("scorecard%s: %d", q, rec.Code)
			}
		}

		// alpha = 0.4 × (7×0.6 - 3×0.4) / (10 × 0.4²) = 1.2 / 1.6 = 0.75; blend 0.7, Brier 0.21.
		rec := e.do(http.MethodPost, "/api/v1/admin/calibrate", nil, admin...)
		rep := decode[calibration.CalibrateReport](t, rec)
		if rec.Code != http.StatusOK || rep.Applied != 1 || rep.Samples != 10 || math.Abs(rep.Decisions[0].Alpha-0.75) > 1e-9 {
			t.Fatalf("calibrate: %d %s", rec.Code, rec.Body)
		}
		list = decode[handlers.WeightList](t, e.do(http.MethodGet, "/api/v1/calibration/weights", nil))
		if len(list.Items) != 1 || list.Items[0].CameoCode != "19" || list.Items[0].SampleSize != 10 {
			t.Errorf("weights: %+v", list)
		}
		storetest.Near(t, "stored brier", list.Items[0].BrierScore, 0.21)
		if w := e.lookup("19"); w.Source != "19" || math.Abs(w.Alpha-0.75) > 1e-9 {
			t.Errorf("lookup 19: %+v", w)
		}
		for _, code := range []string{"18", "super:material_conflict", "global"} {
			if w := e.lookup(code); w.Source != calibration.PriorSource {
				t.Errorf("lookup %s: %+v", code, w)
			}
		}
		if rec := e.do(http.MethodGet, "/api/v1/calibration/weights/99", nil); rec.Code != http.StatusNotFound {
			t.Errorf("lookup 99: %d", rec.Code)
		}

		// Two yes answers the LLM got wrong (llm 0.2, tkg 0.9, p 0.5): alpha would move to
		// 1.06 / 2.58 = 0.411, a 45% change: refused, then forced.
		for i := 0; i < 2; i++ {
			e.resolve(e.newForecast(forecastReq(t, "conflict", "19", 0.5, 0.2, 0.9)), `{"outcome":1}`)
		}
		if rep := decode[calibration.CalibrateReport](t, e.do(http.MethodPost, "/api/v1/admin/calibrate", []byte(`{}`), admin...)); rep.Refused != 1 || rep.Applied != 0 {
			t.Errorf("guardrail: %+v", rep)
		}
		if rec := e.do(http.MethodPost, "/api/v1/admin/calibrate", []byte(`{"forse":true}`), admin...); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("misspelt force: %d", rec.Code)
		}
		if rep := decode[calibration.CalibrateReport](t, e.do(http.MethodPost, "/api/v1/admin/calibrate", []byte(`{"force":true}`), admin...)); rep.Applied != 1 {
			t.Errorf("force: %+v", rep)
		}
		if w := e.lookup("19"); math.Abs(w.Alpha-1.06/2.58) > 1e-9 || w.SampleSize != 12 {
			t.Errorf("forced weight: %+v", w)
		}
		if rec := e.do(http.MethodPost, "/api/v1/admin/calibrate", nil); rec.Code != http.StatusUnauthorized {
			t.Errorf("calibrate without the admin token: %d", rec.Code)
		}

		// A forecast posted without a calibration block carries the category's record:
		// 12 resolved conflict forecasts, Brier (2.1 + 2×0.5²) / 12 = 2.6 / 12, and
		// 9 of 12 calls right (the 3 "no" outcomes at p = 0.7 were wrong).
		body := forecastReq(t, "conflict", "18", 0.55, 0.6, 0.5)
		first := e.post(body, "Idempotency-Key", "calibration-block-1")
		f := decode[forecast.ForecastResponse](t, first)
		if first.Code != http.StatusCreated || f.Calibration.SampleSize != 12 || f.Calibration.Category != "conflict" ||
			f.Calibration.Temperature != 1 || math.Abs(f.Calibration.HistoricalAccuracy-0.75) > 1e-9 {
			t.Errorf("calibration block: %d %+v", first.Code, f.Calibration)
		}
		storetest.Near(t, "block brier", f.Calibration.BrierScore, 2.6/12)
		// The record changes, and a retry of the same request still returns the stored forecast.
		e.resolve(e.newForecast(forecastReq(t, "conflict", "19", 0.9, 0.9, 0.9)), `{"outcome":1}`)
		retry := e.post(body, "Idempotency-Key", "calibration-block-1")
		if retry.Code != http.StatusCreated || retry.Body.String() != first.Body.String() {
			t.Errorf("idempotent retry: %d %s", retry.Code, retry.Body)
		}
		// Other categories have no record yet.
		d := decode[forecast.ForecastResponse](t, e.post(forecastReq(t, "diplomatic", "04", 0.3, 0.3, 0.3)))
		if d.Calibration.SampleSize != 0 || d.Calibration.BrierScore != nil || d.Calibration.HistoricalAccuracy != 0 {
			t.Errorf("diplomatic block: %+v", d.Calibration)
		}
	})
}

// Without ADMIN_TOKEN the admin routes of this feature do not exist.
func TestCalibrationAdminRoutesNeedToken(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	for _, r := range [][2]string{{http.MethodPost, "/api/v1/admin/calibrate"}, {http.MethodPut, "/api/v1/admin/forecasts/00000000-0000-4000-8000-000000000000/outcome"}} {
		if rec := e.do(r[0], r[1], []byte(`{}`), "Authorization", "Bearer anything"); rec.Code != http.StatusNotFound {
			t.Errorf("%s %s without ADMIN_TOKEN: %d", r[0], r[1], rec.Code)
		}
	}
}
