package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"testing"

	"geopol/forecast"
	"geopol/store"
)

// The geopol dashboard's wire types, written out here from its TypeScript definitions
// (frontend/src/types/api.ts of the dashboard): every field it declares, with its JSON
// type and whether it may be null. Extra fields in a response are allowed, as they are to
// the dashboard; a missing field, a wrong JSON type or an unexpected null is not.
type tsType struct {
	kind     string // string, number, boolean, array, object, or "ref"
	nullable bool
	ref      string             // kind ref: a name in dashboardTypes
	elem     *tsType            // kind array
	fields   map[string]*tsType // kind object
	enum     []string           // kind string: allowed values
}

func str() *tsType                     { return &tsType{kind: "string"} }
func num() *tsType                     { return &tsType{kind: "number"} }
func boolean() *tsType                 { return &tsType{kind: "boolean"} }
func arr(e *tsType) *tsType            { return &tsType{kind: "array", elem: e} }
func ref(name string) *tsType          { return &tsType{kind: "ref", ref: name} }
func oneOf(v ...string) *tsType        { return &tsType{kind: "string", enum: v} }
func null(t *tsType) *tsType           { c := *t; c.nullable = true; return &c }
func obj(f map[string]*tsType) *tsType { return &tsType{kind: "object", fields: f} }

var dashboardTypes = map[string]*tsType{
	"EvidenceDTO": obj(map[string]*tsType{
		"source": str(), "description": str(), "confidence": num(), "timestamp": null(str()), "gdelt_event_id": null(str()),
	}),
	"EnsembleInfoDTO": obj(map[string]*tsType{
		"llm_probability": num(), "tkg_probability": null(num()), "weights": &tsType{kind: "object"}, "temperature_applied": num(),
	}),
	"CalibrationDTO": obj(map[string]*tsType{
		"category": str(), "temperature": num(), "historical_accuracy": num(), "brier_score": null(num()), "sample_size": num(),
	}),
	"ScenarioDTO": obj(map[string]*tsType{
		"scenario_id": str(), "description": str(), "probability": num(), "answers_affirmative": boolean(),
		"entities": arr(str()), "timeline": arr(str()), "evidence_sources": arr(ref("EvidenceDTO")), "child_scenarios": arr(ref("ScenarioDTO")),
	}),
	"ForecastResponse": obj(map[string]*tsType{
		"forecast_id": str(), "question": str(), "prediction": str(), "probability": num(), "confidence": num(),
		"horizon_days": num(), "scenarios": arr(ref("ScenarioDTO")), "reasoning_summary": str(), "evidence_count": num(),
		"narrative_summary": null(str()), "ensemble_info": ref("EnsembleInfoDTO"), "calibration": ref("CalibrationDTO"),
		"created_at": str(), "expires_at": str(), "polymarket_comparison": null(&tsType{kind: "object"}),
	}),
	"CountryRiskSummary": obj(map[string]*tsType{
		"iso_code": str(), "baseline_risk": num(), "forecast_risk": null(num()), "blended_risk": num(), "risk_score": num(),
		"forecast_count": num(), "top_forecast": null(str()), "top_probability": null(num()),
		"trend": oneOf("rising", "stable", "falling"), "last_updated": str(), "disputed": boolean(),
	}),
	"ArcData":       obj(map[string]*tsType{"source_iso": str(), "target_iso": str(), "event_count": num(), "avg_goldstein": num()}),
	"RiskDeltaData": obj(map[string]*tsType{"country_iso": str(), "current_risk": num(), "previous_risk": num(), "delta": num()}),
	"SubsystemStatus": obj(map[string]*tsType{
		"name": str(), "healthy": boolean(), "detail": null(str()), "checked_at": str(),
	}),
	"HealthResponse": obj(map[string]*tsType{
		"status": oneOf("healthy", "degraded", "unhealthy"), "subsystems": arr(ref("SubsystemStatus")), "timestamp": str(), "version": str(),
	}),
	"EventDTO": obj(map[string]*tsType{
		"id": num(), "gdelt_id": null(str()), "event_date": str(), "actor1_code": null(str()), "actor2_code": null(str()),
		"event_code": null(str()), "quad_class": null(num()), "goldstein_scale": null(num()), "num_mentions": null(num()),
		"num_sources": null(num()), "tone": null(num()), "url": null(str()), "title": null(str()), "country_iso": null(str()),
		"source": str(),
	}),
	"SearchResult":       obj(map[string]*tsType{"forecast": ref("ForecastResponse"), "relevance": num()}),
	"SearchResponse":     obj(map[string]*tsType{"results": arr(ref("SearchResult")), "total": num(), "query": str(), "suggestions": null(arr(str()))}),
	"PaginatedForecasts": page("ForecastResponse"),
	"PaginatedEvents":    page("EventDTO"),
	"ProblemDetail": obj(map[string]*tsType{
		"type": str(), "title": str(), "status": num(), "detail": null(str()), "instance": null(str()),
	}),
}

