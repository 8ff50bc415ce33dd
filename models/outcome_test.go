package models_test

import (
	"testing"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// status defaults to resolved, is limited to resolved/annulled/ambiguous, and the
// correction history round-trips.
func TestOutcomeStatusAndHistory(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		p := newPrediction()
		if err := db.Create(p).Error; err != nil {
			t.Fatal(err)
		}
		o := &models.OutcomeRecord{PredictionID: p.ID, Outcome: 1, ResolutionDate: store.Now(), ResolutionMethod: "manual"}
		if err := db.Create(o).Error; err != nil {
			t.Fatal(err)
		}
		var got models.OutcomeRecord
		if err := db.First(&got, o.ID).Error; err != nil {
			t.Fatal(err)
		}
		if got.Status != models.OutcomeResolved || got.History != nil {
			t.Errorf("defaults: status %q, history %s", got.Status, got.History)
		}
		history := models.JSON(`[{"outcome":0,"status":"resolved","replaced_at":"2026-01-01T00:00:00Z"}]`)
		if err := db.Model(&got).Updates(map[string]any{"status": models.OutcomeAmbiguous, "history": history}).Error; err != nil {
			t.Fatal(err)
		}
		db.First(&got, o.ID)
		if got.Status != models.OutcomeAmbiguous || compact(got.History) != compact(history) {
			t.Errorf("update: %q %s", got.Status, got.History)
		}
		if err := db.Model(&got).Update("status", "void").Error; err == nil {
			t.Error("status void accepted")
		}
	})
}
