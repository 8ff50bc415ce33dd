package calibration

import (
	"maps"
	"math"
	"slices"
	"sort"

	"geopol/codes"
	"geopol/models"
)

// Weight-fitting constants.
const (
	// Global is the weight every code falls back to when neither it nor its QuadClass
	// pool has one.
	Global = "global"
	// MinGroupSize is the number of resolved forecasts (with both LLM and TKG
	// probabilities) a code or pool needs for a weight of its own; smaller groups pool
	// into their QuadClass super-category, and small super-categories into global.
	MinGroupSize = 10
	// PriorAlpha is the documented prior: the LLM's share when nothing has been learned
	// yet (the engine's own default weighting, llm 0.6 / tkg 0.4).
	PriorAlpha = 0.6
	// PriorSource names the prior in lookups.
	PriorSource = "prior"
	// superPrefix starts the name of a QuadClass super-category weight.
	superPrefix = "super:"
	// changeFloor is the smallest denominator of RelativeChange, so that a weight at or
	// near 0 can still move (by up to maxChange*changeFloor per run) without --force.
	changeFloor = 0.1
)

// SuperOf returns the QuadClass super-category of a CAMEO root code ("super:" and the
// class name, e.g. super:verbal_coop for 01-05); unknown codes give "".
func SuperOf(code string) string {
	if q, ok := codes.RootQuadClass(code); ok {
		return superPrefix + q.Name()
	}
	return ""
}

// IsSuper reports whether name is one of the four super-category names.
func IsSuper(name string) bool {
	for _, q := range codes.QuadClasses {
		if superPrefix+q.Name() == name {
			return true
		}
	}
	return false
}

// EnsembleSample is one resolved forecast with both ensemble members' probabilities.
type EnsembleSample struct {
	Code    string // CAMEO root code; "" pools straight into global
	LLM     float64
	TKG     float64
	Outcome float64
}

// FitAlpha returns the alpha in [0,1] that minimises the Brier score of
// alpha*llm + (1-alpha)*tkg. With d = llm - tkg the blend is tkg + alpha*d, so
// Σ(tkg + alpha*d - o)² is a parabola in alpha with its minimum at
//
//	alpha = Σ (o - tkg)(llm - tkg) / Σ (llm - tkg)²
//
// clamped to [0,1] (the parabola is convex, so the clamp is the constrained optimum).
// When Σ(llm - tkg)² = 0 every alpha scores the same; fallback is returned and ok is false.
func FitAlpha(s []EnsembleSample, fallback float64) (alpha float64, ok bool) {
	num, den := 0.0, 0.0
	for _, x := range s {
		d := x.LLM - x.TKG
		num += (x.Outcome - x.TKG) * d
		den += d * d
	}
	if den < 1e-12 {
		return fallback, false
	}
	return math.Min(math.Max(num/den, 0), 1), true
}

// BlendBrier is the Brier score of alpha*llm + (1-alpha)*tkg over s.
func BlendBrier(s []EnsembleSample, alpha float64) float64 {
	sum := 0.0
	for _, x := range s {
		d := alpha*x.LLM + (1-alpha)*x.TKG - x.Outcome
		sum += d * d
	}
	return sum / float64(len(s))
}

// Fit is a weight learned for one code or pool.
type Fit struct {
	Code       string   `json:"cameo_code"`
	Alpha      float64  `json:"alpha"`
	SampleSize int      `json:"sample_size"`
	BrierScore float64  `json:"brier_score"`
	Pooled     []string `json:"pooled_codes,omitempty"` // the codes a pool was fitted from
}

