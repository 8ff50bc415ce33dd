package main

import (
	"context"
	"fmt"
	"io"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"geopol/forecast"
	"geopol/store"
)

const seedUsage = `usage: geopol seed [--random N] [--seed S]

Loads the three golden forecasts and, with --random, the first N random valid forecasts
of seed S, through the validation of POST /forecasts. Idempotent: every forecast's id
derives from its name or from (S, its index), so repeating a command stores nothing
new, and a larger N adds only the forecasts past the smaller one's. It prints how many
it stored and how many were already present.`

// seedCmd loads the golden fixtures, and optionally random forecasts, into the forecast
// database through the same validation and storage path as POST /forecasts.
func seedCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("seed", seedUsage, stderr)
	random := fs.Int("random", 0, "also store this many random valid forecasts")
	seed := fs.Uint64("seed", 1, "seed of the random forecasts (same seed, same forecasts, stored once)")
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
	// A forecast already present is found through a failed INSERT (Create's idempotent
	// path), which GORM would log at ERROR; that is the expected answer here, and any
	// real error is returned, so the query log stays quiet.
	db := a.db.Session(&gorm.Session{Logger: a.db.Logger.LogMode(logger.Silent)})
	now := store.Now()
	rows, err := forecast.SeedGolden(ctx, db, now)
	if err != nil {
		return err
	}
	newGolden := 0
	for _, r := range rows {
		state := "already present"
		if forecast.IsNew(r, now) {
			state, newGolden = "stored", newGolden+1
		}
		fmt.Fprintf(stdout, "golden forecast %s  %s  p=%.2f  %s\n", r.ID, *r.CountryISO, r.Probability, state)
	}
	fmt.Fprintf(stdout, "golden forecasts: stored %d new, %d already present\n", newGolden, len(rows)-newGolden)
	if *random > 0 {
		stored, present, err := forecast.SeedRandom(ctx, db, *seed, *random, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "random forecasts (seed %d): stored %d new, %d already present\n", *seed, stored, present)
	}
	return nil
}
