package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"geopol/baseline"
	"geopol/calibration"
	"geopol/config"
	"geopol/forecast"
	"geopol/gdelt"
	"geopol/store"
	"geopol/store/storetest"
)

// loopHistory is a generated event history before and after 2025-06-01, every event
// located by FIPS code as GDELT publishes it. Each country is covered from 730 days
// before; in the 23 31-day windows before the as-of day the rule (>= 5 mentions,
// >= 2 sources) fires for Syria/19 in windows 1, 3, 5, 6, 10 and 15 (6 of 23) and for
// Iraq/18 in the odd windows (12 of 23); Ukraine/18 is covered for 100 days only. After
// the as-of day Syria/19 has a qualifying fight on June 11, Iraq/18 only an under-reported
// assault (2 mentions).
func loopHistory(asOf baseline.Day) []gdelt.Event {
	var series []baseline.Series
	one := func(fips, root string, d baseline.Day, mentions, sources int) {
		series = append(series, baseline.Series{CountryFIPS: fips, RootCode: root, Days: []baseline.Day{d}, Mentions: mentions, Sources: sources})
	}
	for _, fips := range []string{"SY", "IZ"} {
		one(fips, "01", asOf-730, 1, 1)
	}
	for _, j := range []int{1, 3, 5, 6, 10, 15} {
		one("SY", "19", asOf-baseline.Day(31*j)+2, 12, 3)
	}
	for j := 1; j <= 23; j += 2 {
		one("IZ", "18", asOf-baseline.Day(31*j)+5, 8, 2)
	}
	one("UP", "18", asOf-100, 10, 3)
	one("UP", "18", asOf-20, 10, 3)
	one("SY", "19", asOf+10, 30, 4)
	one("IZ", "18", asOf+10, 2, 1)
	return baseline.Events(5000, series...)
}

