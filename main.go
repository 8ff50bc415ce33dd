// Command geopol is the system of record and API for an explainable geopolitical
// forecasting engine. `go run .` serves the API; subcommands manage the schema.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/config"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/ratelimit"
	"geopol/store"
)

const usage = `geopol: forecasts, outcomes, calibration and the GDELT event store, behind one API.

Usage:
  geopol [serve]          serve the HTTP API (the default; migrates first when AUTO_MIGRATE is on)
  geopol migrate up       apply pending schema migrations to the forecast database
  geopol migrate status   list migrations and whether each is applied
  geopol ingest FILE|URL...           load GDELT 2.0 events exports into the event store
  geopol ingest --lastupdate URL [--watch --interval 15m]   follow GDELT's feed
  geopol seed             load the golden forecasts (Syria, Ukraine, Myanmar) through POST's validation
  geopol seed --random N  also store N random valid forecasts (fixed --seed), for load tests
  geopol resolve --due    resolve expired forecasts from the GDELT event store (rule: see README)
  geopol calibrate [--force]  refit the per-CAMEO ensemble weights from resolved forecasts
  geopol apikey create --client NAME | list | revoke PREFIX|ID   manage API keys
  geopol help             show this text

Configuration comes from config.yaml, then .env, then environment variables
(DATABASE_URL, REDIS_URL, GDELT_DB_PATH, ENVIRONMENT, HTTP_ADDR, ...); see README.md.
With no DATABASE_URL/REDIS_URL geopol uses SQLite files under ./data and an in-process cache.
`

func main() {
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "geopol:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return nil
	case "serve":
		return serve(ctx, args, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args, stdout, stderr)
	case "seed":
		return seedCmd(ctx, args, stdout, stderr)
	case "resolve":
		return resolveCmd(ctx, args, stdout, stderr)
	case "calibrate":
		return calibrateCmd(ctx, args, stdout, stderr)
	case "ingest":
		return ingestCmd(ctx, args, stdout, stderr)
	case "apikey":
		return apikeyCmd(ctx, args, stdout, stderr)
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}

// signalContext is cancelled by SIGINT or SIGTERM: serve drains requests, ingest
// records its run as interrupted.
func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
}

// setup loads configuration and builds the logger every command uses.
func setup(stderr io.Writer) (*config.Config, *slog.Logger, error) {
	cfg, err := config.Load(config.Options{})
	if err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogJSON {
		h = slog.NewJSONHandler(stderr, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return cfg, log, nil
}

// openCLI is the prologue of the commands that work on the forecast database: load the
// configuration, open the database and, when AUTO_MIGRATE is on, migrate it.
func openCLI(ctx context.Context, stderr io.Writer) (*config.Config, *slog.Logger, *gorm.DB, func(), error) {
	cfg, log, err := setup(stderr)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	db, err := store.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	if cfg.AutoMigrate {
		if _, err := store.Migrate(ctx, db); err != nil {
			store.Close(db)
			return nil, nil, nil, nil, err
		}
	}
	return cfg, log, db, func() { store.Close(db) }, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: geopol serve\n\nServes the HTTP API on HTTP_ADDR until SIGINT/SIGTERM.")
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, log, err := setup(stderr)
	if err != nil {
		return err
	}
	log.Info("starting geopol", "config", cfg)

	db, err := store.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(db)
	if cfg.AutoMigrate {
		applied, err := store.Migrate(ctx, db)
		if err != nil {
			return err
		}
		log.Info("schema up to date", "applied", applied)
	} else if st, err := store.Status(ctx, db); err != nil {
		return err
	} else if n := store.Pending(st); n > 0 {
		return fmt.Errorf("%d schema migration(s) pending: run `geopol migrate up` (or set AUTO_MIGRATE=true)", n)
	}
	devKeyHint(ctx, cfg, db, stdout)
	events, err := gdelt.Open(ctx, cfg.GDELTDBPath, log)
	if err != nil {
		return err
	}
	defer events.Close()
	cache, err := store.OpenCache(cfg.RedisURL, cfg.CachePrefix)
	if err != nil {
		return err
	}
	defer cache.Close()

	// Gin's debug mode only prints the route table; the access log covers the rest.
	gin.SetMode(gin.ReleaseMode)
	srv := &http.Server{
		Addr: cfg.HTTPAddr,
		Handler: handlers.NewRouter(&handlers.Server{Config: cfg, DB: db, GDELT: events, Cache: cache, Log: log,
			Limiter: ratelimit.New(cache, log)}),
		// Bounded timeouts: a slow or idle client cannot hold a connection forever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	return serveHTTP(ctx, srv, nil, log, shutdownGrace)
}

func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || (args[0] != "up" && args[0] != "status") {
		fmt.Fprintln(stderr, "usage: geopol migrate up|status\n\n  up      apply pending migrations (safe to run repeatedly and concurrently)\n  status  list migrations and when each was applied")
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
			return nil
		}
		return errors.New("migrate needs exactly one of: up, status")
	}
	cfg, log, err := setup(stderr)
	if err != nil {
		return err
	}
	db, err := store.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer store.Close(db)
	if args[0] == "up" {
		applied, err := store.Migrate(ctx, db)
		if err != nil {
			return err
		}
		if len(applied) == 0 {
			fmt.Fprintf(stdout, "%s: schema is up to date\n", cfg.DatabaseLabel())
		}
		for _, v := range applied {
			fmt.Fprintf(stdout, "%s: applied %s\n", cfg.DatabaseLabel(), v)
		}
		return nil
	}
	st, err := store.Status(ctx, db)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s\n", cfg.DatabaseLabel())
	for _, m := range st {
		state := "pending"
		if m.AppliedAt != nil {
			state = "applied " + m.AppliedAt.Format(time.RFC3339)
		}
		if m.Modified {
			state += " (file changed since it was applied!)"
		}
		fmt.Fprintf(stdout, "  %s  %-30s %s\n", m.Version, m.Description, state)
	}
	return nil
}
