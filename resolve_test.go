package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"geopol/forecast"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// --now takes RFC 3339 or a date, names both forms when it can read neither, and may
// not be later than the current time.
func TestParseNow(t *testing.T) {
	clock := time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"2026-03-01":                time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC),
		"2026-03-10T13:30:00+02:00": time.Date(2026, 3, 10, 11, 30, 0, 0, time.UTC),
		"2026-03-10T12:00:30Z":      clock.Add(30 * time.Second), // within the minute of skew
	} {
		got, err := parseNow(in, clock)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("parseNow(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for in, want := range map[string]string{
		"2030-01-01":           "--now 2030-01-01T00:00:00Z is later than the current time 2026-03-10T12:00:00Z",
		"2030-01-01T00:00:00Z": "resolving as of the future would store permanent outcomes",
		"2026-03-10T12:02:00Z": "is later than the current time",
		"2030-01-01 00:00":     `--now "2030-01-01 00:00": want an RFC 3339 time such as 2025-06-01T12:00:00Z or a date YYYY-MM-DD (UTC midnight)`,
		"":                     "want an RFC 3339 time",
	} {
		_, err := parseNow(in, clock)
		if err == nil || !strings.Contains(err.Error(), want) || exitCode(err) != exitUsage {
			t.Errorf("parseNow(%q): %v (exit %d); want a usage error with %q", in, err, exitCode(err), want)
		}
	}
}

// `resolve --due --now` in the future is refused before anything is opened, so open
// forecasts are never resolved with a future date.
func TestResolveRefusesFutureNow(t *testing.T) {
	cfg := cliEnv(t, false)
	db := storetest.Open(t, cfg)
	p := 0.5
	req := forecast.RandomForecasts(3, 1)[0]
	req.Probability = &p
	open, err := forecast.Create(context.Background(), db, req, "", store.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, errOut, err := runCLI(t, "resolve", "--due", "--now", "2030-01-01T00:00:00Z")
	if err == nil || exitCode(err) != exitUsage || !strings.Contains(err.Error(), "--now") {
		t.Fatalf("future --now: err %v (exit %d), want a usage error naming --now\n%s", err, exitCode(err), errOut)
	}
	var n int64
	db.Model(&models.OutcomeRecord{}).Where("prediction_id = ?", open.ID).Count(&n)
	if n != 0 {
		t.Fatalf("forecast %s, open until %s, was resolved", open.ID, open.ExpiresAt)
	}
	// A past date in the short form is accepted.
	if out, errOut, err := runCLI(t, "resolve", "--due", "--now", "2020-01-01"); err != nil || !strings.HasPrefix(out, "resolved 0 of 0 due") {
		t.Fatalf("past --now: %v\n%s%s", err, out, errOut)
	}
}
