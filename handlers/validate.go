package handlers

import (
	"fmt"
	"math"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"geopol/codes"
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

// validator collects every field error of a request, each named by its JSON path.
type validator struct{ errs []FieldError }

func (v *validator) add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (v *validator) unit(field string, x float64) {
	if math.IsNaN(x) || x < 0 || x > 1 {
		v.add(field, "must be between 0 and 1")
	}
}

func (v *validator) text(field, s string, min, max int) {
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	switch {
	case !utf8.ValidString(s):
		v.add(field, "must be valid UTF-8")
	case n < min && min == 1:
		v.add(field, "is required")
	case n < min || n > max:
		v.add(field, "must be %d to %d characters", min, max)
	}
}

func (v *validator) strings(field string, items []string, maxItems, maxLen int) {
	if len(items) > maxItems {
		v.add(field, "must have at most %d items", maxItems)
		return
	}
	for i, s := range items {
		v.text(fmt.Sprintf("%s[%d]", field, i), s, 1, maxLen)
	}
}

// Validate checks a ForecastRequest against every rule of the contract, normalises it
// (country code to upper-case alpha-3, empty lists to []) and returns a 422 listing every
// invalid field, or nil. now is the creation time the forecast will get.
func (r *ForecastRequest) Validate(now time.Time) error {
	v := &validator{}
	v.text("question", r.Question, 10, 1000)
	v.text("prediction", r.Prediction, 1, 5000)
	v.text("reasoning_summary", r.ReasoningSummary, 1, 20000)
	if r.Probability == nil {
		v.add("probability", "is required")
	} else {
		v.unit("probability", *r.Probability)
	}
	if r.Confidence == nil {
		v.add("confidence", "is required")
	} else {
		v.unit("confidence", *r.Confidence)
	}
	if r.HorizonDays != nil && (*r.HorizonDays < 1 || *r.HorizonDays > MaxHorizonDays) {
		v.add("horizon_days", "must be between 1 and %d", MaxHorizonDays)
	}
	if !categoryPattern.MatchString(r.Category) {
		v.add("category", "must be a lower-case word such as conflict, diplomatic or economic (2 to 32 letters)")
	}
	if r.CountryISO != nil {
		if iso, ok := codes.NormalizeISO(*r.CountryISO); ok {
			r.CountryISO = &iso
		} else {
			v.add("country_iso", "must be a known ISO 3166-1 alpha-2 or alpha-3 code")
		}
	}
	if r.CameoRootCode != nil && !codes.ValidRoot(*r.CameoRootCode) {
		v.add("cameo_root_code", `must be a CAMEO root code "01" to "20"`)
	}
	if r.EvidenceCount != nil && *r.EvidenceCount < 0 {
		v.add("evidence_count", "must not be negative")
	}
	v.strings("entities", r.Entities, 200, 200)
	r.Entities = nonNil(r.Entities)
	if r.ExpiresAt != nil && !r.ExpiresAt.After(now) {
		v.add("expires_at", "must be after the forecast's creation time")
	}
	if r.EnsembleInfo == nil {
		v.add("ensemble_info", "is required")
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
		v.add("scenarios", "must have at most %d scenarios in all, has %d", MaxScenarioNodes, nodes)
	}
	if len(v.errs) > 0 {
		return ErrValidation(fmt.Sprintf("The forecast has %d invalid field(s).", len(v.errs)), v.errs...)
	}
	return nil
}

func (v *validator) ensemble(e *EnsembleInfoDTO) {
	v.unit("ensemble_info.llm_probability", e.LLMProbability)
	if e.TKGProbability != nil {
		v.unit("ensemble_info.tkg_probability", *e.TKGProbability)
	}
	if len(e.Weights) > 20 {
		v.add("ensemble_info.weights", "must have at most 20 entries")
	}
	for name, w := range e.Weights {
		if name == "" || len(name) > 64 {
			v.add("ensemble_info.weights", "names must be 1 to 64 characters")
		}
		if math.IsNaN(w) || w < 0 || w > 1 {
			v.add("ensemble_info.weights."+name, "must be between 0 and 1")
		}
	}
	if e.Weights == nil {
		e.Weights = map[string]float64{}
	}
	if !(e.TemperatureApplied > 0) || e.TemperatureApplied > 100 {
		v.add("ensemble_info.temperature_applied", "must be greater than 0 (and at most 100)")
	}
}

func (v *validator) calibration(c *CalibrationDTO) {
	if !categoryPattern.MatchString(c.Category) {
		v.add("calibration.category", "must be a lower-case category word")
	}
	if !(c.Temperature > 0) || c.Temperature > 100 {
		v.add("calibration.temperature", "must be greater than 0 (and at most 100)")
	}
	v.unit("calibration.historical_accuracy", c.HistoricalAccuracy)
	if c.BrierScore != nil && (math.IsNaN(*c.BrierScore) || *c.BrierScore < 0 || *c.BrierScore > 2) {
		v.add("calibration.brier_score", "must be between 0 and 2")
	}
	if c.SampleSize < 0 {
		v.add("calibration.sample_size", "must not be negative")
	}
}

// scenarios validates one level of the tree and recurses into children, counting nodes.
// Beyond the depth limit it stops descending, so a hostile tree costs little.
func (v *validator) scenarios(path string, list []ScenarioDTO, depth int, nodes *int, seen map[string]bool) []ScenarioDTO {
	list = nonNil(list)
	if len(list) == 0 {
		return list
	}
	if depth > MaxScenarioDepth {
		v.add(path, "scenario trees may be at most %d levels deep", MaxScenarioDepth)
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
		v.text(p+".scenario_id", s.ScenarioID, 1, 64)
		if seen[s.ScenarioID] {
			v.add(p+".scenario_id", "must be unique within the forecast")
		}
		seen[s.ScenarioID] = true
		v.text(p+".description", s.Description, 1, 5000)
		v.unit(p+".probability", s.Probability)
		sum += s.Probability
		v.strings(p+".entities", s.Entities, 200, 200)
		v.strings(p+".timeline", s.Timeline, 200, 1000)
		s.Entities, s.Timeline = nonNil(s.Entities), nonNil(s.Timeline)
		s.EvidenceSources = nonNil(s.EvidenceSources)
		if len(s.EvidenceSources) > 200 {
			v.add(p+".evidence_sources", "must have at most 200 items")
		} else {
			for j, e := range s.EvidenceSources {
				v.evidence(fmt.Sprintf("%s.evidence_sources[%d]", p, j), e)
			}
		}
		s.ChildScenarios = v.scenarios(p+".child_scenarios", s.ChildScenarios, depth+1, nodes, seen)
	}
	if sum > 1+probabilitySlack {
		v.add(path, "sibling scenario probabilities sum to %.6g; they must sum to at most 1", sum)
	}
	return list
}

func (v *validator) evidence(path string, e EvidenceDTO) {
	v.text(path+".source", e.Source, 1, 64)
	v.text(path+".description", e.Description, 1, 5000)
	v.unit(path+".confidence", e.Confidence)
	if e.GdeltEventID != nil && !gdeltIDPattern.MatchString(*e.GdeltEventID) {
		v.add(path+".gdelt_event_id", "must be a GDELT GLOBALEVENTID (digits)")
	}
}
