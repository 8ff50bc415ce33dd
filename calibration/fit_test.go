package calibration_test

import (
	"context"
	"math"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// resolved stores a forecast with its outcome.
func resolved(t *testing.T, db *gorm.DB, code, category string, p, llm, tkg, outcome float64, status string) {
	t.Helper()
	created := time.Date(2019, 10, 1, 0, 0, 0, 0, time.UTC)
	id := forecast(t, db, "SYR", code, category, p, llm, tkg, created, created.AddDate(0, 0, 10))
	o := &models.OutcomeRecord{PredictionID: id, Outcome: outcome, Status: status, ResolutionDate: created.AddDate(0, 0, 10), ResolutionMethod: "manual"}
	if err := db.Create(o).Error; err != nil {
		t.Fatal(err)
	}
}

func weights(t *testing.T, db *gorm.DB) map[string]models.CalibrationWeight {
	t.Helper()
	rows, err := calibration.LoadWeights(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]models.CalibrationWeight{}
	for _, w := range rows {
		out[w.CameoCode] = w
	}
	return out
}

func TestCalibrateStoresGuardsAndForces(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		// Code 19, ten forecasts, llm 0.8 / tkg 0.4, 7 yes and 3 no:
		//   d = 0.4; o - t = 0.6 (yes) or -0.4 (no)
		//   alpha = 0.4 × (7×0.6 - 3×0.4) / (10 × 0.16) = 0.4 × 3.0 / 1.6 = 0.75
		//   blend = 0.4 + 0.75×0.4 = 0.7; Brier = (7×0.3² + 3×0.7²) / 10 = (0.63 + 1.47) / 10 = 0.21
		for i := 0; i < 10; i++ {
			o := 0.0
			if i < 7 {
				o = 1
			}
			resolved(t, db, "19", "conflict", 0.7, 0.8, 0.4, o, models.OutcomeResolved)
		}
		// Not counted: annulled, and a forecast without a TKG probability.
		resolved(t, db, "19", "conflict", 0.7, 0.0, 1.0, 1, models.OutcomeAnnulled)
		resolved(t, db, "19", "conflict", 0.7, 0.8, -1, 0, models.OutcomeResolved)

		rep, err := calibration.Calibrate(ctx, db, calibration.CalibrateOptions{MaxChange: 0.25, Now: store.Now()})
		if err != nil {
			t.Fatal(err)
		}
		w := weights(t, db)["19"]
		if rep.Samples != 10 || rep.Applied != 1 || rep.Refused != 0 || math.Abs(w.Alpha-0.75) > 1e-12 ||
			w.SampleSize != 10 || w.BrierScore == nil || math.Abs(*w.BrierScore-0.21) > 1e-12 {
			t.Fatalf("first run: %+v, stored %+v", rep, w)
		}

		// Two more yes answers from an LLM that said 0.2 and a TKG that said 0.9 pull
		// alpha down: num = 0.4×3.0 + 2×(-0.7)(0.1) = 1.2 - 0.14 = 1.06,
		// den = 1.6 + 2×0.49 = 2.58, alpha = 0.4108527; |0.41 - 0.75| / 0.75 = 0.452 > 0.25.
		resolved(t, db, "19", "conflict", 0.5, 0.2, 0.9, 1, models.OutcomeResolved)
		resolved(t, db, "19", "conflict", 0.5, 0.2, 0.9, 1, models.OutcomeResolved)
		rep, err = calibration.Calibrate(ctx, db, calibration.CalibrateOptions{MaxChange: 0.25, Now: store.Now()})
		if err != nil {
			t.Fatal(err)
		}
		d := rep.Decisions[0]
		if rep.Refused != 1 || !d.Refused || math.Abs(d.Alpha-1.06/2.58) > 1e-12 || math.Abs(*d.Previous-0.75) > 1e-12 ||
			math.Abs(*d.Change-(0.75-1.06/2.58)/0.75) > 1e-12 {
			t.Errorf("guardrail: %+v", rep)
		}
		if w := weights(t, db)["19"]; math.Abs(w.Alpha-0.75) > 1e-12 || w.SampleSize != 10 {
			t.Errorf("a refused fit changed the stored weight: %+v", w)
		}
		rep, err = calibration.Calibrate(ctx, db, calibration.CalibrateOptions{MaxChange: 0.25, Force: true, Now: store.Now()})
		if err != nil || rep.Applied != 1 || rep.Refused != 0 {
			t.Fatalf("force: %+v %v", rep, err)
		}
		if w := weights(t, db)["19"]; math.Abs(w.Alpha-1.06/2.58) > 1e-12 || w.SampleSize != 12 {
			t.Errorf("forced fit not stored: %+v", w)
		}

		// Lookups: 19 has its own; 18 has no weight anywhere, so the prior.
		if w, err := calibration.Lookup(ctx, db, "19"); err != nil || w.Source != "19" || w.SampleSize != 12 {
			t.Errorf("lookup 19: %+v %v", w, err)
		}
		if w, err := calibration.Lookup(ctx, db, "18"); err != nil || w.Source != calibration.PriorSource || w.Alpha != calibration.PriorAlpha {
			t.Errorf("lookup 18: %+v %v", w, err)
		}
	})
}

// The calibration block's track record (one SQL aggregate) agrees with the scorecard.
func TestTrackRecordMatchesScorecard(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		// conflict: (0.9,1) (0.6,0) (0.5,1) (0.2,0) scored; (0.9,0) annulled.
		// Brier = (0.01 + 0.36 + 0.25 + 0.04) / 4 = 0.165; calls right: 0.9, 0.5, 0.2 -> 3/4
		for _, r := range [][2]float64{{0.9, 1}, {0.6, 0}, {0.5, 1}, {0.2, 0}} {
			resolved(t, db, "19", "conflict", r[0], 0.5, 0.5, r[1], models.OutcomeResolved)
		}
		resolved(t, db, "19", "conflict", 0.9, 0.5, 0.5, 0, models.OutcomeAnnulled)
		resolved(t, db, "04", "diplomatic", 0.9, 0.5, 0.5, 0, models.OutcomeResolved)
		tr, err := calibration.LoadTrackRecord(ctx, db, "conflict")
		if err != nil {
			t.Fatal(err)
		}
		if tr.SampleSize != 4 || tr.BrierScore == nil || math.Abs(*tr.BrierScore-0.165) > 1e-12 || tr.HistoricalAccuracy != 0.75 {
			t.Errorf("track record %+v", tr)
		}
		card, err := calibration.LoadScorecard(ctx, db, calibration.Filter{Category: "conflict"})
		if err != nil {
			t.Fatal(err)
		}
		o := card.Overall
		if o.Count != 4 || math.Abs(*o.BrierScore-*tr.BrierScore) > 1e-12 || *o.HistoricalAccuracy != tr.HistoricalAccuracy || card.Unscored.Annulled != 1 {
			t.Errorf("scorecard %+v vs track record %+v", card, tr)
		}
		if none, err := calibration.LoadTrackRecord(ctx, db, "economic"); err != nil || none.SampleSize != 0 || none.BrierScore != nil || none.HistoricalAccuracy != 0 {
			t.Errorf("empty category: %+v %v", none, err)
		}
	})
}
