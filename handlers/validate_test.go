package handlers_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"geopol/handlers"
)

// mutate returns the Syria fixture as a generic map with f applied.
func mutate(t *testing.T, f func(m map[string]any)) []byte {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(golden(t, "syria"), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	return mustJSON(t, m)
}

func scen(m map[string]any, i int) map[string]any {
	return m["scenarios"].([]any)[i].(map[string]any)
}

// chain builds a scenario tree depth levels deep.
func chain(depth int) []any {
	var children []any
	for d := depth; d >= 1; d-- {
		children = []any{map[string]any{"scenario_id": fmt.Sprintf("d%d", d), "description": "level", "probability": 0.5,
			"answers_affirmative": true, "entities": []any{}, "timeline": []any{}, "evidence_sources": []any{}, "child_scenarios": children}}
	}
	return children
}

func wide(n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = map[string]any{"scenario_id": fmt.Sprintf("w%d", i), "description": "leaf", "probability": 0.001,
			"answers_affirmative": false, "entities": []any{}, "timeline": []any{}, "evidence_sources": []any{}, "child_scenarios": []any{}}
	}
	return out
}

// Every validation rule answers 422 with errors naming the JSON path, and stores nothing.
func TestValidationRules(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	cases := []struct {
		name  string
		field string
		f     func(m map[string]any)
	}{
		{"probability above 1", "probability", func(m map[string]any) { m["probability"] = 1.01 }},
		{"probability below 0", "probability", func(m map[string]any) { m["probability"] = -0.1 }},
		{"probability missing", "probability", func(m map[string]any) { delete(m, "probability") }},
		{"confidence above 1", "confidence", func(m map[string]any) { m["confidence"] = 7 }},
		{"horizon 0", "horizon_days", func(m map[string]any) { m["horizon_days"] = 0 }},
		{"horizon 3651", "horizon_days", func(m map[string]any) { m["horizon_days"] = 3651 }},
		{"question short", "question", func(m map[string]any) { m["question"] = "Will it?" }},
		{"question long", "question", func(m map[string]any) { m["question"] = strings.Repeat("q", 1001) }},
		{"unknown country", "country_iso", func(m map[string]any) { m["country_iso"] = "ZZ" }},
		{"country junk", "country_iso", func(m map[string]any) { m["country_iso"] = "Syria" }},
		{"category", "category", func(m map[string]any) { m["category"] = "War!" }},
		{"cameo root", "cameo_root_code", func(m map[string]any) { m["cameo_root_code"] = "21" }},
		{"scenario probability", "scenarios[0].probability", func(m map[string]any) { scen(m, 0)["probability"] = 1.5 }},
		{"sibling sum", "scenarios", func(m map[string]any) { scen(m, 0)["probability"] = 0.5 }},
		{"child sibling sum", "scenarios[0].child_scenarios", func(m map[string]any) {
			scen(m, 0)["child_scenarios"].([]any)[0].(map[string]any)["probability"] = 0.9
		}},
		{"evidence confidence", "scenarios[0].evidence_sources[1].confidence", func(m map[string]any) {
			scen(m, 0)["evidence_sources"].([]any)[1].(map[string]any)["confidence"] = 2
		}},
		{"gdelt id", "scenarios[0].evidence_sources[0].gdelt_event_id", func(m map[string]any) {
			scen(m, 0)["evidence_sources"].([]any)[0].(map[string]any)["gdelt_event_id"] = "'; DROP TABLE events"
		}},
		{"duplicate scenario id", "scenarios[1].scenario_id", func(m map[string]any) { scen(m, 1)["scenario_id"] = "syr-limited-offensive" }},
		{"depth 9", "scenarios[0].child_scenarios[0].child_scenarios[0].child_scenarios[0].child_scenarios[0].child_scenarios[0].child_scenarios[0].child_scenarios[0].child_scenarios", func(m map[string]any) { m["scenarios"] = chain(9) }},
		{"501 nodes", "scenarios", func(m map[string]any) { m["scenarios"] = wide(501) }},
		{"ensemble missing", "ensemble_info", func(m map[string]any) { delete(m, "ensemble_info") }},
		{"llm probability", "ensemble_info.llm_probability", func(m map[string]any) { m["ensemble_info"].(map[string]any)["llm_probability"] = 1.2 }},
		{"tkg probability", "ensemble_info.tkg_probability", func(m map[string]any) { m["ensemble_info"].(map[string]any)["tkg_probability"] = -1 }},
		{"temperature", "ensemble_info.temperature_applied", func(m map[string]any) { m["ensemble_info"].(map[string]any)["temperature_applied"] = 0 }},
		{"brier", "calibration.brier_score", func(m map[string]any) { m["calibration"].(map[string]any)["brier_score"] = 2.5 }},
		{"sample size", "calibration.sample_size", func(m map[string]any) { m["calibration"].(map[string]any)["sample_size"] = -1 }},
		{"expires in the past", "expires_at", func(m map[string]any) { m["expires_at"] = "2001-01-01T00:00:00Z" }},
		{"unknown field", "forecast_id", func(m map[string]any) { m["forecast_id"] = "mine" }},
		{"unknown nested field", "scenarios[0].extra", func(m map[string]any) { scen(m, 0)["extra"] = 1 }},
		{"wrong type", "probability", func(m map[string]any) { m["probability"] = "high" }},
		{"wrong nested type", "scenarios.probability", func(m map[string]any) { scen(m, 2)["probability"] = "0.3" }},
	}
	for _, tc := range cases {
		rec := e.post(mutate(t, tc.f))
		if rec.Code != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422: %s", tc.name, rec.Code, rec.Body)
			continue
		}
		p := decode[handlers.Problem](t, rec)
		found := false
		for _, fe := range p.Errors {
			found = found || fe.Field == tc.field
		}
		if !found || p.Title != "Validation Failed" || p.Instance != "/api/v1/forecasts" {
			t.Errorf("%s: want an error on %q, got %+v", tc.name, tc.field, p)
		}
	}
	if n := e.count(); n != 0 {
		t.Errorf("invalid requests stored %d rows", n)
	}
	// Boundaries are accepted: exactly 8 levels, exactly 500 nodes, alpha-2 lower case.
	for name, f := range map[string]func(m map[string]any){
		"depth 8":   func(m map[string]any) { m["scenarios"] = chain(8) },
		"500 nodes": func(m map[string]any) { m["scenarios"] = wide(500) },
		"alpha-2":   func(m map[string]any) { m["country_iso"] = "ua" },
		"no scenarios or calibration": func(m map[string]any) {
			delete(m, "scenarios")
			delete(m, "calibration")
		},
	} {
		if rec := e.post(mutate(t, f)); rec.Code != http.StatusCreated {
			t.Errorf("%s: %d %s", name, rec.Code, rec.Body)
		}
	}
}

