// Package baseline is geopol's own forecaster: explainable base rates from the GDELT
// event store. For a (country, CAMEO root code) pair it asks how often the outcome
// resolution rule (calibration.RuleQuery: an event of the root code located in the
// country, with enough mentions and sources) fired in the trailing windows of the
// same length as a forecast's window, and smooths that share with a Beta prior:
//
//	p = (k + a) / (n + a + b)
//
// where n is the number of trailing windows, k the number in which the rule fired and
// Beta(a, b) the prior (a = b = 1 by default: Laplace's rule of succession). Only events
// dated before the as-of day are read, so a forecast never sees its own outcome.
//
// history.go is the arithmetic on days (no database), forecast.go stores the forecasts
// through package forecast, backtest.go replays the baseline over past dates, and
// synthetic.go writes generated event histories for tests.
package baseline

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"geopol/gdelt"
)

// Defaults of Params.
const (
	DefaultHorizonDays  = 30
	DefaultLookbackDays = 730
	DefaultMinWindows   = 8
	DefaultPrior        = 1.0
	// MaxEvidence is how many GDELT events a baseline forecast cites: the most reported
	// qualifying event of each of the most recent windows in which the rule fired.
	MaxEvidence = 10
)

// Params are the estimator's settings.
type Params struct {
	HorizonDays  int // the forecast's horizon; its rule window is HorizonDays+1 days
	LookbackDays int // how far before the as-of day history is read
	MinWindows   int // fewer trailing windows than this: no forecast
	// PriorAlpha and PriorBeta are the Beta prior's pseudo-counts of windows with and
	// without the rule firing.
	PriorAlpha, PriorBeta float64
}

// DefaultParams are the settings of `geopol forecast baseline` without flags.
func DefaultParams() Params {
	return Params{HorizonDays: DefaultHorizonDays, LookbackDays: DefaultLookbackDays, MinWindows: DefaultMinWindows,
		PriorAlpha: DefaultPrior, PriorBeta: DefaultPrior}
}

// WindowDays is the length of a forecast's rule window: calibration.DateWindow covers
// the creation day through the expiry day, HorizonDays+1 calendar days.
func (p Params) WindowDays() int { return p.HorizonDays + 1 }

// Day is a UTC calendar day, counted from 1970-01-01.
type Day int

// DayOf is the UTC day of t.
func DayOf(t time.Time) Day {
	return Day(math.Floor(float64(t.UTC().Unix()) / 86400))
}

// Time is the day's UTC midnight.
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// SQLDate is the day as GDELT's SQLDATE, YYYYMMDD.
func (d Day) SQLDate() int {
	t := d.Time()
	return t.Year()*10000 + int(t.Month())*100 + t.Day()
}

// String is the day as YYYY-MM-DD.
func (d Day) String() string { return d.Time().Format(time.DateOnly) }

// DayOfSQLDate reads a SQLDATE; ok is false for a value that is not a date.
func DayOfSQLDate(v int) (Day, bool) {
	t, err := time.Parse("20060102", fmt.Sprintf("%08d", v))
	if err != nil {
		return 0, false
	}
	return DayOf(t), true
}

// Key names one (country, CAMEO root code) pair: alpha-3 code and "01".."20".
type Key struct {
	CountryISO string
	RootCode   string
}

// Window is a range of days, both ends included.
type Window struct{ From, To Day }

// History is what the estimator reads of the event store: the days on which the rule
// fired per pair, and the days on which each country had any event at all (which say
// since when the store covers the country).
type History struct {
	fired  map[Key][]Day    // ascending
	active map[string][]Day // ascending, per country
}

