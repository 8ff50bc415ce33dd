package main

import (
	"context"
	"fmt"
	"io"

	"geopol/forecast"
	"geopol/store"
)

const seedUsage = "usage: geopol seed [--random N] [--seed S]\n\nLoads the golden forecasts (idempotent: seeding twice stores them once)."

// seedCmd loads the golden fixtures, and optionally random forecasts, into the forecast
// database through the same validation and storage path as POST /forecasts.
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", seedUsage, stderr)
	random := fs.Int("random", 0, "also store this many random valid forecasts")
	seed := fs.Uint64("seed", 1, "seed of the random forecasts (same seed, same forecasts)")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if *random < 0 || fs.NArg() > 0 {
		fs.Usage()
		return usagef("seed takes only --random N (N >= 0) and --seed S")
	}
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	db := a.db
	rows, err := forecast.SeedGolden(ctx, db, store.Now())
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(stdout, "golden forecast %s  %s  p=%.2f\n", r.ID, *r.CountryISO, r.Probability)
	}
	for i, req := range forecast.RandomForecasts(*seed, *random) {
		if _, err := forecast.Create(ctx, db, req, "", store.Now()); err != nil {
			return fmt.Errorf("random forecast %d: %w", i, err)
		}
	}
	if *random > 0 {
		fmt.Fprintf(stdout, "%d random forecasts stored\n", *random)
	}
	return nil
}
