package baseline_test

import (
	"math"
	"reflect"
	"testing"
	"time"

	"geopol/baseline"
	"geopol/gdelt"
)

// day is the Day of a YYYY-MM-DD date.
func day(t *testing.T, s string) baseline.Day {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return baseline.DayOf(d)
}

// history builds a History of one pair (SYR, 19) that fired on fired, with the country
// active on every day of [first, last].
func history(fired []baseline.Day, first, last baseline.Day) *baseline.History {
	var rule []gdelt.RuleDay
	for _, d := range fired {
		rule = append(rule, gdelt.RuleDay{CountryISO: "SYR", RootCode: "19", SQLDate: d.SQLDate(), Events: 1})
	}
	var active []gdelt.ActiveDay
	for d := first; d <= last; d++ {
		active = append(active, gdelt.ActiveDay{CountryISO: "SYR", SQLDate: d.SQLDate()})
	}
	return baseline.NewHistory(rule, active)
}

var syr19 = baseline.Key{CountryISO: "SYR", RootCode: "19"}

// The windows tile the lookback backwards from the as-of day; the estimate is the
// share of windows that fired, smoothed by the Beta prior: (k + a) / (n + a + b).
func TestEstimateCountsWindows(t *testing.T) {
	asOf := day(t, "2025-06-01")
	p := baseline.Params{HorizonDays: 6, LookbackDays: 70, MinWindows: 5, PriorAlpha: 1, PriorBeta: 1}
	// L = 7: window 1 is May 25..31, window 2 May 18..24, ..., window 10 Mar 23..29.
	// Fire in windows 1 (May 31), 3 (May 11) and 10 (Mar 23, its first day).
	fired := []baseline.Day{day(t, "2025-05-31"), day(t, "2025-05-11"), day(t, "2025-03-23"), day(t, "2025-03-22")}
	h := history(fired, asOf-200, asOf-1)
	est, ok := h.Estimate(syr19, asOf, p)
	if !ok {
		t.Fatal("no estimate")
	}
	if est.N != 10 || est.K != 3 {
		t.Fatalf("n=%d k=%d, want 10 and 3", est.N, est.K)
	}
	if est.Windows[0] != (baseline.Window{From: day(t, "2025-05-25"), To: day(t, "2025-05-31")}) ||
		est.Windows[9] != (baseline.Window{From: day(t, "2025-03-23"), To: day(t, "2025-03-29")}) {
		t.Errorf("windows: first %v..%v, last %v..%v", est.Windows[0].From, est.Windows[0].To, est.Windows[9].From, est.Windows[9].To)
	}
	want := []bool{true, false, true, false, false, false, false, false, false, true}
	if !reflect.DeepEqual(est.Hit, want) {
		t.Errorf("hits %v, want %v", est.Hit, want)
	}
	if math.Abs(est.Probability-4.0/12) > 1e-15 {
		t.Errorf("p = %v, want (3+1)/(10+2)", est.Probability)
	}
	// sd = sqrt(p(1-p)/(n+a+b+1)) = sqrt((1/3)(2/3)/13)
	if wantConf := 1 - 2*math.Sqrt(2.0/9/13); math.Abs(est.Confidence-wantConf) > 1e-15 {
		t.Errorf("confidence %v, want %v", est.Confidence, wantConf)
	}
	if rw := est.RuleWindow(); rw.From != asOf || rw.To != asOf+6 {
		t.Errorf("rule window %v..%v", rw.From, rw.To)
	}
	// A Jeffreys prior moves the same counts to (3+0.5)/(10+1).
	p.PriorAlpha, p.PriorBeta = 0.5, 0.5
	if est, _ := h.Estimate(syr19, asOf, p); math.Abs(est.Probability-3.5/11) > 1e-15 {
		t.Errorf("Jeffreys p = %v", est.Probability)
	}
}

// The windows start no earlier than the country's first event in the lookback, and
// too few windows, or none that fired, give no estimate.
func TestEstimateNeedsHistory(t *testing.T) {
	asOf := day(t, "2025-06-01")
	p := baseline.Params{HorizonDays: 6, LookbackDays: 70, MinWindows: 5, PriorAlpha: 1, PriorBeta: 1}
	fired := []baseline.Day{asOf - 1}
	// Covered since 36 days: floor(36/7) = 5 windows.
	if est, ok := history(fired, asOf-36, asOf-1).Estimate(syr19, asOf, p); !ok || est.N != 5 {
		t.Errorf("36 days covered: ok=%v n=%d, want 5 windows", ok, est.N)
	}
	if _, ok := history(fired, asOf-34, asOf-1).Estimate(syr19, asOf, p); ok {
		t.Error("34 days covered (4 windows) gave an estimate")
	}
	if _, ok := history(nil, asOf-200, asOf-1).Estimate(syr19, asOf, p); ok {
		t.Error("a pair that never fired gave an estimate")
	}
	// Fired only before the windows (day 71 back): nothing to say.
	if _, ok := history([]baseline.Day{asOf - 71}, asOf-200, asOf-1).Estimate(syr19, asOf, p); ok {
		t.Error("a pair that fired only before the windows gave an estimate")
	}
}

