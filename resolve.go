package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"geopol/calibration"
	"geopol/store"
)

const resolveUsage = `usage: geopol resolve --due [--batch N] [--now RFC3339]

Resolves each due forecast by the GDELT rule: outcome 1 when the event store holds an
event of its CAMEO root code located in its country, with SQLDATE from its creation day
to its expiry day, reported in at least RESOLVE_MIN_MENTIONS mentions by at least
RESOLVE_MIN_SOURCES sources; otherwise 0. Method gdelt_rule; up to 20 matching event
ids become the evidence. Idempotent: a forecast is never resolved twice.`

// resolveCmd resolves expired forecasts from the GDELT event store (see
// calibration.ResolveDue for the rule). Safe from cron and beside a running ingest.
func resolveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("resolve", resolveUsage, stderr)
	due := fs.Bool("due", false, "resolve every expired, unresolved forecast that has country_iso and cameo_root_code")
	batch := fs.Int("batch", 200, "forecasts per batch (one transaction each)")
	at := fs.String("now", "", "RFC 3339 time to resolve as of (default: now); forecasts expired by then are due")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if !*due || fs.NArg() > 0 || *batch < 1 {
		fs.Usage()
		return usagef("resolve needs --due (and a positive --batch)")
	}
	now := store.Now()
	if *at != "" {
		t, err := time.Parse(time.RFC3339, *at)
		if err != nil {
			return fmt.Errorf("--now: %w", err)
		}
		now = t.UTC().Truncate(time.Microsecond)
	}
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	cfg := a.cfg
	events, err := a.openEvents(ctx)
	if err != nil {
		return err
	}
	rep, err := calibration.ResolveDue(ctx, a.db, events, calibration.ResolveOptions{Now: now,
		MinMentions: cfg.ResolveMinMentions, MinSources: cfg.ResolveMinSources, BatchSize: *batch})
	if rep != nil {
		fmt.Fprintf(stdout, "resolved %d of %d due forecast(s): %d yes, %d no; %d already resolved (rule: >= %d mentions, >= %d sources)\n",
			rep.Resolved, rep.Due, rep.Yes, rep.No, rep.Skipped, cfg.ResolveMinMentions, cfg.ResolveMinSources)
	}
	return err
}
