package baseline

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/codes"
	"geopol/forecast"
	"geopol/gdelt"
	"geopol/models"
)

// Options select and tune one baseline run.
type Options struct {
	Params
	// AsOf is the forecasts' creation time, taken as the start of its UTC day: only
	// events with SQLDATE before that day are read.
	AsOf time.Time
	// CountryISO (alpha-3) and RootCode restrict the pairs; "" means all.
	CountryISO string
	RootCode   string
	// MinMentions and MinSources are the resolution rule's thresholds (0: the rule's
	// defaults), so that the baseline forecasts what `geopol resolve --due` will decide.
	MinMentions int
	MinSources  int
}

func (o *Options) defaults() {
	if o.MinMentions <= 0 {
		o.MinMentions = calibration.DefaultMinMentions
	}
	if o.MinSources <= 0 {
		o.MinSources = calibration.DefaultMinSources
	}
}

// Made is one forecast of a run.
type Made struct {
	Estimate
	ID string
	// Status is "created", "present" (stored by an earlier run with this key) or
	// "changed" (stored earlier, but the history has changed since: the stored forecast
	// is kept, as forecasts are never rewritten).
	Status string
}

// Report is what a run did.
type Report struct {
	AsOf Day
	// Pairs is how many (country, root) pairs had a qualifying event in the lookback;
	// Skipped of them had too little history (fewer than MinWindows windows).
	Pairs, Skipped int
	Made           []Made
}

// Count returns how many forecasts had the status.
func (r *Report) Count(status string) int {
	n := 0
	for _, m := range r.Made {
		if m.Status == status {
			n++
		}
	}
	return n
}

// LoadHistory reads from events what estimates as of asOf need: the rule days and
// active days of the lookback before asOf (never a day from asOf on).
func LoadHistory(ctx context.Context, events *gdelt.Store, f gdelt.RuleFilter, from, to Day) (*History, error) {
	rule, err := events.RuleDays(ctx, f, from.SQLDate(), to.SQLDate())
	if err != nil {
		return nil, fmt.Errorf("read the rule's days: %w", err)
	}
	active, err := events.ActiveDays(ctx, f.CountryISO, from.SQLDate(), to.SQLDate())
	if err != nil {
		return nil, fmt.Errorf("read the store's coverage: %w", err)
	}
	return NewHistory(rule, active), nil
}

// ID is the forecast id of the baseline for (key, horizon, as-of day): the same run
// stores nothing new the second time.
func ID(k Key, horizonDays int, asOf Day) string {
	return forecast.IdempotencyID("geopol-baseline", fmt.Sprintf("%s/%s/%d/%s", k.CountryISO, k.RootCode, horizonDays, asOf))
}

// Run makes a baseline forecast for every pair the options select that has enough
// history, and stores each through forecast.Create (the validation and creation path
// of POST /forecasts) with created_at = the as-of day's midnight and an id from ID.
func Run(ctx context.Context, db *gorm.DB, events *gdelt.Store, opts Options) (*Report, error) {
	opts.defaults()
	asOf := DayOf(opts.AsOf)
	filter := gdelt.RuleFilter{CountryISO: opts.CountryISO, RootCode: opts.RootCode,
		MinMentions: opts.MinMentions, MinSources: opts.MinSources}
	h, err := LoadHistory(ctx, events, filter, asOf-Day(opts.LookbackDays), asOf-1)
	if err != nil {
		return nil, err
	}
	rep := &Report{AsOf: asOf}
	for _, k := range h.Keys() {
		rep.Pairs++
		est, ok := h.Estimate(k, asOf, opts.Params)
		if !ok {
			rep.Skipped++
			continue
		}
		evidence, err := citedEvents(ctx, events, est, filter)
		if err != nil {
			return rep, err
		}
		req := Request(est, evidence, opts.MinMentions, opts.MinSources)
		m := Made{Estimate: est, ID: ID(k, opts.HorizonDays, asOf), Status: "created"}
		var n int64
		if err := db.WithContext(ctx).Model(&models.Prediction{}).Where("id = ?", m.ID).Count(&n).Error; err != nil {
			return rep, err
		}
		if n > 0 {
			m.Status = "present"
		}
		if _, err := forecast.Create(ctx, db, req, m.ID, asOf.Time()); errors.Is(err, forecast.ErrIdempotencyConflict) {
			m.Status = "changed"
		} else if err != nil {
			return rep, fmt.Errorf("baseline %s %s: %w", k.CountryISO, k.RootCode, err)
		}
		rep.Made = append(rep.Made, m)
	}
	return rep, nil
}

// citedEvents returns the most reported qualifying event of each of the (up to
// MaxEvidence) most recent windows in which the rule fired.
func citedEvents(ctx context.Context, events *gdelt.Store, est Estimate, f gdelt.RuleFilter) ([]gdelt.Event, error) {
	f.CountryISO, f.RootCode = est.CountryISO, est.RootCode
	var out []gdelt.Event
	for i, w := range est.Windows {
		if !est.Hit[i] {
			continue
		}
		top, err := events.TopEvents(ctx, f, w.From.SQLDate(), w.To.SQLDate(), 1)
		if err != nil {
			return nil, fmt.Errorf("read cited events: %w", err)
		}
		out = append(out, top...)
		if len(out) == MaxEvidence {
			break
		}
	}
	return out, nil
}

