package forecast

import (
	"math"
	"sort"
	"time"

	"geopol/codes"
)

// Country risk, deterministic and documented in the README:
//
//	risk(country, t) = Σ w_i · s_i · p_i / Σ w_i   over forecasts active at t
//	w_i = 0.5^(age_i / RiskHalfLife)              recency decay, age_i = t - created_at_i
//	s_i = severity of the forecast's CAMEO root code (SeverityOf)
//	p_i = the forecast's probability
//
// so risk is in [0,1]: a weighted mean of severity-scaled probabilities, where newer
// forecasts count more. Active at t means created_at <= t < expires_at.
// Trend compares risk(now) with risk(now - 7 days) over the forecasts active then:
// a change above +RiskDeadband is "rising", below -RiskDeadband "falling", else "stable";
// a country with no forecasts a week ago is compared with 0.
const (
	RiskHalfLife   = 14 * 24 * time.Hour
	RiskTrendDelta = 7 * 24 * time.Hour
	RiskDeadband   = 0.05
)

// SeverityOf weights a CAMEO root code by its QuadClass: material conflict (15-20) 1.0,
// verbal conflict (10-14) 0.7, material cooperation (06-09) 0.4, verbal cooperation
// (01-05) 0.25; a forecast without a code counts 0.5.
func SeverityOf(cameoRoot *string) float64 {
	if cameoRoot == nil {
		return 0.5
	}
	q, _ := codes.RootQuadClass(*cameoRoot)
	switch q {
	case codes.MaterialConflict:
		return 1.0
	case codes.VerbalConflict:
		return 0.7
	case codes.MaterialCooperation:
		return 0.4
	case codes.VerbalCooperation:
		return 0.25
	}
	return 0.5
}

// CountryRiskSummary is one country's risk as the globe's country layer shows it.
type CountryRiskSummary struct {
	ISOCode        string    `json:"iso_code"`
	RiskScore      float64   `json:"risk_score"`
	ForecastCount  int       `json:"forecast_count"`
	TopQuestion    string    `json:"top_question"`
	TopProbability float64   `json:"top_probability"`
	Trend          string    `json:"trend"`
	LastUpdated    time.Time `json:"last_updated"`
}

// RiskMapEntry is one country of the choropleth.
type RiskMapEntry struct {
	ISOCode       string  `json:"iso_code"`
	RiskScore     float64 `json:"risk_score"`
	ForecastCount int     `json:"forecast_count"`
	TopQuestion   string  `json:"top_question"`
}

// RiskInput is the part of a forecast the risk formula reads.
type RiskInput struct {
	ID            string
	CountryISO    string
	Question      string
	Probability   float64
	CameoRootCode *string
	CreatedAt     time.Time
	ExpiresAt     time.Time
}

func activeAt(f RiskInput, t time.Time) bool {
	return !f.CreatedAt.After(t) && f.ExpiresAt.After(t)
}

// riskScore applies the formula at time t; ok is false when no forecast is active.
func riskScore(fs []RiskInput, t time.Time) (score float64, ok bool) {
	var num, den float64
	for _, f := range fs {
		if !activeAt(f, t) {
			continue
		}
		w := math.Pow(0.5, float64(t.Sub(f.CreatedAt))/float64(RiskHalfLife))
		num += w * SeverityOf(f.CameoRootCode) * f.Probability
		den += w
	}
	if den == 0 {
		return 0, false
	}
	return num / den, true
}

// Summarize builds a country's summary at now from its forecasts (active now or a week
// ago); ok is false when none is active now.
func Summarize(iso string, fs []RiskInput, now time.Time) (CountryRiskSummary, bool) {
	score, ok := riskScore(fs, now)
	if !ok {
		return CountryRiskSummary{}, false
	}
	before, _ := riskScore(fs, now.Add(-RiskTrendDelta))
	sum := CountryRiskSummary{ISOCode: iso, RiskScore: round6(score), Trend: "stable"}
	switch d := score - before; {
	case d > RiskDeadband:
		sum.Trend = "rising"
	case d < -RiskDeadband:
		sum.Trend = "falling"
	}
	var top *RiskInput
	for i := range fs {
		f := &fs[i]
		if !activeAt(*f, now) {
			continue
		}
		sum.ForecastCount++
		if f.CreatedAt.After(sum.LastUpdated) {
			sum.LastUpdated = f.CreatedAt.UTC()
		}
		if top == nil || f.Probability > top.Probability || (f.Probability == top.Probability && f.CreatedAt.After(top.CreatedAt)) {
			top = f
		}
	}
	sum.TopQuestion, sum.TopProbability = top.Question, top.Probability
	return sum, true
}

// SummarizeAll groups forecasts by country and summarises each, riskiest first.
func SummarizeAll(fs []RiskInput, now time.Time) []CountryRiskSummary {
	byCountry := map[string][]RiskInput{}
	for _, f := range fs {
		byCountry[f.CountryISO] = append(byCountry[f.CountryISO], f)
	}
	out := []CountryRiskSummary{}
	for iso, list := range byCountry {
		if s, ok := Summarize(iso, list, now); ok {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].RiskScore != out[j].RiskScore {
			return out[i].RiskScore > out[j].RiskScore
		}
		return out[i].ISOCode < out[j].ISOCode
	})
	return out
}

// round6 keeps scores stable across databases and readable on the wire.
func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }
