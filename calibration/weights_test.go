package calibration

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"geopol/models"
)

func TestFitAlphaByHand(t *testing.T) {
	// (llm, tkg, outcome): d = llm - tkg, o - tkg
	//   (0.9, 0.1, 1): d =  0.8, o-t =  0.9, product  0.72, d² 0.64
	//   (0.8, 0.4, 0): d =  0.4, o-t = -0.4, product -0.16, d² 0.16
	//   (0.3, 0.6, 0): d = -0.3, o-t = -0.6, product  0.18, d² 0.09
	// alpha = (0.72 - 0.16 + 0.18) / (0.64 + 0.16 + 0.09) = 0.74 / 0.89 = 0.8314607
	s := []EnsembleSample{{"19", 0.9, 0.1, 1}, {"19", 0.8, 0.4, 0}, {"19", 0.3, 0.6, 0}}
	a, ok := FitAlpha(s, PriorAlpha)
	near(t, "alpha", a, 0.74/0.89, 1e-12)
	if !ok {
		t.Error("ok = false")
	}
	// Brier at the optimum = (Σ(t-o)² - num²/den) / N = (0.81 + 0.16 + 0.36 - 0.74²/0.89) / 3
	//                      = (1.33 - 0.6152809) / 3 = 0.2382397
	near(t, "blend brier", BlendBrier(s, a), (1.33-0.74*0.74/0.89)/3, 1e-12)

	// Clamped below: (0.9, 0.2, 0), (0.8, 0.3, 0): num = 0.7×(-0.2) + 0.5×(-0.3) = -0.29 < 0 -> 0
	if a, _ := FitAlpha([]EnsembleSample{{"", 0.9, 0.2, 0}, {"", 0.8, 0.3, 0}}, 0.5); a != 0 {
		t.Errorf("alpha = %v, want clamped to 0", a)
	}
	// Clamped above: (0.8, 0.4, 1), (0.6, 0.2, 1): num = 0.4×0.6 + 0.4×0.8 = 0.56, den = 0.32 -> 1.75 -> 1
	if a, _ := FitAlpha([]EnsembleSample{{"", 0.8, 0.4, 1}, {"", 0.6, 0.2, 1}}, 0.5); a != 1 {
		t.Errorf("alpha = %v, want clamped to 1", a)
	}
	// Σ(l-t)² = 0: every alpha scores the same; the fallback is kept.
	if a, ok := FitAlpha([]EnsembleSample{{"", 0.4, 0.4, 1}, {"", 0.7, 0.7, 0}}, 0.37); a != 0.37 || ok {
		t.Errorf("degenerate: alpha %v ok %v, want the fallback 0.37", a, ok)
	}
}

// The closed form agrees with a brute-force search over a 10,001-point grid.
func TestFitAlphaMatchesGridSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	for trial := 0; trial < 200; trial++ {
		n := 3 + rng.IntN(40)
		s := make([]EnsembleSample, n)
		for i := range s {
			s[i] = EnsembleSample{LLM: rng.Float64(), TKG: rng.Float64(), Outcome: float64(rng.IntN(2))}
		}
		a, _ := FitAlpha(s, PriorAlpha)
		best, bestBrier := 0.0, math.Inf(1)
		for i := 0; i <= 10000; i++ {
			g := float64(i) / 10000
			if b := BlendBrier(s, g); b < bestBrier {
				best, bestBrier = g, b
			}
		}
		if math.Abs(a-best) > 1e-4+1e-9 {
			t.Fatalf("trial %d: closed form %v, grid %v", trial, a, best)
		}
		if BlendBrier(s, a) > bestBrier+1e-12 {
			t.Fatalf("trial %d: closed form Brier %v worse than grid %v", trial, BlendBrier(s, a), bestBrier)
		}
	}
}

func TestSuperOf(t *testing.T) {
	for code, want := range map[string]string{
		"01": "super:verbal_coop", "05": "super:verbal_coop", "06": "super:material_coop", "09": "super:material_coop",
		"10": "super:verbal_conflict", "14": "super:verbal_conflict", "15": "super:material_conflict",
		"20": "super:material_conflict", "00": "", "21": "", "1": "", "": "", "global": "",
	} {
		if got := SuperOf(code); got != want {
			t.Errorf("SuperOf(%q) = %q, want %q", code, got, want)
		}
	}
	if !IsSuper("super:material_coop") || IsSuper("super:other") || IsSuper("19") {
		t.Error("IsSuper")
	}
}

func samples(code string, n int) []EnsembleSample {
	out := make([]EnsembleSample, n)
	for i := range out {
		out[i] = EnsembleSample{Code: code, LLM: 0.7, TKG: 0.4, Outcome: float64(i % 2)}
	}
	return out
}

