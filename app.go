package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"gorm.io/gorm"

	"geopol/config"
	"geopol/gdelt"
	"geopol/store"
)

// app is what the prologue gives a command: its configuration, its logger and the open
// forecast database, plus whatever else the command opened through it, all released
// by close.
type app struct {
	cfg *config.Config
	log *slog.Logger
	db  *gorm.DB
	// closers release, last first, what the app opened.
	closers []func()
}

// appOptions adjusts the prologue for the two commands whose start differs.
type appOptions struct {
	// manualSchema leaves the schema alone even when AUTO_MIGRATE is on: `migrate`
	// applies or reports the migrations itself, and `migrate status` must show what is
	// pending.
	manualSchema bool
	// serving is the start of `serve`: it logs the configuration before opening the
	// database and the migrations it applied after, and, with AUTO_MIGRATE off, it
	// refuses a schema with migrations pending.
	serving bool
}

// openApp is the prologue of every command that works on the forecast database: load
// the configuration, build the logger, open the database and, when AUTO_MIGRATE is on
// (and opts allow), migrate it. The caller must close the app it returns.
func openApp(ctx context.Context, stderr io.Writer, opts appOptions) (*app, error) {
	cfg, err := config.Load(config.Options{})
	if err != nil {
		return nil, err
	}
	log := newLogger(cfg, stderr)
	cfg.LogWarnings(log)
	if opts.serving {
		log.Info("starting geopol", "config", cfg)
	}
	db, err := store.OpenDatabase(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	a := &app{cfg: cfg, log: log, db: db, closers: []func(){func() { store.Close(db) }}}
	if err := a.prepareSchema(ctx, opts); err != nil {
		a.close()
		return nil, err
	}
	return a, nil
}

// prepareSchema migrates the database when AUTO_MIGRATE is on, unless opts leave the
// schema to the command; for serve it logs what it applied, or refuses to go on when
// migrations are pending and AUTO_MIGRATE is off.
func (a *app) prepareSchema(ctx context.Context, opts appOptions) error {
	switch {
	case opts.manualSchema:
		return nil
	case a.cfg.AutoMigrate:
		applied, err := store.Migrate(ctx, a.db)
		if err == nil && opts.serving {
			a.log.Info("schema up to date", "applied", applied)
		}
		return err
	case opts.serving:
		st, err := store.Status(ctx, a.db)
		if err != nil {
			return err
		}
		if n := store.Pending(st); n > 0 {
			return fmt.Errorf("%d schema migration(s) pending: run `geopol migrate up` (or set AUTO_MIGRATE=true)", n)
		}
	}
	return nil
}

// newLogger builds the logger the configuration asks for, writing to stderr, and makes
// it slog's default.
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogJSON {
		h = slog.NewJSONHandler(stderr, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)
	return log
}

// openEvents opens the GDELT event store at GDELT_DB_PATH; close closes it.
func (a *app) openEvents(ctx context.Context) (*gdelt.Store, error) {
	events, err := gdelt.Open(ctx, a.cfg.GDELTDBPath, a.log)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { events.Close() })
	return events, nil
}

// openCache opens the cache REDIS_URL names (the in-process one without it), under
// CACHE_PREFIX; close closes it.
func (a *app) openCache() (store.Cache, error) {
	cache, err := store.OpenCache(a.cfg.RedisURL, a.cfg.CachePrefix)
	if err != nil {
		return nil, err
	}
	a.closers = append(a.closers, func() { cache.Close() })
	return cache, nil
}

// close releases what the app opened, in the reverse order of opening.
func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
	a.closers = nil
}
