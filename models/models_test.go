package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

func ptr[T any](v T) *T { return &v }

func newPrediction() *models.Prediction {
	now := store.Now()
	return &models.Prediction{
		ID:               uuid.NewString(),
		Question:         "Will the ceasefire in Idlib hold through March?",
		PredictionText:   "Likely not: shelling resumed within the last two weeks.",
		Probability:      0.6234567890123,
		Confidence:       0.71,
		HorizonDays:      45,
		Category:         "conflict",
		CameoRootCode:    ptr("19"),
		ReasoningSummary: "Pattern of violations since 2020 ceasefire.",
		EvidenceCount:    3,
		Scenarios:        models.JSON(`[{"scenario_id":"s1","probability":0.6}]`),
		EnsembleInfo:     models.JSON(`{"llm_probability":0.6,"tkg_probability":null}`),
		Calibration:      models.JSON(`{"category":"conflict","temperature":1.1}`),
		Entities:         models.JSON(`["SYR","TUR"]`),
		CountryISO:       ptr("SYR"),
		CreatedAt:        now,
		ExpiresAt:        now.Add(45 * 24 * time.Hour),
	}
}

func TestPredictionRoundTrip(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		in := newPrediction()
		if err := db.Create(in).Error; err != nil {
			t.Fatal(err)
		}
		var out models.Prediction
		if err := db.First(&out, "id = ?", in.ID).Error; err != nil {
			t.Fatal(err)
		}
		if out.Probability != in.Probability || out.Question != in.Question || out.PredictionText != in.PredictionText ||
			out.HorizonDays != 45 || *out.CountryISO != "SYR" || *out.CameoRootCode != "19" || out.EvidenceCount != 3 {
			t.Errorf("fields differ:\n in=%+v\nout=%+v", in, out)
		}
		if !out.CreatedAt.Equal(in.CreatedAt) || !out.ExpiresAt.Equal(in.ExpiresAt) {
			t.Errorf("times differ: %v/%v vs %v/%v", out.CreatedAt, out.ExpiresAt, in.CreatedAt, in.ExpiresAt)
		}
		for name, pair := range map[string][2]models.JSON{
			"scenarios": {in.Scenarios, out.Scenarios}, "ensemble_info": {in.EnsembleInfo, out.EnsembleInfo},
			"calibration": {in.Calibration, out.Calibration}, "entities": {in.Entities, out.Entities},
		} {
			if compact(pair[0]) != compact(pair[1]) {
				t.Errorf("%s: %s != %s", name, pair[0], pair[1])
			}
		}

		// Updates with a map writes zero values too (a struct would skip them).
		if err := db.Model(&out).Updates(map[string]any{"probability": 0.0, "evidence_count": 0}).Error; err != nil {
			t.Fatal(err)
		}
		var again models.Prediction
		if err := db.First(&again, "id = ?", in.ID).Error; err != nil {
			t.Fatal(err)
		}
		if again.Probability != 0 || again.EvidenceCount != 0 {
			t.Errorf("update lost: %+v", again)
		}

		bad := newPrediction()
		bad.Probability = 1.5
		if err := db.Create(bad).Error; err == nil {
			t.Error("probability 1.5 accepted by the database")
		}
		var missing models.Prediction
		if err := db.First(&missing, "id = ?", uuid.NewString()).Error; !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("missing row: want ErrRecordNotFound, got %v", err)
		}
	})
}

func compact(j models.JSON) string { return strings.Join(strings.Fields(string(j)), "") }

func TestOutcomeConstraints(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		p := newPrediction()
		if err := db.Create(p).Error; err != nil {
			t.Fatal(err)
		}
		o := &models.OutcomeRecord{PredictionID: p.ID, Outcome: 1, ResolutionDate: store.Now(), ResolutionMethod: "manual",
			EvidenceGdeltIDs: models.JSON(`["881990832"]`), Notes: ptr("confirmed by two wire services")}
		if err := db.Create(o).Error; err != nil {
			t.Fatal(err)
		}
		var got models.OutcomeRecord
		if err := db.First(&got, o.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got.PredictionID != p.ID || got.Outcome != 1 || *got.Notes != *o.Notes || compact(got.EvidenceGdeltIDs) != `["881990832"]` {
			t.Errorf("outcome differs: %+v", got)
		}

		second := &models.OutcomeRecord{PredictionID: p.ID, Outcome: 0, ResolutionDate: store.Now(), ResolutionMethod: "manual"}
		if err := db.Create(second).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("second outcome for one forecast: want ErrDuplicatedKey, got %v", err)
		}
		orphan := &models.OutcomeRecord{PredictionID: uuid.NewString(), Outcome: 0, ResolutionDate: store.Now(), ResolutionMethod: "manual"}
		if err := db.Create(orphan).Error; !errors.Is(err, gorm.ErrForeignKeyViolated) {
			t.Errorf("outcome for a missing forecast: want ErrForeignKeyViolated, got %v", err)
		}

		// Deleting the forecast deletes its outcome.
		if err := db.Delete(&models.Prediction{}, "id = ?", p.ID).Error; err != nil {
			t.Fatal(err)
		}
		var n int64
		db.Model(&models.OutcomeRecord{}).Where("prediction_id = ?", p.ID).Count(&n)
		if n != 0 {
			t.Errorf("outcome survived its forecast: %d rows", n)
		}
	})
}

