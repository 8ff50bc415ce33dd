package main

import (
	"context"
	"math"
	"strings"
	"testing"

	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/store/storetest"
)

// checkAcceptanceWeights: the hand computation of `geopol calibrate` on acceptanceSet.
//
// Code 19 has 10 forecasts with both probabilities (the 11th has no tkg). With
// d = l - t and r = o - t:
//
//	(l, t, o)        d     r    d·r   d²
//	(0.8, 0.6, 1)   0.2   0.4   0.08  0.04
//	(0.9, 0.5, 1)   0.4   0.5   0.20  0.16
//	(0.6, 0.6, 1)   0     0.4   0     0
//	(0.7, 0.3, 1)   0.4   0.7   0.28  0.16
//	(0.5, 0.7, 1)  -0.2   0.3  -0.06  0.04
//	(0.8, 0.4, 1)   0.4   0.6   0.24  0.16
//	(0.6, 0.2, 0)   0.4  -0.2  -0.08  0.16
//	(0.3, 0.1, 0)   0.2  -0.1  -0.02  0.04
//	(0.4, 0.4, 0)   0    -0.4   0     0
//	(0.7, 0.3, 0)   0.4  -0.3  -0.12  0.16
//	                      sums: 0.52  0.92   -> alpha = 0.52 / 0.92 = 13/23 = 0.5652174
//
// Brier at the optimum = (Σr² - (Σd·r)²/Σd²) / 10 = (1.81 - 0.52²/0.92) / 10 = 0.1516087.
//
// Codes 04 (5) and 01 (5) pool into super:verbal_coop (10): Σd·r = 0.54, Σd² = 0.36,
// alpha = 1.5 -> clamped to 1; Brier of the LLM alone = 0.86 / 10 = 0.086.
// Code 18 (3) pools into super:material_conflict (3 < 10), then global (3 < 10): no
// weight, so lookups of 18 give the prior 0.6.
func checkAcceptanceWeights(t *testing.T, db *gorm.DB, out string) {
	t.Helper()
	if !strings.HasPrefix(out, "23 resolved forecast(s) with llm and tkg probabilities") {
		t.Errorf("calibrate output: %q", out)
	}
	ws, err := calibration.LoadWeights(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].CameoCode != "19" || ws[1].CameoCode != "super:verbal_coop" {
		t.Fatalf("weights %+v", ws)
	}
	storetest.Near(t, "alpha 19", &ws[0].Alpha, 13.0/23)
	storetest.Near(t, "brier 19", ws[0].BrierScore, (1.81-0.52*0.52/0.92)/10)
	storetest.Near(t, "alpha super:verbal_coop", &ws[1].Alpha, 1)
	storetest.Near(t, "brier super:verbal_coop", ws[1].BrierScore, 0.086)
	if ws[0].SampleSize != 10 || ws[1].SampleSize != 10 {
		t.Errorf("sample sizes %d %d", ws[0].SampleSize, ws[1].SampleSize)
	}
	for code, source := range map[string]string{"19": "19", "04": "super:verbal_coop", "01": "super:verbal_coop", "18": calibration.PriorSource} {
		w, err := calibration.Lookup(context.Background(), db, code)
		if err != nil || w.Source != source {
			t.Errorf("lookup %s: %+v %v", code, w, err)
		}
	}
}

