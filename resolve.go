package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"geopol/calibration"
	"geopol/store"
)

const resolveUsage = `usage: geopol resolve --due [--batch N] [--now TIME]

Resolves each due forecast by the GDELT rule: outcome 1 when the event store holds an
event of its CAMEO root code located in its country, with SQLDATE from its creation day
to its expiry day, reported in at least RESOLVE_MIN_MENTIONS mentions by at least
RESOLVE_MIN_SOURCES sources; otherwise 0. Method gdelt_rule; up to 20 matching event
ids become the evidence. Idempotent: a forecast is never resolved twice.

A forecast is due when it has expired by --now (default: the current time). --now may
be earlier than the current time, never later: an outcome is permanent, and a forecast
still open must not be resolved.`

// nowSkew is how far --now may run ahead of this machine's clock (another machine's
// clock, or a time typed a moment before running the command).
const nowSkew = time.Minute

// resolveCmd resolves expired forecasts from the GDELT event store (see
// calibration.ResolveDue for the rule). Safe from cron and beside a running ingest.
func resolveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("resolve", resolveUsage, stderr)
	due := fs.Bool("due", false, "resolve every expired, unresolved forecast that has country_iso and cameo_root_code")
	batch := fs.Int("batch", 200, "forecasts per batch (one transaction each)")
	at := fs.String("now", "", "resolve as of this time, RFC 3339 (2025-06-01T12:00:00Z) or YYYY-MM-DD (UTC midnight);\nnot later than the current time (default: the current time)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if !*due || fs.NArg() > 0 || *batch < 1 {
		fs.Usage()
		return usagef("resolve needs --due (and a positive --batch)")
	}
	now := store.Now()
	if *at != "" {
		t, err := parseNow(*at, now)
		if err != nil {
			fs.Usage()
			return err
		}
		now = t
	}
	a, events, err := openAppEvents(ctx, stderr)
	if err != nil {
		return err
	}
	defer a.close()
	cfg := a.cfg
	rep, err := calibration.ResolveDue(ctx, a.db, events, calibration.ResolveOptions{Now: now,
		MinMentions: cfg.ResolveMinMentions, MinSources: cfg.ResolveMinSources, BatchSize: *batch})
	if rep != nil {
		fmt.Fprintf(stdout, "resolved %d of %d due forecast(s): %d yes, %d no; %d already resolved (rule: >= %d mentions, >= %d sources)\n",
			rep.Resolved, rep.Due, rep.Yes, rep.No, rep.Skipped, cfg.ResolveMinMentions, cfg.ResolveMinSources)
	}
	return err
}

// parseNow reads --now as RFC 3339 or as a date (UTC midnight) and refuses a time later
// than clock (plus nowSkew): resolving as of the future would store outcomes, which are
// permanent, for forecasts that are still open. Its errors are usage errors.
func parseNow(s string, clock time.Time) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		var dateErr error
		if t, dateErr = time.Parse(time.DateOnly, s); dateErr != nil {
			return time.Time{}, usagef("--now %q: want an RFC 3339 time such as 2025-06-01T12:00:00Z or a date YYYY-MM-DD (UTC midnight)", s)
		}
	}
	t = t.UTC().Truncate(time.Microsecond)
	if t.After(clock.Add(nowSkew)) {
		return time.Time{}, usagef("--now %s is later than the current time %s: resolving as of the future would store permanent outcomes for forecasts still open; give a past time or leave --now out",
			t.Format(time.RFC3339), clock.UTC().Format(time.RFC3339))
	}
	return t, nil
}
