package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"geopol/calibration"
	"geopol/store"
)

const calibrateUsage = `usage: geopol calibrate [--force]

Fits alpha in alpha*llm + (1-alpha)*tkg per CAMEO root code with at least 10 resolved
forecasts carrying both probabilities; smaller codes pool into their QuadClass
super-category, small super-categories into global. Stores the weights in
calibration_weights unless the guardrail refuses a change.

When no group reaches 10 it stores nothing, says so with each group's size, and exits
0: there is nothing to learn yet, and forecasts keep the stored weights or the prior.
It exits 1 when the guardrail refused a weight (--force applies it).`

// calibrateCmd refits the per-CAMEO ensemble weights from the resolved forecasts. It
// fails (after applying the accepted fits) when the guardrail refused any, so cron
// reports it; --force applies them.
func calibrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("calibrate", calibrateUsage, stderr)
	force := fs.Bool("force", false, "apply fits that move a weight by more than CALIBRATION_MAX_CHANGE")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usagef("calibrate takes only --force")
	}
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	cfg := a.cfg
	rep, err := calibration.Calibrate(ctx, a.db, calibration.CalibrateOptions{MaxChange: cfg.CalibrationMaxChange, Force: *force, Now: store.Now()})
	if err != nil {
		return err
	}
	a.announceCalibration(rep) // calibration.updated on the API's live stream, with REDIS_URL
	fmt.Fprintf(stdout, "%d resolved forecast(s) with llm and tkg probabilities\n", rep.Samples)
	for _, d := range rep.Decisions {
		state := "applied"
		if d.Refused {
			state = "REFUSED"
		}
		line := fmt.Sprintf("  %-24s alpha=%.4f n=%d brier=%.4f %s", d.Code, d.Alpha, d.SampleSize, d.BrierScore, state)
		if d.Previous != nil {
			line += fmt.Sprintf(" (was %.4f, change %.1f%%)", *d.Previous, 100**d.Change)
		}
		fmt.Fprintln(stdout, line)
	}
	if len(rep.Decisions) == 0 {
		fmt.Fprintln(stdout, noWeightReason(rep.ByCode))
		return nil
	}
	fmt.Fprintf(stdout, "stored %d weight(s), %d refused\n", rep.Applied, rep.Refused)
	if rep.Refused > 0 {
		return fmt.Errorf("%d weight(s) refused by the guardrail (calibration_max_change=%g); re-run with --force to apply them",
			rep.Refused, cfg.CalibrationMaxChange)
	}
	return nil
}

// noWeightReason says why a run fitted no weight: every code, every super-category and
// global hold fewer samples than calibration.MinGroupSize. byCode counts the samples
// per CAMEO root code.
func noWeightReason(byCode map[string]int) string {
	supers, total := map[string]int{}, 0
	var codes []string
	for _, code := range slices.Sorted(maps.Keys(byCode)) {
		n := byCode[code]
		total += n
		label := code
		if label == "" {
			label = "none"
		}
		codes = append(codes, fmt.Sprintf("%s n=%d", label, n))
		if sup := calibration.SuperOf(code); sup != "" {
			supers[sup] += n
		}
	}
	var groups []string
	if len(codes) > 0 {
		groups = append(groups, "codes "+strings.Join(codes, ", "))
	}
	var sups []string
	for _, sup := range slices.Sorted(maps.Keys(supers)) {
		sups = append(sups, fmt.Sprintf("%s n=%d", sup, supers[sup]))
	}
	if len(sups) > 0 {
		groups = append(groups, "super-categories "+strings.Join(sups, ", "))
	}
	groups = append(groups, fmt.Sprintf("global n=%d", total))
	return fmt.Sprintf("no weight stored: a weight needs at least %d resolved forecasts with llm and tkg probabilities in its group, and every group has fewer (%s); forecasts keep the stored weights or the prior (alpha %.1f)",
		calibration.MinGroupSize, strings.Join(groups, "; "), calibration.PriorAlpha)
}