// Category is the forecast category of a baseline for a CAMEO root code: conflict for
// the conflict QuadClasses (roots 10-20), diplomatic for the cooperation ones (01-09).
func Category(root string) string {
	if q, ok := codes.RootQuadClass(root); ok && (q == codes.VerbalConflict || q == codes.MaterialConflict) {
		return "conflict"
	}
	return "diplomatic"
}

// countryName is the country's ISO name, or its code when unknown.
func countryName(iso string) string {
	if c, ok := codes.LookupCountry(iso); ok && c.Name != "" {
		return c.Name
	}
	return iso
}

// Request is the forecast request of an estimate: question, reasoning, scenarios and
// evidence generated from its numbers, and ensemble_info marking it as the baseline.
func Request(est Estimate, evidence []gdelt.Event, minMentions, minSources int) *forecast.ForecastRequest {
	p := est.Params
	rule := est.RuleWindow()
	span := est.Span()
	L := p.WindowDays()
	country, root := countryName(est.CountryISO), est.RootCode
	event := fmt.Sprintf("an event of CAMEO root %s (%s) located in %s, reported in at least %d mentions by at least %d sources",
		root, codes.RootName(root), country, minMentions, minSources)
	question := fmt.Sprintf("Will the GDELT event store record %s with SQLDATE from %s to %s?", event, rule.From, rule.To)
	prediction := fmt.Sprintf("Base rate %.1f%%: the rule fired in %d of the last %d %d-day windows.", 100*est.Probability, est.K, est.N, L)
	var b strings.Builder
	fmt.Fprintf(&b, "Base rate from the GDELT event store, reading only events dated before %s. ", est.AsOf)
	fmt.Fprintf(&b, "The resolution rule (%s) fired in %d of the last %d %d-day windows (%s to %s), each as long as this forecast's window (a %d-day horizon covers %d days, creation day to expiry day). ",
		event, est.K, est.N, L, span.From, span.To, p.HorizonDays, L)
	if last := lastHit(est); last >= 0 {
		fmt.Fprintf(&b, "It last fired in the window %s to %s. ", est.Windows[last].From, est.Windows[last].To)
	}
	fmt.Fprintf(&b, "With a Beta(%g, %g) prior the probability is (%d + %g) / (%d + %g + %g) = %.4f; confidence 1 - 2·sd = %.4f (posterior sd sqrt(p(1-p)/(n+a+b+1))). ",
		p.PriorAlpha, p.PriorBeta, est.K, p.PriorAlpha, est.N, p.PriorAlpha, p.PriorBeta, est.Probability, est.Confidence)
	fmt.Fprintf(&b, "The evidence cites the most reported qualifying event of each of the %d most recent windows in which the rule fired.", len(evidence))
	var sources []forecast.EvidenceDTO
	for _, e := range evidence {
		id := strconv.FormatInt(e.GlobalEventID, 10)
		var ts *time.Time
		if d, ok := DayOfSQLDate(e.SQLDate); ok {
			t := d.Time()
			ts = &t
		}
		sources = append(sources, forecast.EvidenceDTO{Source: "GDELT",
			Description: fmt.Sprintf("GDELT event %s of CAMEO %s in %s on SQLDATE %d: %d mentions, %d sources.", id, e.EventCode, est.CountryISO, e.SQLDate, e.NumMentions, e.NumSources),
			Confidence:  1, Timestamp: ts, GdeltEventID: &id})
	}
	prob, conf, horizon := est.Probability, est.Confidence, p.HorizonDays
	countryISO, rootCode := est.CountryISO, est.RootCode
	return &forecast.ForecastRequest{
		Question: question, Prediction: prediction, Probability: &prob, Confidence: &conf, HorizonDays: &horizon,
		CountryISO: &countryISO, Category: Category(root), CameoRootCode: &rootCode, ReasoningSummary: b.String(),
		Scenarios: []forecast.ScenarioDTO{
			{ScenarioID: "baseline-fires", Description: fmt.Sprintf("The rule fires: %s between %s and %s.", event, rule.From, rule.To),
				Probability: prob, AnswersAffirmative: true, Entities: []string{countryISO}, EvidenceSources: sources},
			{ScenarioID: "baseline-quiet", Description: fmt.Sprintf("The rule does not fire between %s and %s.", rule.From, rule.To),
				Probability: 1 - prob, Entities: []string{countryISO}},
		},
		EnsembleInfo: &forecast.EnsembleInfoDTO{LLMProbability: prob, Weights: map[string]float64{"baseline": 1}, TemperatureApplied: 1,
			Baseline: &forecast.BaselineInfoDTO{Method: calibration.BaselineMethod, AsOf: est.AsOf.String(), HorizonDays: p.HorizonDays,
				WindowDays: L, LookbackDays: p.LookbackDays, Windows: est.N, Fired: est.K, PriorAlpha: p.PriorAlpha, PriorBeta: p.PriorBeta,
				MinMentions: minMentions, MinSources: minSources}},
		Entities: []string{countryISO},
	}
}

// lastHit is the index of the most recent window in which the rule fired, or -1.
func lastHit(est Estimate) int {
	for i, hit := range est.Hit {
		if hit {
			return i
		}
	}
	return -1
}
