package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"geopol/calibration"
	"geopol/forecast"
	"geopol/handlers"
	"geopol/store/storetest"
)

// baselineReq is a base-rate forecast for Syria/19 as `geopol forecast baseline` marks
// it, at probability p.
func baselineReq(t *testing.T, p float64) *forecast.ForecastRequest {
	t.Helper()
	req, err := forecast.GoldenRequest("syria")
	if err != nil {
		t.Fatal(err)
	}
	code := "19"
	req.Category, req.CameoRootCode, req.Probability, req.Calibration = "conflict", &code, &p, nil
	req.EnsembleInfo = &forecast.EnsembleInfoDTO{LLMProbability: p, Weights: map[string]float64{"baseline": 1}, TemperatureApplied: 1,
		Baseline: &forecast.BaselineInfoDTO{Method: calibration.BaselineMethod, AsOf: "2026-03-01", HorizonDays: 30, WindowDays: 31,
			LookbackDays: 730, Windows: 23, Fired: 6, PriorAlpha: 1, PriorBeta: 1, MinMentions: 5, MinSources: 2}}
	return req
}

// The scorecard, its source filter and the page show skill against climatology and
// against the baseline, computed by hand; the baseline's marker goes through POST's
// validation and comes back in ensemble_info.
func TestScorecardSkill(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.server.Now = func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
		e.router = handlers.NewRouter(e.server)
		e.authorize()
		base := e.newForecast(mustJSON(t, baselineReq(t, 0.28)))
		got := getOK[forecast.ForecastResponse](e, "/api/v1/forecasts/"+base)
		if b := got.EnsembleInfo.Baseline; b == nil || b.Fired != 6 || b.Method != "base_rate" {
			t.Fatalf("ensemble_info.baseline: %+v", got.EnsembleInfo)
		}
		engine := e.newForecast(forecastReq(t, "conflict", "19", 0.9, 0.9, 0.8))
		other := e.newForecast(forecastReq(t, "conflict", "18", 0.3, 0.3, 0.3))
		for id, o := range map[string]string{base: `{"outcome":1}`, engine: `{"outcome":1}`, other: `{"outcome":0}`} {
			if rec := e.resolve(id, o); rec.Code != http.StatusCreated {
				t.Fatalf("resolve: %d %s", rec.Code, rec.Body)
			}
		}
		// (0.28,1) (0.9,1) (0.3,0): BS = (0.5184 + 0.01 + 0.09)/3, base rate 2/3,
		// climatology 2/9. The engine's Syria/19 forecast matches the baseline:
		// 1 - 0.01/0.5184; the 18 has no baseline.
		card := e.scorecard("")
		storetest.Near(t, "bss", card.Overall.BrierSkillScore, 1-(0.6184/3)/(2.0/9))
		storetest.Near(t, "climatology", card.Overall.ClimatologyBrier, 2.0/9)
		vs := card.VsBaseline
		if vs.Overall.Count != 1 || vs.Unmatched != 1 || len(vs.ByCategory) != 1 || vs.ByCategory[0].Key != "conflict" {
			t.Fatalf("vs baseline: %+v", vs)
		}
		storetest.Near(t, "skill vs baseline", vs.Overall.BrierSkillScore, 1-0.01/0.5184)
		storetest.Near(t, "baseline brier", vs.Overall.BaselineBrierScore, 0.5184)
		// Engines only: (0.9,1) (0.3,0): BS 0.05, climatology 0.25, BSS 0.8.
		eng := e.scorecard("?source=engine")
		if eng.Overall.Count != 2 || eng.Filters.Source == nil || *eng.Filters.Source != "engine" || eng.VsBaseline.Overall.Count != 1 {
			t.Errorf("source=engine: %+v", eng)
		}
		storetest.Near(t, "engine bss", eng.Overall.BrierSkillScore, 0.8)
		if b := e.scorecard("?source=baseline"); b.Overall.Count != 1 || b.Overall.BrierSkillScore != nil || b.VsBaseline.Overall.Count != 0 {
			t.Errorf("source=baseline (one outcome: skill undefined): %+v", b.Overall)
		}
		var raw map[string]any
		if err := json.Unmarshal(e.do(http.MethodGet, "/api/v1/calibration/scorecard?source=baseline", nil).Body.Bytes(), &raw); err != nil {
			t.Fatal(err)
		}
		if v, ok := raw["overall"].(map[string]any)["brier_skill_score"]; !ok || v != nil {
			t.Errorf("undefined skill must be null, is %v (present %v)", v, ok)
		}
		if rec := e.do(http.MethodGet, "/api/v1/calibration/scorecard?source=llm", nil); rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("source=llm: %d", rec.Code)
		}
		page := e.do(http.MethodGet, "/scorecard", nil).Body.String()
		for _, want := range []string{"Skill vs climatology (BSS)", "Skill against the baseline", "0.981", "1 scored forecast(s) have no baseline"} {
			if !strings.Contains(page, want) {
				t.Errorf("page lacks %q", want)
			}
		}

		// A malformed baseline block is a 422 naming its fields.
		bad := baselineReq(t, 0.5)
		bad.EnsembleInfo.Baseline.Fired, bad.EnsembleInfo.Baseline.Method = 30, "guess"
		rec := e.post(mustJSON(t, bad))
		if rec.Code != http.StatusUnprocessableEntity || !strings.Contains(rec.Body.String(), "ensemble_info.baseline.fired") ||
			!strings.Contains(rec.Body.String(), "ensemble_info.baseline.method") {
			t.Errorf("bad baseline block: %d %s", rec.Code, rec.Body)
		}
	})
}