// page is the dashboard's PaginatedResponse<T>.
func page(item string) *tsType {
	return obj(map[string]*tsType{"items": arr(ref(item)), "next_cursor": null(str()), "has_more": boolean()})
}

// conform reports every way v (decoded JSON) departs from the type, by JSON path.
func conform(path string, v any, t *tsType) []string {
	if t.kind == "ref" {
		return conform(path, v, dashboardTypes[t.ref])
	}
	if v == nil {
		if t.nullable {
			return nil
		}
		return []string{path + ": null, want " + t.kind}
	}
	var errs []string
	switch t.kind {
	case "string":
		s, ok := v.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want string", path, v)}
		}
		if len(t.enum) > 0 && !slices.Contains(t.enum, s) {
			errs = append(errs, fmt.Sprintf("%s: %q not one of %v", path, s, t.enum))
		}
	case "number":
		if _, ok := v.(float64); !ok {
			return []string{fmt.Sprintf("%s: %T, want number", path, v)}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: %T, want boolean", path, v)}
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want array", path, v)}
		}
		for i, e := range list {
			errs = append(errs, conform(fmt.Sprintf("%s[%d]", path, i), e, t.elem)...)
		}
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want object", path, v)}
		}
		for name, ft := range t.fields {
			fv, present := m[name]
			if !present {
				errs = append(errs, path+"."+name+": missing")
				continue
			}
			errs = append(errs, conform(path+"."+name, fv, ft)...)
		}
	}
	return errs
}

// dashboardCall is one call of the dashboard's client: the request it builds, the status
// geopol must answer and the type the client declares for the body.
type dashboardCall struct {
	method, path string
	status       int
	typ          *tsType
	noKey        bool // the client sends no API key (health)
}