// Plan groups samples by code, pools codes with fewer than MinGroupSize samples into
// their super-category and small super-categories into global, and fits every group
// that reaches MinGroupSize. current holds the stored weights: a degenerate group
// (llm = tkg throughout) keeps its current alpha, or gets PriorAlpha.
func Plan(s []EnsembleSample, current map[string]float64) []Fit {
	byCode := map[string][]EnsembleSample{}
	for _, x := range s {
		byCode[x.Code] = append(byCode[x.Code], x)
	}
	var fits []Fit
	fit := func(key string, group []EnsembleSample, pooled []string) {
		fallback, ok := current[key]
		if !ok {
			fallback = PriorAlpha
		}
		a, _ := FitAlpha(group, fallback)
		fits = append(fits, Fit{Code: key, Alpha: a, SampleSize: len(group), BrierScore: BlendBrier(group, a), Pooled: pooled})
	}
	supers, superCodes := map[string][]EnsembleSample{}, map[string][]string{}
	var global []EnsembleSample
	var globalCodes []string
	for _, code := range slices.Sorted(maps.Keys(byCode)) {
		group := byCode[code]
		sup := SuperOf(code)
		switch {
		case sup != "" && len(group) >= MinGroupSize:
			fit(code, group, nil)
		case sup != "":
			supers[sup] = append(supers[sup], group...)
			superCodes[sup] = append(superCodes[sup], code)
		default:
			global = append(global, group...)
			globalCodes = append(globalCodes, codeLabel(code))
		}
	}
	for _, sup := range slices.Sorted(maps.Keys(supers)) {
		if len(supers[sup]) >= MinGroupSize {
			fit(sup, supers[sup], superCodes[sup])
			continue
		}
		global = append(global, supers[sup]...)
		globalCodes = append(globalCodes, superCodes[sup]...)
	}
	if len(global) >= MinGroupSize {
		sort.Strings(globalCodes)
		fit(Global, global, globalCodes)
	}
	return fits
}

func codeLabel(code string) string {
	if code == "" {
		return "none"
	}
	return code
}

// RelativeChange is |new - old| / max(old, 0.1): the guardrail's measure of how far a
// refit moves a weight (the floor keeps a weight near 0 from being frozen).
func RelativeChange(old, new float64) float64 {
	return math.Abs(new-old) / math.Max(old, changeFloor)
}

// Decision is what the guardrail made of one fit.
type Decision struct {
	Fit
	Previous *float64 `json:"previous_alpha"`
	Change   *float64 `json:"relative_change"`
	Refused  bool     `json:"refused"`
}

// Guard refuses every fit that moves its stored weight by a RelativeChange above
// maxChange, unless force is set. A code with no stored weight is always accepted.
func Guard(fits []Fit, current map[string]float64, maxChange float64, force bool) []Decision {
	out := make([]Decision, len(fits))
	for i, f := range fits {
		d := Decision{Fit: f}
		if old, ok := current[f.Code]; ok {
			ch := RelativeChange(old, f.Alpha)
			d.Previous, d.Change = &old, &ch
			d.Refused = ch > maxChange && !force
		}
		out[i] = d
	}
	return out
}

// Weight is the ensemble weight that applies to a code, and where it came from.
type Weight struct {
	Code       string   `json:"cameo_code"`
	Source     string   `json:"source"` // the code, its super-category, "global" or "prior"
	Alpha      float64  `json:"alpha"`
	SampleSize int      `json:"sample_size"`
	BrierScore *float64 `json:"brier_score"`
}

// Chain is the lookup order for a code: the code itself, its super-category, global.
func Chain(code string) []string {
	var chain []string
	if sup := SuperOf(code); sup != "" {
		chain = append(chain, code, sup)
	} else if code != "" && code != Global {
		chain = append(chain, code)
	}
	return append(chain, Global)
}

// LookupIn resolves code through Chain against stored weights (keyed by cameo_code),
// ending at PriorAlpha.
func LookupIn(stored map[string]models.CalibrationWeight, code string) Weight {
	for _, key := range Chain(code) {
		if w, ok := stored[key]; ok {
			return Weight{Code: code, Source: key, Alpha: w.Alpha, SampleSize: w.SampleSize, BrierScore: w.BrierScore}
		}
	}
	return Weight{Code: code, Source: PriorSource, Alpha: PriorAlpha}
}
