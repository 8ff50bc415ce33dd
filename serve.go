package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/config"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/ratelimit"
	"geopol/store"
)

// serve serves the HTTP API until ctx is done, migrating first when AUTO_MIGRATE is on.
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

// devKeyHint tells a developer how to get a key when none exists: the repository never
// ships one.
func devKeyHint(ctx context.Context, cfg *config.Config, db *gorm.DB, stdout io.Writer) {
	if cfg.Environment != config.Development {
		return
	}
	if n, err := apikey.CountActive(ctx, db); err != nil || n > 0 {
		return
	}
	fmt.Fprint(stdout, "No API key exists yet; the forecast routes need one. Create it with:\n\n    go run . apikey create --client NAME\n\n")
}