// checkAcceptanceScorecard: the hand computation of the scorecard (24 resolved forecasts,
// 15 yes; the annulled one is only counted).
//
//	Brier: Σ(p-o)² = 0.91 (USA/GBR 19) + 0.61 (SYR/DEU 19) + 0.42 (04) + 0.71 (01)
//	       + 0.57 (18) + 0.04 (GBR 19 without tkg) = 3.26; 3.26 / 24 = 0.1358333
//	Log:   o=1: 4×(-ln 0.7) + 5×(-ln 0.6) + 2×(-ln 0.5) + 2×(-ln 0.8) - ln 0.9 - ln 0.4 = 6.835061
//	       o=0: 4×(-ln 0.6) + 2×(-ln 0.8) - ln 0.5 + 2×(-ln 0.7) = 3.896086
//	       (6.835061 + 3.896086) / 24 = 0.4471311
//	Accuracy: all calls right but (0.5, no) and (0.4, yes): 22 / 24 = 0.9166667
//	Bins (count, observed): 0.2 (2, 0), 0.3 (2, 0), 0.4 (5, 0.2), 0.5 (3, 2/3), 0.6 (5, 1),
//	       0.7 (4, 1), 0.8 (2, 1), 0.9 (1, 1); every bin under 30: insufficient_sample
//	ō = 15/24 = 0.625, UNC = 0.625 × 0.375 = 0.234375
//	REL = (2×0.04 + 2×0.09 + 5×0.04 + 3×(1/6)² + 5×0.16 + 4×0.09 + 2×0.04 + 0.01) / 24
//	    = 1.7933333 / 24 = 0.0747222
//	RES = (2×0.625² + 2×0.625² + 5×0.425² + 3×(2/3-0.625)² + 12×0.375²) / 24
//	    = 4.1583333 / 24 = 0.1732639
//	REL - RES + UNC = 0.0747222 - 0.1732639 + 0.234375 = 0.1358333 = Brier
//	ECE = (0.4 + 0.6 + 1.0 + 0.5 + 2.0 + 1.2 + 0.4 + 0.1) / 24 = 6.2 / 24 = 0.2583333
//	conflict: 14 forecasts, Brier 2.13 / 14 = 0.1521429, accuracy 13/14
//	diplomatic: 10 forecasts, Brier 1.13 / 10 = 0.113, accuracy 9/10
//	by code: 01 0.71/5, 04 0.42/5, 18 0.57/3, 19 1.56/11
func checkAcceptanceScorecard(t *testing.T, card *calibration.Scorecard) {
	t.Helper()
	o := card.Overall
	if o.Count != 24 || card.Unscored.Annulled != 1 || card.Unscored.Ambiguous != 0 {
		t.Errorf("counts: %d scored, %+v unscored", o.Count, card.Unscored)
	}
	storetest.Near(t, "brier", o.BrierScore, 3.26/24)
	logYes := 4*-math.Log(0.7) + 5*-math.Log(0.6) + 2*-math.Log(0.5) + 2*-math.Log(0.8) - math.Log(0.9) - math.Log(0.4)
	logNo := 4*-math.Log(0.6) + 2*-math.Log(0.8) - math.Log(0.5) + 2*-math.Log(0.7)
	storetest.Near(t, "log", o.LogScore, (logYes+logNo)/24)
	if math.Abs(*o.LogScore-0.4471311) > 1e-7 {
		t.Errorf("log score %v, want 0.4471311", *o.LogScore)
	}
	storetest.Near(t, "accuracy", o.HistoricalAccuracy, 22.0/24)
	storetest.Near(t, "base rate", o.BaseRate, 0.625)
	storetest.Near(t, "uncertainty", o.Uncertainty, 0.234375)
	storetest.Near(t, "reliability", o.Reliability, (0.08+0.18+0.2+3.0/36+0.8+0.36+0.08+0.01)/24)
	storetest.Near(t, "resolution", o.Resolution, (4*0.390625+5*0.180625+3*(2.0/3-0.625)*(2.0/3-0.625)+12*0.140625)/24)
	storetest.Near(t, "ece", o.ECE, 6.2/24)
	storetest.Near(t, "REL - RES + UNC", o.BrierScore, *o.Reliability-*o.Resolution+*o.Uncertainty)
	wantBins := map[int][2]float64{2: {2, 0}, 3: {2, 0}, 4: {5, 0.2}, 5: {3, 2.0 / 3}, 6: {5, 1}, 7: {4, 1}, 8: {2, 1}, 9: {1, 1}}
	for i, b := range o.Bins {
		w := wantBins[i]
		if b.Count != int(w[0]) || !b.InsufficientSample {
			t.Errorf("bin %d: %+v, want count %v", i, b, w[0])
		} else if b.Count > 0 {
			storetest.Near(t, "observed rate", b.ObservedRate, w[1])
		}
	}
	groups := map[string]calibration.Score{}
	for _, g := range append(card.ByCategory, card.ByCameoRoot...) {
		groups[g.Key] = g.Score
	}
	for key, want := range map[string][3]float64{ // count, Brier, accuracy (-1: not checked)
		"conflict": {14, 2.13 / 14, 13.0 / 14}, "diplomatic": {10, 0.113, 0.9},
		"01": {5, 0.71 / 5, -1}, "04": {5, 0.42 / 5, -1}, "18": {3, 0.57 / 3, -1}, "19": {11, 1.56 / 11, -1},
	} {
		g, ok := groups[key]
		if !ok || g.Count != int(want[0]) {
			t.Errorf("group %s: %+v", key, g)
			continue
		}
		storetest.Near(t, key+" brier", g.BrierScore, want[1])
		if want[2] >= 0 {
			storetest.Near(t, key+" accuracy", g.HistoricalAccuracy, want[2])
		}
	}
}
