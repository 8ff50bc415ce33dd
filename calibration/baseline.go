package calibration

import (
	"encoding/json"
	"sort"
	"time"

	"geopol/models"
)

// BaselineMethod is ensemble_info.baseline.method of the base-rate forecasts that
// `geopol forecast baseline` makes; the presence of ensemble_info.baseline marks a
// forecast as a baseline.
const BaselineMethod = "base_rate"

// IsBaseline reports whether a stored ensemble_info marks its forecast as a baseline
// forecast (it has a "baseline" object).
func IsBaseline(ensembleInfo []byte) bool {
	var info struct {
		Baseline *struct {
			Method string `json:"method"`
		} `json:"baseline"`
	}
	return len(ensembleInfo) > 0 && json.Unmarshal(ensembleInfo, &info) == nil && info.Baseline != nil
}

// Question is what the resolution rule asks of a forecast: an event of RootCode in
// CountryISO with SQLDATE in [From, To] (DateWindow of its creation and expiry). Two
// forecasts with the same Question are resolved from the same events.
type Question struct {
	CountryISO string
	RootCode   string
	From, To   int
}

// QuestionOf is the rule's question of a forecast, or nil when it has no country or no
// CAMEO root code (the rule does not resolve it).
func QuestionOf(countryISO, rootCode *string, created, expires time.Time) *Question {
	if countryISO == nil || rootCode == nil || *countryISO == "" || *rootCode == "" {
		return nil
	}
	from, to := DateWindow(created, expires)
	return &Question{CountryISO: *countryISO, RootCode: *rootCode, From: from, To: to}
}

// PairedScore compares forecasts with the baseline forecasts of the same questions.
// Every number is null when Count is 0.
type PairedScore struct {
	// Count is the number of scored forecasts that have a resolved baseline forecast
	// for the same question.
	Count int `json:"count"`
	// BrierScore is the forecasts' Brier score on those questions, BaselineBrierScore
	// the baseline's, each against its own outcome.
	BrierScore         *float64 `json:"brier_score"`
	BaselineBrierScore *float64 `json:"baseline_brier_score"`
	// BrierSkillScore is 1 - BrierScore/BaselineBrierScore; null also when the baseline
	// made no error (BaselineBrierScore 0).
	BrierSkillScore *float64 `json:"brier_skill_score"`
}

// PairedGroup is the comparison for one category or CAMEO root code.
type PairedGroup struct {
	Key string `json:"key"`
	PairedScore
}

// BaselineComparison is a scorecard's comparison with the baseline, overall and by the
// category and CAMEO root code of the compared forecasts.
type BaselineComparison struct {
	Overall     PairedScore   `json:"overall"`
	ByCategory  []PairedGroup `json:"by_category"`
	ByCameoRoot []PairedGroup `json:"by_cameo_root"`
	// Unmatched counts the scored forecasts that are not baselines and have no resolved
	// baseline forecast for their question (or no question).
	Unmatched int `json:"unmatched"`
}

// pair is one compared forecast: its sample and the matched baseline's.
type pair struct{ own, ref Sample }

// CompareToBaseline matches every resolved forecast of rows that is not a baseline with
// the resolved baseline forecast of refs that asks the same Question (the first one in
// refs' order when there are several) and scores both on the matched questions.
func CompareToBaseline(rows, refs []Outcome) BaselineComparison {
	base := map[Question]Sample{}
	for _, r := range refs {
		if !r.Baseline || r.Status != models.OutcomeResolved || r.Question == nil {
			continue
		}
		if _, dup := base[*r.Question]; !dup {
			base[*r.Question] = Sample{Forecast: r.Probability, Outcome: r.Outcome}
		}
	}
	var all []pair
	byCat, byCode := map[string][]pair{}, map[string][]pair{}
	cmp := BaselineComparison{ByCategory: []PairedGroup{}, ByCameoRoot: []PairedGroup{}}
	for _, r := range rows {
		if r.Baseline || r.Status != models.OutcomeResolved {
			continue
		}
		var ref Sample
		ok := r.Question != nil
		if ok {
			ref, ok = base[*r.Question]
		}
		if !ok {
			cmp.Unmatched++
			continue
		}
		p := pair{own: Sample{Forecast: r.Probability, Outcome: r.Outcome}, ref: ref}
		all = append(all, p)
		byCat[r.Category] = append(byCat[r.Category], p)
		byCode[r.Question.RootCode] = append(byCode[r.Question.RootCode], p)
	}
	cmp.Overall = scorePairs(all)
	cmp.ByCategory, cmp.ByCameoRoot = pairedGroups(byCat), pairedGroups(byCode)
	return cmp
}

// scorePairs scores the forecasts and their baselines on the same questions.
func scorePairs(ps []pair) PairedScore {
	sc := PairedScore{Count: len(ps)}
	if len(ps) == 0 {
		return sc
	}
	own, ref := make([]Sample, len(ps)), make([]Sample, len(ps))
	for i, p := range ps {
		own[i], ref[i] = p.own, p.ref
	}
	bs, bsRef := Brier(own), Brier(ref)
	sc.BrierScore, sc.BaselineBrierScore = &bs, &bsRef
	if skill, ok := SkillScore(bs, bsRef); ok {
		sc.BrierSkillScore = &skill
	}
	return sc
}

// pairedGroups scores each key's pairs, in key order.
func pairedGroups(m map[string][]pair) []PairedGroup {
	out := make([]PairedGroup, 0, len(m))
	for k, ps := range m {
		out = append(out, PairedGroup{Key: k, PairedScore: scorePairs(ps)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}
