package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"geopol/baseline"
	"geopol/codes"
	"geopol/forecast"
	"geopol/store"
)

const forecastUsage = `usage: geopol forecast baseline [--country ISO] [--root CC] [--horizon 30d] [--as-of DATE]
                                [--lookback 730d] [--min-windows 8]

Makes base-rate forecasts from the GDELT event store. For each (country, CAMEO root
code) pair whose resolution rule fired in the lookback (the rule of ` + "`geopol resolve --due`" + `:
an event of the root code located in the country with at least RESOLVE_MIN_MENTIONS
mentions and RESOLVE_MIN_SOURCES sources), it counts the trailing windows of
horizon+1 days (a forecast's rule window: creation day to expiry day) before --as-of in
which the rule fired, k of n, and forecasts p = (k + 1) / (n + 2) (a Beta(1, 1) prior).
Only events dated before --as-of are read. Pairs with fewer than --min-windows windows
are skipped.

Each forecast is created as of --as-of (created_at its midnight, UTC) through the
validation of POST /forecasts, marked by ensemble_info.baseline, with a reasoning
summary from the numbers and evidence citing the stored events that counted. Its id
derives from (country, root, horizon, as-of): repeating a run stores nothing new.`

// forecastCmd runs the forecast subcommands; baseline is the only one.
func forecastCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, forecastUsage)
		return usagef("forecast needs a subcommand: baseline")
	}
	if isHelp(args[0]) {
		fmt.Fprintln(stdout, forecastUsage)
		return nil
	}
	if args[0] != "baseline" {
		fmt.Fprintln(stderr, forecastUsage)
		return usagef("unknown forecast subcommand %q (want baseline)", args[0])
	}
	fs := newFlags("forecast baseline", forecastUsage, stderr)
	country := fs.String("country", "", "only this country (ISO 3166-1 alpha-2 or alpha-3)")
	root := fs.String("root", "", `only this CAMEO root code, "01".."20"`)
	horizon := fs.String("horizon", "30d", "forecast horizon in days (30d or 30), 1 to 3650")
	asOf := fs.String("as-of", "", "forecast as of this date, YYYY-MM-DD (UTC); not later than today (default: today)")
	lookback := fs.String("lookback", "730d", "history read before --as-of, in days")
	minWindows := fs.Int("min-windows", baseline.DefaultMinWindows, "skip pairs with fewer trailing windows than this")
	if help, err := parseFlags(fs, args[1:]); help || err != nil {
		return err
	}
	opts, err := baselineFlags(*country, *root, *horizon, *lookback, *minWindows)
	if err == nil && fs.NArg() > 0 {
		err = usagef("forecast baseline takes no arguments")
	}
	today := baseline.DayOf(store.Now())
	day := today
	if err == nil && *asOf != "" {
		day, err = parseDay("--as-of", *asOf)
		if err == nil && day > today {
			err = usagef("--as-of %s is later than today (%s): a baseline reads only events before its day, and the store has none from the future", day, today)
		}
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
	opts.AsOf = day.Time()
	opts.MinMentions, opts.MinSources = a.cfg.ResolveMinMentions, a.cfg.ResolveMinSources
	// A forecast already stored is found through a failed INSERT (Create's idempotent
	// path), which GORM would log at ERROR; that is an expected answer here.
	db := a.db.Session(&gorm.Session{Logger: a.db.Logger.LogMode(logger.Silent)})
	rep, err := baseline.Run(ctx, db, events, opts.Options)
	if rep != nil {
		for _, m := range rep.Made {
			fmt.Fprintf(stdout, "%-8s %s %s p=%.4f (fired in %d of %d %d-day windows) %s\n", m.Status, m.CountryISO, m.RootCode,
				m.Probability, m.K, m.N, m.Params.WindowDays(), m.ID)
		}
		fmt.Fprintf(stdout, "baseline as of %s, horizon %dd: %d created, %d already present, %d kept although the history changed; %d of %d pair(s) skipped (too little history)\n",
			rep.AsOf, opts.HorizonDays, rep.Count("created"), rep.Count("present"), rep.Count("changed"), rep.Skipped, rep.Pairs)
	}
	return err
}

// baselineOpts are the flags forecast baseline and backtest share.
type baselineOpts struct{ baseline.Options }

// baselineFlags reads the shared flags; its errors are usage errors.
func baselineFlags(country, root, horizon, lookback string, minWindows int) (baselineOpts, error) {
	o := baselineOpts{baseline.Options{Params: baseline.DefaultParams()}}
	if country != "" {
		iso, ok := codes.NormalizeISO(country)
		if !ok {
			return o, usagef("--country %q is not an ISO 3166-1 alpha-2 or alpha-3 code", country)
		}
		o.CountryISO = iso
	}
	if root != "" {
		if !codes.ValidRoot(root) {
			return o, usagef(`--root %q is not a CAMEO root code "01".."20"`, root)
		}
		o.RootCode = root
	}
	var err error
	if o.HorizonDays, err = parseDays("--horizon", horizon, 1, forecast.MaxHorizonDays); err != nil {
		return o, err
	}
	if o.LookbackDays, err = parseDays("--lookback", lookback, o.WindowDays(), 100*366); err != nil {
		return o, err
	}
	if minWindows < 1 {
		return o, usagef("--min-windows must be at least 1")
	}
	o.MinWindows = minWindows
	return o, nil
}

// parseDays reads a number of days, "30d" or "30", between lo and hi.
func parseDays(flag, s string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || n < lo || n > hi {
		return 0, usagef("%s %q: want a number of days such as 30d, from %d to %d", flag, s, lo, hi)
	}
	return n, nil
}

// parseDay reads a date YYYY-MM-DD as a UTC day.
func parseDay(flag, s string) (baseline.Day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, usagef("%s %q: want a date YYYY-MM-DD", flag, s)
	}
	return baseline.DayOf(t), nil
}
