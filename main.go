// Command geopol is the system of record and API for an explainable geopolitical
// forecasting engine. `go run .` serves the API; subcommands manage the schema.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `geopol: forecasts, outcomes, calibration and the GDELT event store, behind one API.

Usage:
  geopol [serve]          serve the HTTP API on HTTP_ADDR (the default; binds it, then migrates
                          when AUTO_MIGRATE is on)
  geopol migrate up       apply pending schema migrations to the forecast database
  geopol migrate status   list migrations and whether each is applied
  geopol ingest FILE|URL...           load GDELT 2.0 events exports into the event store
  geopol ingest --lastupdate URL [--watch --interval 15m]   follow GDELT's feed
  geopol seed             load the golden forecasts (Syria, Ukraine, Myanmar) through POST's validation
  geopol seed --random N [--seed S]   also the N random forecasts of seed S, for load tests
                          (idempotent: the same N and S store nothing new the second time)
  geopol resolve --due [--now TIME]   resolve expired forecasts from the GDELT event store
                          (rule: see README; --now may not be later than the current time)
  geopol forecast baseline [--country ISO] [--root CC] [--horizon 30d] [--as-of DATE]
                          base-rate forecasts from the event store, marked as the baseline
  geopol backtest --from DATE --to DATE [--step 7d] [--horizon 30d]
                          replay the baseline at past dates: Brier, skill, reliability bins
  geopol calibrate [--force]  refit the per-CAMEO ensemble weights from resolved forecasts
  geopol apikey create --client NAME | list | revoke PREFIX|ID   manage API keys
  geopol health [--url BASE]   exit 0 when the API on this host is ready (Docker HEALTHCHECK)
  geopol help             show this text (COMMAND --help: that command's usage)

Configuration comes from config.yaml, then .env, then environment variables
(DATABASE_URL, REDIS_URL, GDELT_DB_PATH, ENVIRONMENT, HTTP_ADDR, ...); see README.md.
With no DATABASE_URL/REDIS_URL geopol uses SQLite files under ./data and an in-process cache.

Exit status, for every command: 0 success, 1 failure, 2 usage error (unknown command
or flag, bad flag value, missing argument: nothing was done).
`

// main runs the command named on the command line until it ends or SIGINT/SIGTERM
// stops it, and exits with exitCode's status: 0 success, 1 failure, 2 usage error.
func main() {
	ctx, stop := signalContext()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "geopol:", err)
	}
	os.Exit(exitCode(err))
}

// run runs the command args name (serve when args is empty) with the rest of args,
// writing its output to stdout and its logs and usage errors to stderr. A nil error
// means success, help included; a usageError means the command line was wrong.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	if isHelp(cmd) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	command, ok := commands[cmd]
	if !ok {
		fmt.Fprint(stderr, usage)
		return usagef("unknown command %q (see `geopol help`)", cmd)
	}
	return command(ctx, args, stdout, stderr)
}

// commands maps each command name to the function that runs it.
var commands = map[string]func(ctx context.Context, args []string, stdout, stderr io.Writer) error{
	"serve":     serveCmd,
	"migrate":   migrateCmd,
	"seed":      seedCmd,
	"resolve":   resolveCmd,
	"calibrate": calibrateCmd,
	"forecast":  forecastCmd,
	"backtest":  backtestCmd,
	"ingest":    ingestCmd,
	"apikey":    apikeyCmd,
	"health":    healthCmd,
}

// signalContext is cancelled by SIGINT or SIGTERM: serve drains requests, ingest
// records its run as interrupted.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}