func TestCalibrationWeightUniqueCode(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		w := &models.CalibrationWeight{CameoCode: "super:material_conflict", Alpha: 0.55, SampleSize: 42, BrierScore: ptr(0.18), UpdatedAt: store.Now()}
		if err := db.Create(w).Error; err != nil {
			t.Fatal(err)
		}
		var got models.CalibrationWeight
		if err := db.First(&got, "cameo_code = ?", w.CameoCode).Error; err != nil {
			t.Fatal(err)
		}
		if got.Alpha != 0.55 || got.SampleSize != 42 || *got.BrierScore != 0.18 || !got.UpdatedAt.Equal(w.UpdatedAt) {
			t.Errorf("weight differs: %+v", got)
		}
		if err := db.Model(&got).Updates(map[string]any{"alpha": 0.6, "brier_score": nil}).Error; err != nil {
			t.Fatal(err)
		}
		db.First(&got, got.ID)
		if got.Alpha != 0.6 || got.BrierScore != nil {
			t.Errorf("update lost: %+v", got)
		}
		dup := &models.CalibrationWeight{CameoCode: w.CameoCode, Alpha: 0.5, UpdatedAt: store.Now()}
		if err := db.Create(dup).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("duplicate cameo_code: want ErrDuplicatedKey, got %v", err)
		}
		if err := db.Create(&models.CalibrationWeight{CameoCode: "01", Alpha: 1.2, UpdatedAt: store.Now()}).Error; err == nil {
			t.Error("alpha 1.2 accepted")
		}
	})
}

func TestIngestRunAndApiKey(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		run := &models.IngestRun{StartedAt: store.Now(), Status: models.IngestRunning, FileURL: ptr("http://data.gdeltproject.org/gdeltv2/20191024143000.export.CSV.zip")}
		if err := db.Create(run).Error; err != nil {
			t.Fatal(err)
		}
		done := store.Now()
		if err := db.Model(run).Updates(map[string]any{"status": models.IngestSuccess, "completed_at": done,
			"events_fetched": 2111, "events_new": 2111, "events_duplicate": 0}).Error; err != nil {
			t.Fatal(err)
		}
		var got models.IngestRun
		if err := db.First(&got, run.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got.Source != "gdelt" || got.Status != models.IngestSuccess || got.EventsNew != 2111 || got.CompletedAt == nil || !got.CompletedAt.Equal(done) {
			t.Errorf("run differs: %+v", got)
		}
		if err := db.Create(&models.IngestRun{StartedAt: store.Now(), Status: "paused"}).Error; err == nil {
			t.Error("unknown status accepted")
		}

		key := &models.ApiKey{KeyHash: strings.Repeat("ab", 32), Prefix: "gp_live_1a2b", ClientName: "globe-dashboard", CreatedAt: store.Now()}
		if err := db.Create(key).Error; err != nil {
			t.Fatal(err)
		}
		var k models.ApiKey
		if err := db.First(&k, "key_hash = ?", key.KeyHash).Error; err != nil {
			t.Fatal(err)
		}
		if k.Prefix != key.Prefix || k.ClientName != key.ClientName || k.RevokedAt != nil {
			t.Errorf("key differs: %+v", k)
		}
		dup := &models.ApiKey{KeyHash: key.KeyHash, Prefix: "gp_live_ffff", ClientName: "other", CreatedAt: store.Now()}
		if err := db.Create(dup).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("duplicate key_hash: want ErrDuplicatedKey, got %v", err)
		}
	})
}
