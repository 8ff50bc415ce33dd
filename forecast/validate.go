package forecast

import (
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strconv"
	"time"

	"geopol/calibration"
	"geopol/codes"
	"geopol/validate"
)

// Limits on a forecast, beyond which POST answers 422.
const (
	MaxScenarioDepth = 8
	MaxScenarioNodes = 500
	MaxHorizonDays   = 3650
	// probabilitySlack absorbs float rounding when sibling probabilities are summed.
	probabilitySlack = 1e-6
)

var (
	categoryPattern = regexp.MustCompile(`^[a-z][a-z_]{1,31}$`)
	gdeltIDPattern  = regexp.MustCompile(`^[0-9]{1,19}$`)
)

// ValidGdeltID reports whether s is a GLOBALEVENTID: the decimal digits of a positive
// 64-bit integer, the type the event store keys on.
func ValidGdeltID(s string) bool {
	if !gdeltIDPattern.MatchString(s) {
		return false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n > 0
}

// ValidCategory reports whether s is a category name: a lower-case word of 2 to 32
// letters or underscores.
func ValidCategory(s string) bool { return categoryPattern.MatchString(s) }

// checker collects every field error of a forecast, each named by its JSON path.
type checker struct{ validate.Collector }

// Validate checks a ForecastRequest against every rule of the contract, normalises it
// (country code to upper-case alpha-3, empty lists to []) and returns a 422 listing every
// invalid field (a *validate.Error), or nil. now is the creation time the forecast will get.
func (r *ForecastRequest) Validate(now time.Time) error {
	v := &checker{}
	v.Text("question", r.Question, 10, 1000)
	v.Text("prediction", r.Prediction, 1, 5000)
	v.Text("reasoning_summary", r.ReasoningSummary, 1, 20000)
	if r.NarrativeSummary != nil {
		v.Text("narrative_summary", *r.NarrativeSummary, 0, 50000)
	}
	if r.Probability == nil {
		v.Add("probability", "is required")
	} else {
		v.Unit("probability", *r.Probability)
	}
	if r.Confidence == nil {
		v.Add("confidence", "is required")
	} else {
		v.Unit("confidence", *r.Confidence)
	}
	if r.HorizonDays != nil {
		v.Int("horizon_days", *r.HorizonDays, 1, MaxHorizonDays)
	}
	if !categoryPattern.MatchString(r.Category) {
		v.Add("category", "must be a lower-case word such as conflict, diplomatic or economic (2 to 32 letters)")
	}
	if r.CountryISO != nil {
		if iso, ok := codes.NormalizeISO(*r.CountryISO); ok {
			r.CountryISO = &iso
		} else {
			v.Add("country_iso", "must be a known ISO 3166-1 alpha-2 or alpha-3 code")
		}
	}
	if r.CameoRootCode != nil && !codes.ValidRoot(*r.CameoRootCode) {
		v.Add("cameo_root_code", `must be a CAMEO root code "01" to "20"`)
	}
	if r.EvidenceCount != nil {
		v.Int("evidence_count", *r.EvidenceCount, 0, validate.MaxInt4) // an integer column
	}
	v.Strings("entities", r.Entities, 200, 200)
	r.Entities = nonNil(r.Entities)
	if r.ExpiresAt != nil {
		if !r.ExpiresAt.After(now) {
			v.Add("expires_at", "must be after the forecast's creation time")
		} else {
			v.Time("expires_at", *r.ExpiresAt)
		}
	}
	if r.EnsembleInfo == nil {
		v.Add("ensemble_info", "is required")
	} else {
		v.ensemble(r.EnsembleInfo)
	}
	if r.Calibration != nil {
		v.calibration(r.Calibration)
	}
	nodes := 0
	seen := map[string]bool{}
	r.Scenarios = v.scenarios("scenarios", r.Scenarios, 1, &nodes, seen)
	if nodes > MaxScenarioNodes {
		v.Add("scenarios", "must have at most %d scenarios in all, has %d", MaxScenarioNodes, nodes)
	}
	return v.Err(fmt.Sprintf("The forecast has %d invalid field(s).", v.Len()))
}

func (v *checker) ensemble(e *EnsembleInfoDTO) {
	v.Unit("ensemble_info.llm_probability", e.LLMProbability)
	if e.TKGProbability != nil {
		v.Unit("ensemble_info.tkg_probability", *e.TKGProbability)
	}
	if len(e.Weights) > 20 {
		v.Add("ensemble_info.weights", "must have at most 20 entries")
	}
	for _, name := range slices.Sorted(maps.Keys(e.Weights)) {
		if msg := validate.TextProblem(name); msg != "" {
			v.Add("ensemble_info.weights", "names %s", msg)
			continue
		}
		if validate.Blank(name) || len(name) > 64 {
			v.Add("ensemble_info.weights", "names must be 1 to 64 bytes with a visible character")
		}
		if w := e.Weights[name]; math.IsNaN(w) || w < 0 || w > 1 {
			v.Add("ensemble_info.weights."+name, "must be between 0 and 1")
		}
	}
	if e.Weights == nil {
		e.Weights = map[string]float64{}
	}
	if !(e.TemperatureApplied > 0) || e.TemperatureApplied > 100 {
		v.Add("ensemble_info.temperature_applied", "must be greater than 0 (and at most 100)")
	}
	if b := e.Baseline; b != nil {
		if b.Method != calibration.BaselineMethod {
			v.Add("ensemble_info.baseline.method", "must be %q", calibration.BaselineMethod)
		}
		if _, err := time.Parse(time.DateOnly, b.AsOf); err != nil {
			v.Add("ensemble_info.baseline.as_of", "must be a date YYYY-MM-DD")
		}
		v.Int("ensemble_info.baseline.horizon_days", b.HorizonDays, 1, MaxHorizonDays)
		v.Int("ensemble_info.baseline.window_days", b.WindowDays, 1, MaxHorizonDays+1)
		v.Int("ensemble_info.baseline.lookback_days", b.LookbackDays, 1, validate.MaxInt4)
		v.Int("ensemble_info.baseline.windows", b.Windows, 1, validate.MaxInt4)
		v.Int("ensemble_info.baseline.fired", b.Fired, 0, b.Windows)
		v.Int("ensemble_info.baseline.min_mentions", b.MinMentions, 0, validate.MaxInt4)
		v.Int("ensemble_info.baseline.min_sources", b.MinSources, 0, validate.MaxInt4)
		if !(b.PriorAlpha > 0) || b.PriorAlpha > 1000 {
			v.Add("ensemble_info.baseline.prior_alpha", "must be greater than 0 (and at most 1000)")
		}
		if !(b.PriorBeta > 0) || b.PriorBeta > 1000 {
			v.Add("ensemble_info.baseline.prior_beta", "must be greater than 0 (and at most 1000)")
		}
	}
}

func (v *checker) calibration(c *CalibrationDTO) {
	if !categoryPattern.MatchString(c.Category) {
		v.Add("calibration.category", "must be a lower-case category word")
	}
	if !(c.Temperature > 0) || c.Temperature > 100 {
		v.Add("calibration.temperature", "must be greater than 0 (and at most 100)")
	}
	v.Unit("calibration.historical_accuracy", c.HistoricalAccuracy)
	if c.BrierScore != nil && (math.IsNaN(*c.BrierScore) || *c.BrierScore < 0 || *c.BrierScore > 2) {
		v.Add("calibration.brier_score", "must be between 0 and 2")
	}
	v.Int("calibration.sample_size", c.SampleSize, 0, validate.MaxInt4)
}

// scenarios validates one level of the tree and recurses into children, counting nodes.
// Beyond the depth limit it stops descending, so a hostile tree costs little.
func (v *checker) scenarios(path string, list []ScenarioDTO, depth int, nodes *int, seen map[string]bool) []ScenarioDTO {
	list = nonNil(list)
	if len(list) == 0 {
		return list
	}
	if depth > MaxScenarioDepth {
		v.Add(path, "scenario trees may be at most %d levels deep", MaxScenarioDepth)
		return list
	}
	sum := 0.0
	for i := range list {
		s := &list[i]
		p := fmt.Sprintf("%s[%d]", path, i)
		*nodes++
		if *nodes > MaxScenarioNodes {
			return list
		}
		v.Text(p+".scenario_id", s.ScenarioID, 1, 64)
		if seen[s.ScenarioID] {
			v.Add(p+".scenario_id", "must be unique within the forecast")
		}
		seen[s.ScenarioID] = true
		v.Text(p+".description", s.Description, 1, 5000)
		v.Unit(p+".probability", s.Probability)
		sum += s.Probability
		v.Strings(p+".entities", s.Entities, 200, 200)
		v.Strings(p+".timeline", s.Timeline, 200, 1000)
		s.Entities, s.Timeline = nonNil(s.Entities), nonNil(s.Timeline)
		s.EvidenceSources = nonNil(s.EvidenceSources)
		if len(s.EvidenceSources) > 200 {
			v.Add(p+".evidence_sources", "must have at most 200 items")
		} else {
			for j, e := range s.EvidenceSources {
				v.evidence(fmt.Sprintf("%s.evidence_sources[%d]", p, j), e)
			}
		}
		s.ChildScenarios = v.scenarios(p+".child_scenarios", s.ChildScenarios, depth+1, nodes, seen)
	}
	if sum > 1+probabilitySlack {
		v.Add(path, "sibling scenario probabilities sum to %.6g; they must sum to at most 1", sum)
	}
	return list
}

func (v *checker) evidence(path string, e EvidenceDTO) {
	v.Text(path+".source", e.Source, 1, 64)
	v.Text(path+".description", e.Description, 1, 5000)
	v.Unit(path+".confidence", e.Confidence)
	if e.GdeltEventID != nil && !ValidGdeltID(*e.GdeltEventID) {
		v.Add(path+".gdelt_event_id", "must be a GDELT GLOBALEVENTID (digits, at most %d)", int64(math.MaxInt64))
	}
}