// NewHistory builds a History from the store's rule days and active days (in any order;
// malformed SQLDATEs are ignored).
func NewHistory(rule []gdelt.RuleDay, active []gdelt.ActiveDay) *History {
	h := &History{fired: map[Key][]Day{}, active: map[string][]Day{}}
	for _, r := range rule {
		if d, ok := DayOfSQLDate(r.SQLDate); ok {
			k := Key{r.CountryISO, r.RootCode}
			h.fired[k] = append(h.fired[k], d)
		}
	}
	for _, a := range active {
		if d, ok := DayOfSQLDate(a.SQLDate); ok {
			h.active[a.CountryISO] = append(h.active[a.CountryISO], d)
		}
	}
	for k := range h.fired {
		slices.Sort(h.fired[k])
		h.fired[k] = slices.Compact(h.fired[k])
	}
	for c := range h.active {
		slices.Sort(h.active[c])
		h.active[c] = slices.Compact(h.active[c])
	}
	return h
}

// Keys lists the pairs on which the rule ever fired in the history, in order.
func (h *History) Keys() []Key {
	out := make([]Key, 0, len(h.fired))
	for k := range h.fired {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].CountryISO != out[j].CountryISO {
			return out[i].CountryISO < out[j].CountryISO
		}
		return out[i].RootCode < out[j].RootCode
	})
	return out
}

// Fired reports whether the rule fired for k on a day of w.
func (h *History) Fired(k Key, w Window) bool {
	days := h.fired[k]
	i := sort.Search(len(days), func(i int) bool { return days[i] >= w.From })
	return i < len(days) && days[i] <= w.To
}

// Estimate is a baseline probability and how it was reached.
type Estimate struct {
	Key
	AsOf   Day
	Params Params
	// Windows are the trailing windows, most recent first: window i (from 1) covers the
	// days AsOf - i*L to AsOf - (i-1)*L - 1, L = Params.WindowDays().
	Windows []Window
	// Hit[i] says whether the rule fired in Windows[i].
	Hit []bool
	// N windows, K of them fired.
	N, K int
	// Probability is (K + a) / (N + a + b); Confidence is 1 - 2·sd, where sd is the
	// posterior standard deviation sqrt(p(1-p)/(N + a + b + 1)).
	Probability float64
	Confidence  float64
}

// Estimate computes the base rate for k as of the start of day asOf, from the days
// before it only. The trailing windows tile the LookbackDays before asOf backwards from
// asOf, but start no earlier than the country's first event in the lookback (the store
// does not cover it before): n = min(floor(LookbackDays/L), floor((asOf-first)/L)). ok
// is false when n < MinWindows or the rule never fired in the windows (the store says
// nothing about the pair then).
func (h *History) Estimate(k Key, asOf Day, p Params) (Estimate, bool) {
	est := Estimate{Key: k, AsOf: asOf, Params: p}
	L := p.WindowDays()
	if L < 1 || p.LookbackDays < L {
		return est, false
	}
	active := h.active[k.CountryISO]
	start := asOf - Day(p.LookbackDays)
	i := sort.Search(len(active), func(i int) bool { return active[i] >= start })
	if i == len(active) || active[i] >= asOf {
		return est, false
	}
	n := min(p.LookbackDays/L, int(asOf-active[i])/L)
	if n < max(p.MinWindows, 1) {
		return est, false
	}
	for j := 1; j <= n; j++ {
		w := Window{From: asOf - Day(j*L), To: asOf - Day((j-1)*L) - 1}
		hit := h.Fired(k, w)
		est.Windows = append(est.Windows, w)
		est.Hit = append(est.Hit, hit)
		if hit {
			est.K++
		}
	}
	est.N = n
	if est.K == 0 {
		return est, false
	}
	total := float64(n) + p.PriorAlpha + p.PriorBeta
	est.Probability = (float64(est.K) + p.PriorAlpha) / total
	sd := math.Sqrt(est.Probability * (1 - est.Probability) / (total + 1))
	est.Confidence = math.Max(0, 1-2*sd)
	return est, true
}

// RuleWindow is the rule window of the forecast the estimate is for: the as-of day
// through the expiry day, HorizonDays later.
func (e Estimate) RuleWindow() Window {
	return Window{From: e.AsOf, To: e.AsOf + Day(e.Params.HorizonDays)}
}

// Span is the range of days the windows cover.
func (e Estimate) Span() Window {
	return Window{From: e.Windows[len(e.Windows)-1].From, To: e.Windows[0].To}
}