// No look-ahead: events dated on or after the as-of day change nothing.
func TestEstimateIgnoresTheFuture(t *testing.T) {
	asOf := day(t, "2025-06-01")
	p := baseline.DefaultParams()
	past := baseline.RandomDays(7, asOf-800, asOf-1, 0.03)
	before, ok := history(past, asOf-800, asOf-1).Estimate(syr19, asOf, p)
	if !ok {
		t.Fatal("no estimate")
	}
	future := append(append([]baseline.Day{}, past...), baseline.PeriodicDays(asOf, asOf+400, 1)...)
	after, ok := history(future, asOf-800, asOf+400).Estimate(syr19, asOf, p)
	if !ok || !reflect.DeepEqual(before, after) {
		t.Fatalf("events from the as-of day on changed the estimate:\n%+v\n%+v", before, after)
	}
}

// The estimator recovers known rates. Tolerance, documented in the README: with n
// windows and true rate r, |p - r| <= 3·sqrt(r(1-r)/n) + 1/(n+2) (three standard errors
// of the share, plus the most the Beta(1,1) prior can move it).
func TestEstimateRecoversKnownRates(t *testing.T) {
	asOf := day(t, "2025-06-01")
	p := baseline.Params{HorizonDays: 6, LookbackDays: 3500, MinWindows: 8, PriorAlpha: 1, PriorBeta: 1}
	L := float64(p.WindowDays())
	for i, r := range []float64{0.1, 0.3, 0.5, 0.8, 0.95} {
		q := 1 - math.Pow(1-r, 1/L) // daily probability giving rate r per 7-day window
		days := baseline.RandomDays(uint64(100+i), asOf-3600, asOf-1, q)
		est, ok := history(days, asOf-3600, asOf-1).Estimate(syr19, asOf, p)
		if !ok || est.N != 500 {
			t.Fatalf("r=%v: ok=%v n=%d", r, ok, est.N)
		}
		n := float64(est.N)
		if tol := 3*math.Sqrt(r*(1-r)/n) + 1/(n+2); math.Abs(est.Probability-r) > tol {
			t.Errorf("r=%v: p=%.4f, off by more than %.4f", r, est.Probability, tol)
		}
	}
	// A perfectly periodic history firing every other window is recovered exactly:
	// k = n/2, p = (n/2 + 1)/(n + 2) = 0.5.
	days := baseline.PeriodicDays(asOf-3500, asOf-1, 14)
	est, ok := history(days, asOf-3600, asOf-1).Estimate(syr19, asOf, p)
	if !ok || est.K != 250 || est.Probability != 0.5 {
		t.Errorf("periodic: k=%d of %d, p=%v; want 250 of 500, 0.5", est.K, est.N, est.Probability)
	}
}

// The backtest is reproducible, and at the same mean event frequency (one qualifying
// event per 10 days) a perfectly periodic history scores better than a random one: every
// 31-day window of the periodic history holds an event, so the baseline learns that the
// rule always fires, while in the random history about 4% of windows stay quiet.
func TestReplayPeriodicBeatsRandom(t *testing.T) {
	first, last := day(t, "2018-01-01"), day(t, "2025-12-31")
	opts := baseline.BacktestOptions{Params: baseline.DefaultParams(), From: day(t, "2021-01-01"), To: last, StepDays: 7}
	periodic := history(baseline.PeriodicDays(first+3, last, 10), first, last).Replay(opts)
	random := history(baseline.RandomDays(42, first, last, 0.1), first, last).Replay(opts)
	again := history(baseline.RandomDays(42, first, last, 0.1), first, last).Replay(opts)
	if !reflect.DeepEqual(random, again) {
		t.Fatal("the same history and options gave different backtests")
	}
	other := history(baseline.RandomDays(43, first, last, 0.1), first, last).Replay(opts)
	if reflect.DeepEqual(random.Points, other.Points) {
		t.Fatal("another seed gave the same backtest: the generator ignores its seed")
	}
	if periodic.Score.Count == 0 || periodic.Score.Count != random.Score.Count {
		t.Fatalf("forecast counts %d and %d", periodic.Score.Count, random.Score.Count)
	}
	bp, br := *periodic.Score.BrierScore, *random.Score.BrierScore
	if !(bp < br) {
		t.Errorf("periodic Brier %.5f is not better than random %.5f", bp, br)
	}
	// Periodic: n = 23 windows all fired, p = 24/25 every time, every outcome 1:
	// Brier (1/25)^2; skill against climatology undefined (every outcome the same).
	if math.Abs(bp-1.0/625) > 1e-12 || periodic.Score.BrierSkillScore != nil {
		t.Errorf("periodic Brier %v (want 0.0016), skill %v (want null)", bp, periodic.Score.BrierSkillScore)
	}
	if periodic.AsOfDays != random.AsOfDays || periodic.AsOfDays != 1+(int(last-30-opts.From))/7 {
		t.Errorf("as-of days %d", periodic.AsOfDays)
	}
}
