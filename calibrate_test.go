package main

import (
	"context"
	"fmt"
	"testing"
	"time"

	"geopol/calibration"
	"geopol/forecast"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// `calibrate` with too few resolved forecasts stores nothing, says so and why (each
// group's size against the minimum), and succeeds: there is nothing to learn yet.
func TestCalibrateSaysWhyNoWeightWasStored(t *testing.T) {
	cfg := cliEnv(t, false)
	db := storetest.Open(t, cfg)
	ctx := context.Background()
	created := store.Now().Add(-48 * time.Hour)
	for i, code := range []string{"04", "04", "14"} {
		req := forecast.RandomForecasts(11, i+1)[i]
		tkg := 0.4
		req.CameoRootCode, req.EnsembleInfo.TKGProbability = &code, &tkg
		row, err := forecast.Create(ctx, db, req, "", created)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Create(&models.OutcomeRecord{PredictionID: row.ID, Outcome: 1, Status: models.OutcomeResolved,
			ResolutionDate: created.Add(time.Hour), ResolutionMethod: "manual"}).Error; err != nil {
			t.Fatal(err)
		}
	}
	out, errOut, err := runCLI(t, "calibrate")
	if err != nil {
		t.Fatalf("calibrate: %v\n%s", err, errOut)
	}
	want := "3 resolved forecast(s) with llm and tkg probabilities\n" +
		fmt.Sprintf("no weight stored: a weight needs at least %d resolved forecasts with llm and tkg probabilities in its group, ", calibration.MinGroupSize) +
		"and every group has fewer (codes 04 n=2, 14 n=1; super-categories super:verbal_conflict n=1, super:verbal_coop n=2; global n=3); " +
		"forecasts keep the stored weights or the prior (alpha 0.6)\n"
	if out != want {
		t.Fatalf("calibrate printed:\n%s\nwant:\n%s", out, want)
	}
	var n int64
	db.Model(&models.CalibrationWeight{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d weights stored", n)
	}
}