// ingest -> forecast baseline -> engine forecasts -> resolve --due -> scorecard is one
// loop, on a fresh database of each kind: the scorecard's skill scores match the hand
// computation below, and the backtest of the same store is reproducible.
func TestBaselineLoop(t *testing.T) {
	onBothDatabases(t, func(t *testing.T, cfg *config.Config) {
		ctx := context.Background()
		asOf := baseline.DayOf(time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC))
		export := filepath.Join(t.TempDir(), "20250720000000.export.CSV")
		f, err := os.Create(export)
		if err != nil {
			t.Fatal(err)
		}
		if err := baseline.WriteExport(f, loopHistory(asOf)); err != nil {
			t.Fatal(err)
		}
		f.Close()
		command(t, "migrate", "up")
		command(t, "ingest", export)

		out := command(t, "forecast", "baseline", "--as-of", "2025-06-01", "--horizon", "30d")
		for _, want := range []string{
			"created  IRQ 18 p=0.5200 (fired in 12 of 23 31-day windows) " + baseline.ID(baseline.Key{CountryISO: "IRQ", RootCode: "18"}, 30, asOf),
			"created  SYR 19 p=0.2800 (fired in 6 of 23 31-day windows) " + baseline.ID(baseline.Key{CountryISO: "SYR", RootCode: "19"}, 30, asOf),
			"baseline as of 2025-06-01, horizon 30d: 2 created, 0 already present, 0 kept although the history changed; 1 of 3 pair(s) skipped",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("forecast baseline lacks %q:\n%s", want, out)
			}
		}
		if out := command(t, "forecast", "baseline", "--as-of", "2025-06-01"); !strings.Contains(out, "0 created, 2 already present") {
			t.Errorf("second run:\n%s", out)
		}

		// Engine forecasts through POST's path: two on the baselines' questions (created
		// later the same day, same horizon), one a day later (no baseline for it).
		db, err := store.OpenDatabase(ctx, cfg, storetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close(db)
		engine := func(country, code string, p float64, created time.Time) {
			req, err := forecast.GoldenRequest("syria")
			if err != nil {
				t.Fatal(err)
			}
			horizon := 30
			req.CountryISO, req.CameoRootCode, req.Category, req.Probability, req.HorizonDays = &country, &code, "conflict", &p, &horizon
			if _, err := forecast.Create(ctx, db, req, "", created); err != nil {
				t.Fatal(err)
			}
		}
		morning := asOf.Time().Add(10 * time.Hour)
		engine("SYR", "19", 0.9, morning)
		engine("IRQ", "18", 0.3, morning)
		engine("IRQ", "18", 0.7, morning.AddDate(0, 0, 1))

		if out := command(t, "resolve", "--due"); !strings.HasPrefix(out, "resolved 5 of 5 due forecast(s): 2 yes, 3 no") {
			t.Errorf("resolve: %q", out)
		}

		// All five: (0.28,1) (0.52,0) (0.9,1) (0.3,0) (0.7,0).
		// BS = (0.5184 + 0.2704 + 0.01 + 0.09 + 0.49)/5 = 0.27576; base rate 0.4,
		// climatology 0.4·0.6 = 0.24; BSS = 1 - 0.27576/0.24 = -0.149.
		card, err := calibration.LoadScorecard(ctx, db, calibration.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		storetest.Near(t, "brier", card.Overall.BrierScore, 0.27576)
		storetest.Near(t, "climatology", card.Overall.ClimatologyBrier, 0.24)
		storetest.Near(t, "bss", card.Overall.BrierSkillScore, 1-0.27576/0.24)
		// Against the baseline: (0.9 vs 0.28, 1) and (0.3 vs 0.52, 0); the third engine
		// forecast has no baseline. Engine BS (0.01 + 0.09)/2 = 0.05, baseline BS
		// (0.5184 + 0.2704)/2 = 0.3944, skill 1 - 0.05/0.3944.
		vs := card.VsBaseline
		if vs.Overall.Count != 2 || vs.Unmatched != 1 {
			t.Fatalf("vs baseline: %+v", vs)
		}
		storetest.Near(t, "engine brier", vs.Overall.BrierScore, 0.05)
		storetest.Near(t, "baseline brier", vs.Overall.BaselineBrierScore, 0.3944)
		storetest.Near(t, "skill vs baseline", vs.Overall.BrierSkillScore, 1-0.05/0.3944)
		if len(vs.ByCameoRoot) != 2 || vs.ByCameoRoot[0].Key != "18" {
			t.Errorf("vs baseline by root: %+v", vs.ByCameoRoot)
		}
		storetest.Near(t, "skill on 18", vs.ByCameoRoot[0].BrierSkillScore, 1-0.09/0.2704)

		// The engine alone: (0.9,1) (0.3,0) (0.7,0): BS 0.59/3, base rate 1/3,
		// climatology 2/9; the baselines alone: BS 0.3944, climatology 0.25.
		eng, err := calibration.LoadScorecard(ctx, db, calibration.Filter{Source: calibration.SourceEngine})
		if err != nil {
			t.Fatal(err)
		}
		storetest.Near(t, "engine-only bss", eng.Overall.BrierSkillScore, 1-(0.59/3)/(2.0/9))
		if eng.Overall.Count != 3 || eng.VsBaseline.Overall.Count != 2 {
			t.Errorf("engine-only counts %d / %d", eng.Overall.Count, eng.VsBaseline.Overall.Count)
		}
		base, err := calibration.LoadScorecard(ctx, db, calibration.Filter{Source: calibration.SourceBaseline})
		if err != nil {
			t.Fatal(err)
		}
		storetest.Near(t, "baseline-only bss", base.Overall.BrierSkillScore, 1-0.3944/0.25)
		if base.Overall.Count != 2 || base.VsBaseline.Overall.Count != 0 {
			t.Errorf("baseline-only counts %d / %d", base.Overall.Count, base.VsBaseline.Overall.Count)
		}

		// The backtest replays the same store; the same flags give the same report.
		args := []string{"backtest", "--from", "2024-06-01", "--to", "2025-07-15", "--step", "7d", "--horizon", "30d"}
		first, second := command(t, args...), command(t, args...)
		t.Logf("backtest:\n%s", first)
		if first != second || !strings.Contains(first, "forecasts: ") || !strings.Contains(first, "brier skill score: ") ||
			!strings.Contains(first, "[0.5, 0.6)") {
			t.Errorf("backtest:\n%s\nagain:\n%s", first, second)
		}
	})
}
