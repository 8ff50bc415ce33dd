package forecast_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"gorm.io/gorm"

	"geopol/codes"
	"geopol/forecast"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
	"geopol/validate"
)

// fuzzDatabases are the real databases a fuzz target stores into: a SQLite file always,
// and PostgreSQL when it answers (always under GEOPOL_TEST_SERVICES=required). Commits
// need not reach the disk here, so PostgreSQL runs without synchronous commit.
func fuzzDatabases(f *testing.F) map[string]*gorm.DB {
	dbs := map[string]*gorm.DB{"sqlite": storetest.SQLite(f)}
	if storetest.PostgresAnswers(f) {
		dbs["postgres"] = storetest.Open(f, storetest.Config(f, storetest.PostgresURL(f)+"&synchronous_commit=off"))
	}
	return dbs
}

// hostileForecastSeeds turn the Syria forecast into the inputs that once slipped through.
func hostileForecastSeeds(f *testing.F) {
	golden, err := forecast.GoldenRequest("syria")
	if err != nil {
		f.Fatal(err)
	}
	base, _ := json.Marshal(golden)
	body := string(base)
	q := `"question":` + strings.SplitN(strings.SplitN(body, `"question":`, 2)[1], `",`, 2)[0] + `"`
	for _, s := range []string{
		strings.Replace(body, q, `"question":"Will the offensive\u0000 happen before March?"`, 1),
		strings.Replace(body, q, "\"question\":\"Will the offensive \xff\xfe happen before March?\"", 1),
		strings.Replace(body, q, `"question":"Will the offensive \ud800 happen before March?"`, 1),
		strings.Replace(body, q, `"question":"\u200b\u200b\u200b\u200b\u200b\u2060\u2060\u2060\ufeff\ufeff\ufeff"`, 1),
		strings.Replace(body, q, `"question":"Will it rain on\r\nthe coast\tbefore March?  "`, 1),
		strings.Replace(body, q, `"question":"Will 😀 \ud83d\ude00 be sent as emoji in March?"`, 1),
		strings.Replace(body, `"category":`, `"evidence_count":2147483648,"category":`, 1),
		strings.Replace(body, `"category":`, `"evidence_count":2147483647,"category":`, 1),
		strings.Replace(body, `"category":`, `"horizon_days":9223372036854775807,"category":`, 1),
		strings.Replace(body, `"category":`, `"expires_at":"9999-12-31T23:59:59-23:00","category":`, 1),
		strings.Replace(body, `"category":`, `"expires_at":"2099-01-01T00:00:00.123456789Z","category":`, 1),
		strings.Replace(body, `"category":`, `"question":"dup key question here?","category":`, 1),
		strings.Replace(body, `"category":`, `"QUESTION":"case variant question?","category":`, 1),
		strings.Replace(body, `"probability":`, `"probability":-0,"x":`, 1),
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"syria", "ukraine", "myanmar"} {
		req, err := forecast.GoldenRequest(name)
		if err != nil {
			f.Fatal(err)
		}
		b, _ := json.Marshal(req)
		f.Add(b)
	}
	for _, req := range forecast.RandomForecasts(11, 3) {
		b, _ := json.Marshal(req)
		f.Add(b)
	}
}

// decodeFuzzed decodes body strictly into v, as the API does. It reports whether the
// body was accepted; a refusal must be a syntax error (400) or field errors (422).
func decodeFuzzed(t *testing.T, body []byte, v any) bool {
	t.Helper()
	err := validate.DecodeStrict(body, v)
	var syn *validate.SyntaxError
	var inv *validate.Error
	switch {
	case errors.As(err, &syn), errors.As(err, &inv):
		return false
	case err != nil:
		t.Fatalf("%q: an error that is neither 400 nor 422: %v", body, err)
	}
	return true
}

// FuzzForecastBody feeds arbitrary bodies through POST /forecasts' path (strict decode,
// validation, row mapping, insert) into SQLite and PostgreSQL: every body is refused
// with a syntax error (400) or field errors (422), or stored, and then what is read back
// is exactly what was sent (the country code in its documented normal form).
func FuzzForecastBody(f *testing.F) {
	hostileForecastSeeds(f)
	dbs := fuzzDatabases(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req forecast.ForecastRequest
		if !decodeFuzzed(t, body, &req) {
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("%q: accepted invalid UTF-8", body)
		}
		var sent forecast.ForecastRequest // the body as sent, before Validate normalises it
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("%q: DecodeStrict accepted what encoding/json refuses: %v", body, err)
		}
		now := store.Now()
		if err := req.Validate(now); err != nil {
			if inv := (*validate.Error)(nil); !errors.As(err, &inv) {
				t.Fatalf("%q: validation failed without field errors: %v", body, err)
			}
			return
		}
		for name, db := range dbs {
			row, err := forecast.Create(context.Background(), db, &req, "", now)
			if err != nil {
				t.Fatalf("%s: a validated forecast was not stored: %v\n%q", name, err, body)
			}
			var back models.Prediction
			if err := db.Take(&back, "id = ?", row.ID).Error; err != nil {
				t.Fatalf("%s: read back: %v", name, err)
			}
			got, err := forecast.FromRow(&back)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sameForecast(t, name, body, &sent, back, got)
		}
	})
}