// Every call the dashboard's client makes, as it builds them, gets a value of its declared
// type from seeded forecasts and the real GDELT sample, on both backends. Calls for
// things geopol does not hold answer 501, never another route's 404.
func TestDashboardClientCalls(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		e.ingestSample()
		if _, err := forecast.SeedGolden(context.Background(), e.db, store.Now()); err != nil {
			t.Fatal(err)
		}
		syria := e.newForecast(golden(t, "syria")) // a second Syrian forecast: the country list has a next page
		q := url.Values{"country": {"SY"}, "start_date": {"2019-10-01"}, "end_date": {"2019-10-31"},
			"cameo_code": {"1"}, "source": {"gdelt"}, "limit": {"20"}}
		calls := []dashboardCall{
			{"GET", "/forecasts/top", 200, arr(ref("ForecastResponse")), false},
			{"GET", "/forecasts/top?limit=2", 200, arr(ref("ForecastResponse")), false},
			{"GET", "/forecasts/country/SY?limit=1", 200, ref("PaginatedForecasts"), false},
			{"GET", "/forecasts/country/UA", 200, ref("PaginatedForecasts"), false},
			{"GET", "/forecasts/" + syria, 200, ref("ForecastResponse"), false},
			{"GET", "/forecasts/00000000-0000-4000-8000-000000000000", 404, ref("ProblemDetail"), false},
			{"GET", "/countries", 200, arr(ref("CountryRiskSummary")), false},
			{"GET", "/countries/SY", 200, ref("CountryRiskSummary"), false},
			{"GET", "/countries/US", 200, ref("CountryRiskSummary"), false}, // events only
			{"GET", "/countries/AQ", 404, ref("ProblemDetail"), false},
			{"GET", "/health", 200, ref("HealthResponse"), true},
			{"GET", "/forecasts/search?q=Idlib", 200, ref("SearchResponse"), false},
			{"GET", "/forecasts/search?q=offensive&country=SY&category=conflict&limit=5", 200, ref("SearchResponse"), false},
			{"GET", "/forecasts/search?q=zzzqqq", 200, ref("SearchResponse"), false},
			{"GET", "/events?" + q.Encode(), 200, ref("PaginatedEvents"), false},
			{"GET", "/events", 200, ref("PaginatedEvents"), false},
			{"GET", "/globe/arcs", 200, obj(map[string]*tsType{"arcs": arr(ref("ArcData"))}), false},
			{"GET", "/globe/deltas", 200, obj(map[string]*tsType{"deltas": arr(ref("RiskDeltaData"))}), false},
			{"GET", "/globe/heatmap", 501, ref("ProblemDetail"), false},
			{"GET", "/calibration/polymarket", 501, ref("ProblemDetail"), false},
			{"GET", "/calibration/polymarket/top", 501, ref("ProblemDetail"), false},
			{"GET", "/calibration/polymarket/comparisons", 501, ref("ProblemDetail"), false},
			{"GET", "/calibration/polymarket/comparisons/3/snapshots?limit=30", 501, ref("ProblemDetail"), false},
			{"POST", "/forecasts/submit", 501, ref("ProblemDetail"), false},
			{"POST", "/forecasts/submit/abc/confirm", 501, ref("ProblemDetail"), false},
			{"GET", "/forecasts/requests?status_filter=pending", 501, ref("ProblemDetail"), false},
			{"GET", "/articles?sort=recent&limit=10", 501, ref("ProblemDetail"), false},
			{"GET", "/sources", 501, ref("ProblemDetail"), true},
			{"GET", "/advisories?country=SY", 501, ref("ProblemDetail"), false},
		}
		for _, c := range calls {
			var header []string
			if c.noKey {
				header = []string{"X-API-Key", "", "Authorization", ""}
			}
			rec := e.do(c.method, "/api/v1"+c.path, nil, header...)
			if rec.Code != c.status {
				t.Errorf("%s %s: %d, want %d: %s", c.method, c.path, rec.Code, c.status, rec.Body)
				continue
			}
			var v any
			if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
				t.Errorf("%s %s: not JSON: %v", c.method, c.path, err)
				continue
			}
			for _, err := range conform("$", v, c.typ) {
				t.Errorf("%s %s: %s", c.method, c.path, err)
			}
			// Real data, not just valid shapes: these answers cannot be empty.
			switch c.path {
			case "/countries", "/forecasts/top", "/events":
				if list, _ := v.([]any); c.path != "/events" && len(list) == 0 {
					t.Errorf("GET %s is empty with seeded forecasts and events", c.path)
				}
				if m, _ := v.(map[string]any); c.path == "/events" && len(m["items"].([]any)) == 0 {
					t.Errorf("GET /events is empty with the GDELT sample ingested")
				}
			case "/forecasts/search?q=Idlib":
				if m, _ := v.(map[string]any); len(m["results"].([]any)) == 0 {
					t.Errorf("searching Idlib finds nothing although the Syria fixture asks about it")
				}
			}
		}
	})
}

// The OpenAPI document describes the dashboard's shapes: every field of each of its types
// is a required property of the schema of the same name.
func TestOpenAPIDescribesDashboardTypes(t *testing.T) {
	doc := mustContract(t).doc
	for tsName, oaName := range map[string]string{
		"ForecastResponse": "ForecastResponse", "ScenarioDTO": "ScenarioDTO", "EvidenceDTO": "EvidenceDTO",
		"CalibrationDTO": "CalibrationDTO", "EnsembleInfoDTO": "EnsembleInfoDTO", "CountryRiskSummary": "CountryRiskSummary",
		"HealthResponse": "HealthResponse", "SubsystemStatus": "SubsystemStatus", "EventDTO": "Event",
		"ArcData": "ArcData", "RiskDeltaData": "RiskDeltaData", "SearchResponse": "SearchResponse", "SearchResult": "SearchResult", "PaginatedForecasts": "ForecastPage", "PaginatedEvents": "EventPage",
	} {
		ref, ok := doc.Components.Schemas[oaName]
		if !ok {
			t.Errorf("no schema %s for the dashboard's %s", oaName, tsName)
			continue
		}
		s := ref.Value
		for field, ft := range dashboardTypes[tsName].fields {
			prop, ok := s.Properties[field]
			if !ok || !slices.Contains(s.Required, field) {
				t.Errorf("%s.%s is not a required property of %s", tsName, field, oaName)
				continue
			}
			if ft.nullable && !prop.Value.Nullable {
				t.Errorf("%s.%s may be null for the dashboard but %s says it cannot", tsName, field, oaName)
			}
			want := map[string]string{"string": "string", "number": "number", "boolean": "boolean", "array": "array", "object": "object"}[ft.kind]
			if got := prop.Value.Type; want != "" && got != nil && !got.Is(want) && !(want == "number" && got.Is("integer")) {
				t.Errorf("%s.%s is %s for the dashboard, %v in %s", tsName, field, want, got, oaName)
			}
		}
	}
}
