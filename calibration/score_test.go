package calibration

import (
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > tol {
		t.Errorf("%s = %.12g, want %.12g (±%g)", what, got, want, tol)
	}
}

func TestBrierLogAccuracyByHand(t *testing.T) {
	s := []Sample{{0.9, 1}, {0.2, 0}, {0.6, 0}, {0.5, 1}}
	// Brier: (0.1² + 0.2² + 0.6² + 0.5²) / 4 = (0.01 + 0.04 + 0.36 + 0.25) / 4 = 0.66 / 4 = 0.165
	near(t, "brier", Brier(s), 0.165, 1e-15)
	// Log: (-ln 0.9 - ln 0.8 - ln 0.4 - ln 0.5) / 4
	//    = (0.1053605 + 0.2231436 + 0.9162907 + 0.6931472) / 4 = 1.9379420 / 4 = 0.4844855
	near(t, "log", LogScore(s), 0.4844855, 1e-7)
	// Calls: 0.9 yes (right), 0.2 no (right), 0.6 yes (wrong), 0.5 yes (right) -> 3/4
	near(t, "accuracy", Accuracy(s), 0.75, 0)

	// Clamping: p = 0 for a yes costs -ln(1e-15) = 34.5387764, not +Inf.
	near(t, "clamped log", LogScore([]Sample{{0, 1}}), 34.538776394910684, 1e-9)
	if v := LogScore([]Sample{{1, 0}}); math.IsInf(v, 0) || v < 34 {
		t.Errorf("log score of a certain miss = %v, want finite and about 34.5", v)
	}
	// A perfect forecaster scores 0 on both.
	perfect := []Sample{{1, 1}, {0, 0}}
	near(t, "perfect brier", Brier(perfect), 0, 0)
	near(t, "perfect log", LogScore(perfect), 0, 1e-14)
}

func TestBinsByHand(t *testing.T) {
	s := []Sample{{0.05, 0}, {0.1, 1}, {0.15, 0}, {0.95, 1}, {1.0, 1}, {0.35, 1}}
	b := Bins(s)
	if len(b) != NumBins {
		t.Fatalf("%d bins", len(b))
	}
	// 0.05 -> bin 0; 0.1 and 0.15 -> bin 1 ([0.1, 0.2)); 0.35 -> bin 3; 0.95 and 1.0 -> bin 9.
	want := map[int][3]float64{ // count, mean forecast, observed rate
		0: {1, 0.05, 0},
		1: {2, 0.125, 0.5}, // (0.1 + 0.15) / 2, (1 + 0) / 2
		3: {1, 0.35, 1},
		9: {2, 0.975, 1}, // (0.95 + 1.0) / 2
	}
	for i, bin := range b {
		w, ok := want[i]
		if bin.Lower != float64(i)/10 || bin.Upper != float64(i+1)/10 {
			t.Errorf("bin %d bounds [%v, %v)", i, bin.Lower, bin.Upper)
		}
		if !ok {
			if bin.Count != 0 || bin.MeanForecast != nil || bin.ObservedRate != nil || !bin.InsufficientSample {
				t.Errorf("bin %d should be empty and flagged: %+v", i, bin)
			}
			continue
		}
		if bin.Count != int(w[0]) || !bin.InsufficientSample {
			t.Errorf("bin %d: count %d (flag %v), want %v flagged", i, bin.Count, bin.InsufficientSample, w[0])
			continue
		}
		near(t, "mean forecast", *bin.MeanForecast, w[1], 1e-12)
		near(t, "observed rate", *bin.ObservedRate, w[2], 1e-12)
	}

	// 30 samples in a bin is enough; 29 is not.
	var many []Sample
	for i := 0; i < 30; i++ {
		many = append(many, Sample{0.45, float64(i % 2)})
	}
	many = append(many, make([]Sample, 29)...) // 29 at 0.0
	b = Bins(many)
	if b[4].Count != 30 || b[4].InsufficientSample || b[0].Count != 29 || !b[0].InsufficientSample {
		t.Errorf("insufficient_sample threshold: bin4 %+v, bin0 %+v", b[4], b[0])
	}
}