// Bodies that are not a forecast at all get the right status and a problem document.
func TestMalformedBodies(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	huge := `{"question":"` + strings.Repeat("x", handlers.MaxBodyBytes) + `"}`
	cases := []struct {
		name   string
		body   string
		ctype  string
		status int
	}{
		{"not json", `{"question": `, "application/json", http.StatusBadRequest},
		{"garbage", `<xml/>`, "application/json", http.StatusBadRequest},
		{"empty", ``, "application/json", http.StatusBadRequest},
		{"two values", `{} {}`, "application/json", http.StatusBadRequest},
		{"array", `[]`, "application/json", http.StatusUnprocessableEntity},
		{"text/plain", `{}`, "text/plain", http.StatusUnsupportedMediaType},
		{"no content type", `{}`, "", http.StatusUnsupportedMediaType},
		{"form", `a=b`, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType},
		{"too large", huge, "application/json", http.StatusRequestEntityTooLarge},
		{"null", `null`, "application/json", http.StatusUnprocessableEntity},
	}
	for _, tc := range cases {
		rec := e.do(http.MethodPost, "/api/v1/forecasts", []byte(tc.body), "Content-Type", tc.ctype)
		if rec.Code != tc.status || rec.Header().Get("Content-Type") != handlers.ProblemContentType {
			t.Errorf("%s: %d %q, want %d problem", tc.name, rec.Code, rec.Header().Get("Content-Type"), tc.status)
		}
	}
	if n := e.count(); n != 0 {
		t.Errorf("malformed requests stored %d rows", n)
	}
}
