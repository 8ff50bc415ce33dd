package main

import (
	"strings"
	"testing"

	"geopol/models"
	"geopol/store/storetest"
)

// `seed --random N --seed S` is idempotent: ids derive from (S, index), so the same
// command stores nothing new and says so; a larger N adds only the new ones.
func TestSeedRandomIsIdempotent(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { testSeedRandom(t, true) })
	t.Run("sqlite", func(t *testing.T) { testSeedRandom(t, false) })
}

func testSeedRandom(t *testing.T, services bool) {
	cfg := cliEnv(t, services)
	for i, want := range []string{
		"golden forecasts: stored 3 new, 0 already present\nrandom forecasts (seed 7): stored 5 new, 0 already present\n",
		"golden forecasts: stored 0 new, 3 already present\nrandom forecasts (seed 7): stored 0 new, 5 already present\n",
		"golden forecasts: stored 0 new, 3 already present\nrandom forecasts (seed 7): stored 0 new, 5 already present\n",
	} {
		out, errOut, err := runCLI(t, "seed", "--random", "5", "--seed", "7")
		if err != nil || !strings.HasSuffix(out, want) {
			t.Fatalf("run %d: %v\n%s%s\nwant the output to end with:\n%s", i+1, err, out, errOut, want)
		}
		if strings.Contains(errOut, "level=ERROR") {
			t.Errorf("run %d: a forecast already present is not an error:\n%s", i+1, errOut)
		}
	}
	if out, _, err := runCLI(t, "seed", "--random", "7", "--seed", "7"); err != nil || !strings.HasSuffix(out, "stored 2 new, 5 already present\n") {
		t.Fatalf("larger N: %v\n%s", err, out)
	}
	db := storetest.Open(t, cfg)
	var rows, questions int64
	db.Model(&models.Prediction{}).Count(&rows)
	db.Model(&models.Prediction{}).Distinct("question").Count(&questions)
	if rows != 3+7 || questions != rows {
		t.Fatalf("%d forecasts with %d distinct questions; want 10 and 10", rows, questions)
	}
}