// binned is the decomposition example: every forecast equals its bin's mean.
//
//	40 forecasts of 0.15, 6 yes  (bin 1, ō = 0.15)
//	30 forecasts of 0.45, 15 yes (bin 4, ō = 0.50)
//	30 forecasts of 0.85, 27 yes (bin 8, ō = 0.90)
func binned() []Sample {
	var s []Sample
	add := func(n, yes int, p float64) {
		for i := 0; i < n; i++ {
			o := 0.0
			if i < yes {
				o = 1
			}
			s = append(s, Sample{p, o})
		}
	}
	add(40, 6, 0.15)
	add(30, 15, 0.45)
	add(30, 27, 0.85)
	return s
}

func TestMurphyDecompositionByHand(t *testing.T) {
	s := binned()
	d := Decompose(s)
	// ō = (6 + 15 + 27) / 100 = 0.48; UNC = 0.48 × 0.52 = 0.2496
	near(t, "base rate", d.BaseRate, 0.48, 1e-12)
	near(t, "uncertainty", d.Uncertainty, 0.2496, 1e-12)
	// REL = (40×0² + 30×0.05² + 30×0.05²) / 100 = 0.15 / 100 = 0.0015
	near(t, "reliability", d.Reliability, 0.0015, 1e-12)
	// RES = (40×(0.15-0.48)² + 30×(0.5-0.48)² + 30×(0.9-0.48)²) / 100
	//     = (4.356 + 0.012 + 5.292) / 100 = 0.0966
	near(t, "resolution", d.Resolution, 0.0966, 1e-12)
	// ECE = (40×0 + 30×0.05 + 30×0.05) / 100 = 0.03
	near(t, "ece", d.ECE, 0.03, 1e-12)
	// Brier directly: bin 1: 6×0.85² + 34×0.15² = 4.335 + 0.765 = 5.1
	//                 bin 4: 15×0.55² + 15×0.45² = 4.5375 + 3.0375 = 7.575
	//                 bin 8: 27×0.15² + 3×0.85² = 0.6075 + 2.1675 = 2.775
	//                 (5.1 + 7.575 + 2.775) / 100 = 0.1545
	bs := Brier(s)
	near(t, "brier", bs, 0.1545, 1e-12)
	// Identity: BS = REL - RES + UNC = 0.0015 - 0.0966 + 0.2496 = 0.1545
	near(t, "REL - RES + UNC", d.Reliability-d.Resolution+d.Uncertainty, bs, 1e-9)

	sc := Summarize(s)
	if sc.Count != 100 || *sc.BrierScore != bs || *sc.ECE != d.ECE || sc.Bins[1].Count != 40 || sc.Bins[1].InsufficientSample {
		t.Errorf("summary disagrees: %+v", sc)
	}
	if empty := Summarize(nil); empty.Count != 0 || empty.BrierScore != nil || empty.LogScore != nil || len(empty.Bins) != NumBins {
		t.Errorf("empty summary: %+v", empty)
	}
}

func TestBuildScorecardSkipsUnscored(t *testing.T) {
	code := "19"
	rows := []Outcome{
		{Probability: 0.8, Outcome: 1, Status: "resolved", Category: "conflict", CameoRootCode: &code},
		{Probability: 0.3, Outcome: 1, Status: "resolved", Category: "economic"},
		{Probability: 0.9, Outcome: 0, Status: "annulled", Category: "conflict", CameoRootCode: &code},
		{Probability: 0.9, Outcome: 0, Status: "ambiguous", Category: "conflict"},
	}
	card := BuildScorecard(rows)
	// Scored: (0.8, 1) and (0.3, 1): Brier (0.04 + 0.49) / 2 = 0.265
	near(t, "overall brier", *card.Overall.BrierScore, 0.265, 1e-12)
	if card.Overall.Count != 2 || card.Unscored.Annulled != 1 || card.Unscored.Ambiguous != 1 {
		t.Errorf("counts: %+v %+v", card.Overall.Count, card.Unscored)
	}
	if len(card.ByCategory) != 2 || card.ByCategory[0].Key != "conflict" || card.ByCategory[0].Count != 1 ||
		len(card.ByCameoRoot) != 1 || card.ByCameoRoot[0].Key != "19" || card.ByCameoRoot[0].Count != 1 {
		t.Errorf("groups: %+v / %+v", card.ByCategory, card.ByCameoRoot)
	}
}