// sameForecast fails t unless the stored forecast is the one sent.
func sameForecast(t *testing.T, db string, body []byte, sent *forecast.ForecastRequest, row models.Prediction, got *forecast.ForecastResponse) {
	t.Helper()
	bad := func(field string, got, want any) {
		t.Fatalf("%s: %s stored as %#v, sent %#v\nbody %q", db, field, got, want, body)
	}
	if got.Question != sent.Question {
		bad("question", got.Question, sent.Question)
	}
	if got.Prediction != sent.Prediction {
		bad("prediction", got.Prediction, sent.Prediction)
	}
	if got.ReasoningSummary != sent.ReasoningSummary {
		bad("reasoning_summary", got.ReasoningSummary, sent.ReasoningSummary)
	}
	if (got.NarrativeSummary == nil) != (sent.NarrativeSummary == nil) || (sent.NarrativeSummary != nil && *got.NarrativeSummary != *sent.NarrativeSummary) {
		bad("narrative_summary", got.NarrativeSummary, sent.NarrativeSummary)
	}
	if got.Probability != *sent.Probability || got.Confidence != *sent.Confidence {
		bad("probability/confidence", []float64{got.Probability, got.Confidence}, []float64{*sent.Probability, *sent.Confidence})
	}
	if sent.HorizonDays != nil && got.HorizonDays != *sent.HorizonDays {
		bad("horizon_days", got.HorizonDays, *sent.HorizonDays)
	}
	if sent.EvidenceCount != nil && got.EvidenceCount != *sent.EvidenceCount {
		bad("evidence_count", got.EvidenceCount, *sent.EvidenceCount)
	}
	if got.Category != sent.Category {
		bad("category", got.Category, sent.Category)
	}
	if (got.CameoRootCode == nil) != (sent.CameoRootCode == nil) || (sent.CameoRootCode != nil && *got.CameoRootCode != *sent.CameoRootCode) {
		bad("cameo_root_code", got.CameoRootCode, sent.CameoRootCode)
	}
	if sent.CountryISO != nil {
		want, _ := codes.NormalizeISO(*sent.CountryISO)
		if row.CountryISO == nil || *row.CountryISO != want {
			bad("country_iso", row.CountryISO, want)
		}
	} else if row.CountryISO != nil {
		bad("country_iso", *row.CountryISO, nil)
	}
	if sent.ExpiresAt != nil && !got.ExpiresAt.Equal(*sent.ExpiresAt) {
		bad("expires_at", got.ExpiresAt, *sent.ExpiresAt)
	}
	forecast.WalkEvidence(got.Scenarios, "", func(_ string, e *forecast.EvidenceDTO) { e.EventURL = nil })
	forecast.WalkEvidence(sent.Scenarios, "", func(_ string, e *forecast.EvidenceDTO) { e.EventURL = nil })
	for _, part := range []struct {
		name      string
		got, sent any
		skip      bool
	}{
		{"scenarios", got.Scenarios, nonEmptyTree(sent.Scenarios), false},
		{"entities", got.Entities, orEmpty(sent.Entities), false},
		{"ensemble_info", got.EnsembleInfo, ensemble(sent.EnsembleInfo), false},
		{"calibration", got.Calibration, sent.Calibration, sent.Calibration == nil},
	} {
		if part.skip {
			continue
		}
		g, _ := json.Marshal(part.got)
		s, _ := json.Marshal(part.sent)
		if !bytes.Equal(g, s) {
			bad(part.name, string(g), string(s))
		}
	}
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// nonEmptyTree gives a sent tree the [] the API answers for every absent list.
func nonEmptyTree(nodes []forecast.ScenarioDTO) []forecast.ScenarioDTO {
	nodes = orEmpty(nodes)
	for i := range nodes {
		n := &nodes[i]
		n.Entities, n.Timeline, n.EvidenceSources = orEmpty(n.Entities), orEmpty(n.Timeline), orEmpty(n.EvidenceSources)
		n.ChildScenarios = nonEmptyTree(n.ChildScenarios)
	}
	return nodes
}

func ensemble(e *forecast.EnsembleInfoDTO) forecast.EnsembleInfoDTO {
	out := *e
	if out.Weights == nil {
		out.Weights = map[string]float64{}
	}
	return out
}
