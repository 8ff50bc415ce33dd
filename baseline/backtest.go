package baseline

import (
	"context"
	"errors"

	"geopol/calibration"
	"geopol/gdelt"
)

// BacktestOptions select the replay: as-of days From, From+StepDays, ... for as long
// as the rule window of the forecast (as-of day through as-of + HorizonDays) ends on or
// before To, so that every replayed forecast is resolved by the stored events.
type BacktestOptions struct {
	Params
	From, To   Day
	StepDays   int
	CountryISO string
	RootCode   string
	// MinMentions and MinSources are the rule's thresholds (0: the rule's defaults).
	MinMentions int
	MinSources  int
}

// Point is one replayed forecast: what the baseline said as of AsOf and what the rule
// then decided.
type Point struct {
	Key
	AsOf        Day
	Probability float64
	Outcome     float64
}

// BacktestResult is a replay and its scores.
type BacktestResult struct {
	AsOfDays int // as-of days replayed
	Points   []Point
	// Score is calibration.Summarize of the points: Brier score, skill against
	// climatology (the points' own base rate), reliability bins, Murphy decomposition.
	Score calibration.Score
}

// Replay runs the baseline at each as-of day of opts over h, in day then key order.
// Each estimate reads only days before its as-of day, each outcome only the days of
// its rule window.
func (h *History) Replay(opts BacktestOptions) *BacktestResult {
	res := &BacktestResult{}
	step := max(opts.StepDays, 1)
	var samples []calibration.Sample
	for asOf := opts.From; asOf+Day(opts.HorizonDays) <= opts.To; asOf += Day(step) {
		res.AsOfDays++
		for _, k := range h.Keys() {
			if (opts.CountryISO != "" && k.CountryISO != opts.CountryISO) || (opts.RootCode != "" && k.RootCode != opts.RootCode) {
				continue
			}
			est, ok := h.Estimate(k, asOf, opts.Params)
			if !ok {
				continue
			}
			o := 0.0
			if h.Fired(k, est.RuleWindow()) {
				o = 1
			}
			res.Points = append(res.Points, Point{Key: k, AsOf: asOf, Probability: est.Probability, Outcome: o})
			samples = append(samples, calibration.Sample{Forecast: est.Probability, Outcome: o})
		}
	}
	res.Score = calibration.Summarize(samples)
	return res
}

// Backtest reads the events the replay needs (from the lookback before From to To) and
// replays the baseline over them (History.Replay). It writes nothing.
func Backtest(ctx context.Context, events *gdelt.Store, opts BacktestOptions) (*BacktestResult, error) {
	if opts.To < opts.From {
		return nil, errors.New("backtest: To is before From")
	}
	if opts.MinMentions <= 0 {
		opts.MinMentions = calibration.DefaultMinMentions
	}
	if opts.MinSources <= 0 {
		opts.MinSources = calibration.DefaultMinSources
	}
	h, err := LoadHistory(ctx, events, gdelt.RuleFilter{CountryISO: opts.CountryISO, RootCode: opts.RootCode,
		MinMentions: opts.MinMentions, MinSources: opts.MinSources}, opts.From-Day(opts.LookbackDays), opts.To)
	if err != nil {
		return nil, err
	}
	return h.Replay(opts), nil
}
