package forecast

import (
	"math"
	"sort"
	"time"

	"geopol/codes"
	"geopol/gdelt"
)

// Country risk is a dual score on 0-100, deterministic and documented in the README.
//
// Forecast risk, over the country's forecasts active at t (created_at <= t < expires_at):
//
//	forecast_risk(t) = 100 · Σ w_i · s_i · p_i / Σ w_i
//	w_i = 0.5^(age_i / RiskHalfLife)      recency decay, age_i = t - created_at_i
//	s_i = SeverityOf(CAMEO root code)     1.0 / 0.7 / 0.4 / 0.25 by QuadClass, 0.5 uncoded
//	p_i = the forecast's probability
//
// null when no forecast is active. Baseline risk, from the GDELT event store as of the
// newest publication time A (events published in the BaselineWindow before A, located
// by ActionGeo):
//
//	baseline_risk(A) = 100 · (S / N) · (1 - e^(-N / BaselineSaturation))
//	N = Σ_e w_e,  S = Σ_e w_e · c_e
//	w_e = 0.5^(age_e / BaselineHalfLife)  age_e = A - SQLDATE_e in days, at least 0
//	c_e = max(0, -Goldstein_e) / 10       conflict intensity; cooperation counts 0
//
// so baseline is the decayed mean conflict intensity, damped where coverage is thin
// (BaselineSaturation decayed events give 63% of it); 0 without events. blended_risk =
// risk_score = 0.7 · forecast_risk + 0.3 · baseline_risk when both exist, else the one
// that exists (0 for neither).
// Trend compares blended_risk with its value RiskTrendDelta earlier (forecasts active
// then, events published by A - 7 days): above +RiskDeadband "rising", below
// -RiskDeadband "falling", else "stable"; a country with nothing a week ago is
// compared with 0.
const (
	RiskHalfLife       = 14 * 24 * time.Hour
	RiskTrendDelta     = 7 * 24 * time.Hour
	RiskDeadband       = 5.0
	BaselineHalfLife   = 90 * 24 * time.Hour
	BaselineWindow     = 365 * 24 * time.Hour
	BaselineSaturation = 50.0
	// ForecastWeight is forecast risk's share of the blend; baseline gets the rest.
	ForecastWeight = 0.7
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

// CountryRiskSummary is one country's risk as the globe's country layer reads it.
type CountryRiskSummary struct {
	// ISOCode is ISO 3166-1 alpha-2, the code the globe keys its colours on.
	ISOCode      string   `json:"iso_code"`
	BaselineRisk float64  `json:"baseline_risk"`
	ForecastRisk *float64 `json:"forecast_risk"`
	BlendedRisk  float64  `json:"blended_risk"`
	// RiskScore repeats BlendedRisk, the value older dashboards read.
	RiskScore      float64   `json:"risk_score"`
	ForecastCount  int       `json:"forecast_count"`
	TopForecast    *string   `json:"top_forecast"`
	TopProbability *float64  `json:"top_probability"`
	Trend          string    `json:"trend"`
	LastUpdated    time.Time `json:"last_updated"`
	Disputed       bool      `json:"disputed"`
	// PreviousRisk is the blended risk RiskTrendDelta earlier, which the trend and the
	// globe's delta layer compare with.
	PreviousRisk float64 `json:"previous_risk"`
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

// forecastRisk applies the forecast formula at time t; ok is false when no forecast is
// active then.
func forecastRisk(fs []RiskInput, t time.Time) (score float64, ok bool) {
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
	return 100 * (num / den), true
}

// baselineRisk applies the baseline formula to a country's activity as of asOf, counting
// only events published by then; ok is false when there are none.
func baselineRisk(days []gdelt.CountryDay, asOf time.Time) (score float64, ok bool) {
	var n, s float64
	for _, d := range days {
		if d.Published.After(asOf) {
			continue
		}
		age := max(asOf.Sub(d.Day), 0)
		w := math.Pow(0.5, float64(age)/float64(BaselineHalfLife))
		n += w * float64(d.Events)
		s += w * d.Conflict
	}
	if n == 0 {
		return 0, false
	}
	return 100 * (s / n) * (1 - math.Exp(-n/BaselineSaturation)), true
}

// blend combines the two scores as documented.
func blend(forecast float64, hasForecast bool, baseline float64, hasBaseline bool) float64 {
	switch {
	case hasForecast && hasBaseline:
		return ForecastWeight*forecast + (1-ForecastWeight)*baseline
	case hasForecast:
		return forecast
	}
	return baseline
}

// Summarize builds the risk of one country (alpha-3) at now from its forecasts (active
// now or a week ago) and its event-store activity as of asOf.
func Summarize(iso string, fs []RiskInput, days []gdelt.CountryDay, now, asOf time.Time) CountryRiskSummary {
	fr, hasFR := forecastRisk(fs, now)
	base, hasBase := baselineRisk(days, asOf)
	prevFR, hasPrevFR := forecastRisk(fs, now.Add(-RiskTrendDelta))
	prevBase, hasPrevBase := baselineRisk(days, asOf.Add(-RiskTrendDelta))
	prev := blend(prevFR, hasPrevFR, prevBase, hasPrevBase)
	blended := blend(fr, hasFR, base, hasBase)
	r := CountryRiskSummary{
		ISOCode: codes.Alpha2(iso), BaselineRisk: round2(base), BlendedRisk: round2(blended),
		RiskScore: round2(blended), Trend: "stable", Disputed: codes.Disputed(iso), PreviousRisk: round2(prev),
	}
	if hasFR {
		v := round2(fr)
		r.ForecastRisk = &v
	}
	switch d := blended - prev; {
	case d > RiskDeadband:
		r.Trend = "rising"
	case d < -RiskDeadband:
		r.Trend = "falling"
	}
	var top *RiskInput
	for i := range fs {
		f := &fs[i]
		if !activeAt(*f, now) {
			continue
		}
		r.ForecastCount++
		if f.CreatedAt.After(r.LastUpdated) {
			r.LastUpdated = f.CreatedAt.UTC()
		}
		if top == nil || f.Probability > top.Probability || (f.Probability == top.Probability && f.CreatedAt.After(top.CreatedAt)) {
			top = f
		}
	}
	if top != nil {
		q, p := top.Question, top.Probability
		r.TopForecast, r.TopProbability = &q, &p
	}
	for _, d := range days {
		if !d.Published.After(asOf) && d.NewestAdded.After(r.LastUpdated) {
			r.LastUpdated = d.NewestAdded.UTC()
		}
	}
	return r
}

// SummarizeAll gives every country with an active forecast or with events published in
// the baseline window its risk, riskiest first (ties by code).
func SummarizeAll(fs []RiskInput, days []gdelt.CountryDay, now, asOf time.Time) []CountryRiskSummary {
	forecasts := map[string][]RiskInput{}
	for _, f := range fs {
		forecasts[f.CountryISO] = append(forecasts[f.CountryISO], f)
	}
	activity := map[string][]gdelt.CountryDay{}
	for _, d := range days {
		activity[d.CountryISO] = append(activity[d.CountryISO], d)
	}
	countries := map[string]bool{}
	for iso, list := range forecasts {
		for _, f := range list {
			if activeAt(f, now) {
				countries[iso] = true
				break
			}
		}
	}
	for iso := range activity {
		countries[iso] = true
	}
	out := make([]CountryRiskSummary, 0, len(countries))
	for iso := range countries {
		if codes.Alpha2(iso) == "" {
			continue // not an ISO country (the store maps every FIPS code it can)
		}
		out = append(out, Summarize(iso, forecasts[iso], activity[iso], now, asOf))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].RiskScore != out[j].RiskScore {
			return out[i].RiskScore > out[j].RiskScore
		}
		return out[i].ISOCode < out[j].ISOCode
	})
	return out
}

// round2 keeps scores stable across databases and readable on the wire.
func round2(x float64) float64 { return math.Round(x*100) / 100 }
