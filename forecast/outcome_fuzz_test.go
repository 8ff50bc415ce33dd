package forecast_test

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"geopol/forecast"
	"geopol/models"
	"geopol/store"
	"geopol/validate"
)

// FuzzOutcomeBody feeds arbitrary bodies through the path of POST /forecasts/{id}/outcome
// and the admin correction (strict decode, validation, row mapping, insert) into SQLite
// and PostgreSQL: every body is refused with 400 or 422, or stored and read back exactly
// as sent.
func FuzzOutcomeBody(f *testing.F) {
	for _, s := range []string{
		`{"outcome":1}`, `{"outcome":0,"status":"resolved","resolution_method":"gdelt_rule","evidence_gdelt_ids":["881990960"],"notes":"confirmed"}`,
		`{"status":"annulled","notes":"question voided"}`, `{"status":"ambiguous"}`, `{}`, `null`, `[]`,
		`{"outcome":1,"notes":"a\u0000b"}`, "{\"outcome\":1,\"notes\":\"\xff\"}", `{"outcome":1,"notes":"\udc00"}`,
		`{"outcome":1,"notes":"line\r\nbreak\ttab"}`, `{"outcome":1,"notes":"\u200b"}`, `{"outcome":1,"notes":""}`,
		`{"outcome":1,"resolution_date":"2026-01-01T00:00:00.123456789Z"}`, `{"outcome":1,"resolution_date":"0000-01-01T00:00:00Z"}`,
		`{"outcome":1,"evidence_gdelt_ids":["99999999999999999999"]}`, `{"outcome":1,"outcome":0}`, `{"Outcome":1}`,
		`{"outcome":1e400}`, `{"outcome":-0}`, `{"outcome":0.5,"status":"RESOLVED"}`,
	} {
		f.Add([]byte(s))
	}
	dbs := fuzzDatabases(f)
	created := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		var req forecast.OutcomeRequest
		if !decodeFuzzed(t, body, &req) {
			return
		}
		now := store.Now()
		v, err := req.Validate(created, now)
		if err != nil {
			if inv := (*validate.Error)(nil); !errors.As(err, &inv) {
				t.Fatalf("%q: validation failed without field errors: %v", body, err)
			}
			return
		}
		for name, db := range dbs {
			id := uuid.NewString()
			p := models.Prediction{ID: id, Question: "fuzzed outcome's forecast", PredictionText: "p", Probability: 0.5,
				Confidence: 0.5, HorizonDays: 30, Category: "conflict", ReasoningSummary: "r", Scenarios: models.JSON("[]"),
				EnsembleInfo: models.JSON("{}"), Calibration: models.JSON("{}"), Entities: models.JSON("[]"),
				CreatedAt: created, ExpiresAt: created.Add(time.Hour)}
			if err := db.Create(&p).Error; err != nil {
				t.Fatal(err)
			}
			row, err := v.Record(id)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Create(row).Error; err != nil {
				t.Fatalf("%s: a validated outcome was not stored: %v\n%q", name, err, body)
			}
			var back models.OutcomeRecord
			if err := db.Take(&back, "prediction_id = ?", id).Error; err != nil {
				t.Fatal(err)
			}
			got, err := forecast.OutcomeFromRow(&back)
			if err != nil {
				t.Fatal(err)
			}
			ids := req.EvidenceGdeltIDs
			if ids == nil {
				ids = []string{}
			}
			switch {
			case req.Outcome != nil && got.Outcome != *req.Outcome,
				req.Status != "" && got.Status != req.Status,
				req.ResolutionMethod != "" && got.ResolutionMethod != req.ResolutionMethod,
				req.ResolutionDate != nil && !got.ResolutionDate.Equal(*req.ResolutionDate),
				!slices.Equal(got.EvidenceGdeltIDs, ids),
				(got.Notes == nil) != (req.Notes == nil), req.Notes != nil && *got.Notes != *req.Notes:
				g, _ := json.Marshal(got)
				t.Fatalf("%s: stored %s\nsent %q", name, g, body)
			}
		}
	})
}
