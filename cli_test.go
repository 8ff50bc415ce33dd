package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unreachableEnv points the commands at a PostgreSQL nobody listens on and at SQLite
// files in an empty temp dir, with no config.yaml or .env, and returns that dir: a
// command that opens a database fails, or leaves a file there.
func unreachableEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"CONFIG_FILE": filepath.Join(dir, "absent.yaml"), "ENV_FILE": filepath.Join(dir, "absent.env"),
		"ENVIRONMENT": "testing", "AUTO_MIGRATE": "true", "REDIS_URL": "redis://127.0.0.1:1/0",
		"DATABASE_URL":  "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1",
		"SQLITE_PATH":   filepath.Join(dir, "data", "geopol.db"),
		"GDELT_DB_PATH": filepath.Join(dir, "data", "gdelt.db"),
	} {
		t.Setenv(k, v)
	}
	return dir
}

// assertUntouched fails when anything appeared in dir, the temp dir of unreachableEnv.
func assertUntouched(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		t.Errorf("%s appeared in the temp dir: the command opened a database", e.Name())
	}
}

// Every command and subcommand answers --help and -h with its usage and success,
// without opening a database.
func TestEveryCommandAnswersHelp(t *testing.T) {
	cases := []struct {
		args  []string
		usage string // printed on stdout or stderr
		flag  string // a flag the usage must list, if any
	}{
		{[]string{"serve"}, serveUsage, ""},
		{[]string{"migrate"}, migrateUsage, ""},
		{[]string{"migrate", "up"}, migrateUsage, ""},
		{[]string{"migrate", "status"}, migrateUsage, ""},
		{[]string{"ingest"}, ingestUsage, "-lastupdate"},
		{[]string{"ingest"}, ingestUsage, "-parallel"},
		{[]string{"seed"}, seedUsage, "-random"},
		{[]string{"resolve"}, resolveUsage, "-due"},
		{[]string{"calibrate"}, calibrateUsage, "-force"},
		{[]string{"forecast"}, forecastUsage, ""},
		{[]string{"forecast", "baseline"}, forecastUsage, "-as-of"},
		{[]string{"backtest"}, backtestUsage, "-step"},
		{[]string{"apikey"}, apikeyUsage, ""},
		{[]string{"apikey", "create"}, apikeyUsage, "-client"},
		{[]string{"apikey", "list"}, apikeyUsage, ""},
		{[]string{"apikey", "revoke"}, apikeyUsage, ""},
	}
	for _, c := range cases {
		for _, help := range []string{"--help", "-h"} {
			args := append(c.args[:len(c.args):len(c.args)], help)
			t.Run(strings.Join(args, " "), func(t *testing.T) {
				dir := unreachableEnv(t)
				out, errOut, err := runCLI(t, args...)
				if err != nil {
					t.Fatalf("err = %v, want nil\n%s%s", err, out, errOut)
				}
				if printed := out + errOut; !strings.Contains(printed, c.usage) || !strings.Contains(printed, c.flag) {
					t.Errorf("the usage (with %q) was not printed:\n%s", c.flag, printed)
				}
				assertUntouched(t, dir)
			})
		}
	}
	for _, help := range []string{"help", "--help", "-h"} {
		if out, _, err := runCLI(t, help); err != nil || out != usage {
			t.Errorf("geopol %s: err %v, stdout:\n%s", help, err, out)
		}
	}
}

// `apikey revoke --help` prints the usage; it never takes "--help" for a key to look up.
func TestAPIKeyRevokeHelpTouchesNoDatabase(t *testing.T) {
	dir := unreachableEnv(t)
	out, errOut, err := runCLI(t, "apikey", "revoke", "--help")
	if err != nil || strings.Contains(out+errOut, "no API key matches") {
		t.Fatalf("apikey revoke --help: %v\n%s%s", err, out, errOut)
	}
	assertUntouched(t, dir)
	// The same command with a key does reach for the database, which is unreachable.
	if _, _, err := runCLI(t, "apikey", "revoke", "gp_live_none"); err == nil {
		t.Fatal("apikey revoke with an unreachable database succeeded")
	}
}

// Wrong arguments fail with the usage and exit status 2, before any database is opened.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"bogus"}, {"migrate"}, {"migrate", "down"}, {"migrate", "up", "status"}, {"migrate", "status", "x"},
		{"ingest"}, {"seed", "x"}, {"seed", "--random", "-1"}, {"resolve"}, {"calibrate", "x"}, {"serve", "--port", "1"},
		{"serve", "x"}, {"resolve", "--due", "--batch", "abc"}, {"seed", "--random", "x"}, {"resolve", "--due", "--now", "yesterday"},
		{"resolve", "--due", "--now", "2030-01-01"}, {"resolve", "--due", "--now", "2030-01-01T00:00:00Z"},
		{"ingest", "--lastupdate", "./lastupdate.txt"}, {"ingest", "--interval", "0", "--lastupdate", "http://h/l.txt", "--watch"},
		{"ingest", "--lastupdate", "http://h/l.txt", "--watch", "--masterfilelist", "masterfilelist.txt"},
		{"ingest", "--lastupdate", "http://h/l.txt", "--masterfilelist", "http://h/m.txt"},
		{"apikey"}, {"apikey", "rotate"}, {"apikey", "create"}, {"apikey", "list", "x"}, {"apikey", "revoke"},
		{"forecast"}, {"forecast", "engine"}, {"forecast", "baseline", "x"}, {"forecast", "baseline", "--country", "XX"},
		{"forecast", "baseline", "--root", "21"}, {"forecast", "baseline", "--horizon", "0d"}, {"forecast", "baseline", "--horizon", "thirty"},
		{"forecast", "baseline", "--as-of", "2999-01-01"}, {"forecast", "baseline", "--as-of", "June"}, {"forecast", "baseline", "--min-windows", "0"},
		{"forecast", "baseline", "--lookback", "10d"}, {"backtest"}, {"backtest", "--from", "2025-01-01"},
		{"backtest", "--from", "2025-01-01", "--to", "2025-01-20"}, {"backtest", "--from", "2025-01-01", "--to", "2025-06-01", "--step", "0d"},
		{"backtest", "--from", "x", "--to", "2025-06-01"}, {"backtest", "--from", "2025-01-01", "--to", "2025-06-01", "extra"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			dir := unreachableEnv(t)
			var out, errOut bytes.Buffer
			err := run(context.Background(), args, &out, &errOut)
			if err == nil {
				t.Fatalf("accepted\n%s%s", out.String(), errOut.String())
			}
			if code := exitCode(err); code != exitUsage {
				t.Errorf("exit status %d for %v, want %d (usage error)", code, err, exitUsage)
			}
			if !strings.Contains(strings.ToLower(errOut.String()), "usage") {
				t.Errorf("no usage on stderr:\n%s", errOut.String())
			}
			assertUntouched(t, dir)
		})
	}
}
