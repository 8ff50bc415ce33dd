package main

import (
	"context"
	"fmt"
	"io"

	"geopol/baseline"
	"geopol/calibration"
)

const backtestUsage = `usage: geopol backtest --from DATE --to DATE [--step 7d] [--horizon 30d]
                       [--country ISO] [--root CC] [--lookback 730d] [--min-windows 8]

Replays the base-rate baseline (see ` + "`geopol forecast baseline --help`" + `) over the stored
events at the as-of dates --from, --from + --step, ... for as long as the forecast's rule
window (as-of day through as-of + horizon) ends by --to, and resolves each replayed
forecast by the same rule from the stored events. It prints the Brier score, the Brier
skill score against climatology (the replayed outcomes' base rate) and the reliability
bins. It stores nothing; the same events and flags give the same numbers.`

// backtestCmd replays the baseline over past dates and scores it.
func backtestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backtest", backtestUsage, stderr)
	from := fs.String("from", "", "first as-of date, YYYY-MM-DD (required)")
	to := fs.String("to", "", "last day a replayed forecast's window may reach, YYYY-MM-DD (required)")
	step := fs.String("step", "7d", "days between as-of dates")
	horizon := fs.String("horizon", "30d", "forecast horizon in days")
	country := fs.String("country", "", "only this country (ISO 3166-1 alpha-2 or alpha-3)")
	root := fs.String("root", "", `only this CAMEO root code, "01".."20"`)
	lookback := fs.String("lookback", "730d", "history read before each as-of date, in days")
	minWindows := fs.Int("min-windows", baseline.DefaultMinWindows, "skip pairs with fewer trailing windows than this")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	opts, err := baselineFlags(*country, *root, *horizon, *lookback, *minWindows)
	var first, last baseline.Day
	var stepDays int
	switch {
	case err != nil:
	case fs.NArg() > 0:
		err = usagef("backtest takes no arguments")
	case *from == "" || *to == "":
		err = usagef("backtest needs --from and --to")
	}
	if err == nil {
		first, err = parseDay("--from", *from)
	}
	if err == nil {
		last, err = parseDay("--to", *to)
	}
	if err == nil {
		stepDays, err = parseDays("--step", *step, 1, 3650)
	}
	if err == nil && first+baseline.Day(opts.HorizonDays) > last {
		err = usagef("--to %s leaves no room for one %d-day horizon after --from %s", last, opts.HorizonDays, first)
	}
	if err != nil {
		fs.Usage()
		return err
	}
	a, events, err := openAppEvents(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := baseline.Backtest(ctx, events, baseline.BacktestOptions{Params: opts.Params, From: first, To: last, StepDays: stepDays,
		CountryISO: opts.CountryISO, RootCode: opts.RootCode, MinMentions: a.cfg.ResolveMinMentions, MinSources: a.cfg.ResolveMinSources})
	if err != nil {
		return err
	}
	printBacktest(stdout, res, opts.Params, stepDays, first, last)
	return nil
}

// printBacktest writes the backtest's scores and reliability bins.
func printBacktest(w io.Writer, res *baseline.BacktestResult, p baseline.Params, step int, first, last baseline.Day) {
	sc := res.Score
	fmt.Fprintf(w, "backtest of the base-rate baseline: as-of %s every %dd, windows ending by %s; horizon %dd, lookback %dd, Beta(%g, %g) prior\n",
		first, step, last, p.HorizonDays, p.LookbackDays, p.PriorAlpha, p.PriorBeta)
	fmt.Fprintf(w, "forecasts: %d over %d as-of date(s)\n", sc.Count, res.AsOfDays)
	fmt.Fprintf(w, "brier: %s  climatology brier: %s  brier skill score: %s\n", fmtNum(sc.BrierScore), fmtNum(sc.ClimatologyBrier), fmtNum(sc.BrierSkillScore))
	fmt.Fprintf(w, "base rate: %s  log score: %s  reliability: %s  resolution: %s  ECE: %s\n",
		fmtNum(sc.BaseRate), fmtNum(sc.LogScore), fmtNum(sc.Reliability), fmtNum(sc.Resolution), fmtNum(sc.ECE))
	fmt.Fprintln(w, "reliability bins:")
	for _, b := range sc.Bins {
		flag := ""
		if b.Count > 0 && b.InsufficientSample {
			flag = fmt.Sprintf("  (fewer than %d)", calibration.MinBinSample)
		}
		fmt.Fprintf(w, "  [%.1f, %.1f)  n=%-6d mean forecast %s  observed %s%s\n", b.Lower, b.Upper, b.Count, fmtNum(b.MeanForecast), fmtNum(b.ObservedRate), flag)
	}
}

// fmtNum prints an optional number with four decimals, "n/a" when undefined.
func fmtNum(x *float64) string {
	if x == nil {
		return "n/a"
	}
	return fmt.Sprintf("%.4f", *x)
}