func TestPlanPoolingThresholds(t *testing.T) {
	var s []EnsembleSample
	s = append(s, samples("19", 10)...) // 10: a weight of its own
	s = append(s, samples("18", 6)...)  // 6 + 4 = 10 in super:material_conflict: a pool weight
	s = append(s, samples("17", 4)...)
	s = append(s, samples("01", 8)...) // 8 in super:verbal_coop: too few, on to global
	s = append(s, samples("", 2)...)   // no code: straight to global; 8 + 2 = 10: a global weight
	fits := Plan(s, nil)
	got := map[string]Fit{}
	var keys []string
	for _, f := range fits {
		got[f.Code] = f
		keys = append(keys, f.Code)
	}
	if !slices.Equal(keys, []string{"19", "super:material_conflict", Global}) {
		t.Fatalf("fitted %v", keys)
	}
	if f := got["super:material_conflict"]; f.SampleSize != 10 || !slices.Equal(f.Pooled, []string{"17", "18"}) {
		t.Errorf("super pool: %+v", f)
	}
	if f := got[Global]; f.SampleSize != 10 || !slices.Equal(f.Pooled, []string{"01", "none"}) {
		t.Errorf("global pool: %+v", f)
	}
	// Every group has llm 0.7, tkg 0.4 and half yes: d = 0.3, o - t = 0.6 or -0.4, so
	// alpha = 0.3 × (0.6 - 0.4) × n/2 / (0.09 n) = 0.03 / 0.09 = 1/3.
	for _, f := range fits {
		near(t, f.Code+" alpha", f.Alpha, 1.0/3, 1e-12)
	}

	// One fewer in code 19 (9): it pools too, and super:material_conflict gets 19.
	fits = Plan(append(samples("19", 9), samples("18", 1)...), nil)
	if len(fits) != 1 || fits[0].Code != "super:material_conflict" || fits[0].SampleSize != 10 {
		t.Errorf("9 + 1: %+v", fits)
	}
	// Nine samples in all: nothing reaches the threshold, no weight at all.
	if fits := Plan(samples("01", 9), nil); len(fits) != 0 {
		t.Errorf("9 samples: %+v", fits)
	}
}

func TestGuardrail(t *testing.T) {
	current := map[string]float64{"19": 0.6, "04": 0.0, "01": 0.5}
	fits := []Fit{
		{Code: "19", Alpha: 0.8},  // |0.8 - 0.6| / 0.6 = 0.333 > 0.25: refused
		{Code: "04", Alpha: 0.02}, // |0.02 - 0| / max(0, 0.1) = 0.2: applied
		{Code: "01", Alpha: 0.6},  // 0.1 / 0.5 = 0.2: applied
		{Code: "18", Alpha: 0.95}, // nothing stored: applied
	}
	ds := Guard(fits, current, 0.25, false)
	wantRefused := []bool{true, false, false, false}
	wantChange := []float64{0.2 / 0.6, 0.2, 0.2}
	for i, d := range ds {
		if d.Refused != wantRefused[i] {
			t.Errorf("%s: refused %v", d.Code, d.Refused)
		}
		if i < 3 {
			near(t, d.Code+" change", *d.Change, wantChange[i], 1e-12)
		} else if d.Previous != nil || d.Change != nil {
			t.Errorf("new code has a previous weight: %+v", d)
		}
	}
	// |0.03 - 0| / 0.1 = 0.3: refused.
	if ds := Guard([]Fit{{Code: "04", Alpha: 0.03}}, current, 0.25, false); !ds[0].Refused {
		t.Error("0 -> 0.03 accepted")
	}
	for _, d := range Guard(fits, current, 0.25, true) {
		if d.Refused {
			t.Errorf("force: %s refused", d.Code)
		}
	}
}

func TestLookupChain(t *testing.T) {
	b := 0.2
	stored := map[string]models.CalibrationWeight{
		"19":                      {CameoCode: "19", Alpha: 0.7, SampleSize: 12, BrierScore: &b},
		"super:material_conflict": {CameoCode: "super:material_conflict", Alpha: 0.55, SampleSize: 30},
		Global:                    {CameoCode: Global, Alpha: 0.5, SampleSize: 80},
	}
	for code, want := range map[string][2]any{
		"19": {"19", 0.7}, "18": {"super:material_conflict", 0.55}, "04": {Global, 0.5},
		"super:verbal_coop": {Global, 0.5}, Global: {Global, 0.5},
	} {
		w := LookupIn(stored, code)
		if w.Source != want[0] || w.Alpha != want[1] || w.Code != code {
			t.Errorf("%s -> %+v, want %v", code, w, want)
		}
	}
	if w := LookupIn(nil, "19"); w.Source != PriorSource || w.Alpha != PriorAlpha || w.SampleSize != 0 || w.BrierScore != nil {
		t.Errorf("no weights: %+v", w)
	}
	if c := Chain("04"); !slices.Equal(c, []string{"04", "super:verbal_coop", Global}) {
		t.Errorf("chain %v", c)
	}
}
