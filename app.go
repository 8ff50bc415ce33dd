package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"gorm.io/gorm"

	"geopol/config"
	"geopol/gdelt"
	"geopol/logging"
	"geopol/store"
)

// app is what the prologue gives a command: its configuration, its logger and the open
// forecast database, plus whatever else the command opened through it, all released
// by close.
type app struct {
	cfg *config.Config
	log *slog.Logger
	db  *gorm.DB
	// ln is the HTTP listener that serve bound before anything else (nil for the other
	// commands).
	ln net.Listener
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
	// refuses a schema with migrations pending. It also binds HTTP_ADDR first, so that
	// a busy address stops it before anything is opened or migrated.
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
	a := &app{cfg: cfg}
	if opts.serving {
		// A server writes a line per request: batched, those lines cost no system call
		// on the request path. They are written at least every logFlushInterval, and
		// all of them before serve returns (this closer runs last).
		buf := logging.NewBuffer(stderr, 64<<10, logFlushInterval)
		a.closers = append(a.closers, func() { _ = buf.Close() })
		stderr = buf
	}
	log := newLogger(cfg, stderr)
	a.log = log
	cfg.LogWarnings(log)
	if opts.serving {
		log.Info("starting geopol", "config", cfg)
		ln, err := listen(cfg.HTTPAddr)
		if err != nil {
			a.close()
			return nil, err
		}
		a.ln = ln
		a.closers = append(a.closers, func() { ln.Close() })
	}
	db, err := store.OpenDatabase(ctx, cfg, log)
	if err != nil {
		a.close()
		return nil, err
	}
	a.db = db
	a.closers = append(a.closers, func() { store.Close(db) })
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
		if err != nil || !opts.serving {
			return err
		}
		if len(applied) > 0 {
			a.log.Info("applied migrations", "count", len(applied), "versions", applied)
			return nil
		}
		latest, err := store.LatestApplied(ctx, a.db)
		if err == nil {
			a.log.Info("schema up to date", "latest", latest)
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

// logFlushInterval bounds how long a server's log line may wait in its buffer.
const logFlushInterval = 100 * time.Millisecond

// newLogger builds the logger the configuration asks for, writing to stderr, and makes
// it slog's default.
func newLogger(cfg *config.Config, stderr io.Writer) *slog.Logger {
	log := logging.New(stderr, cfg.LogLevel, cfg.LogJSON)
	slog.SetDefault(log)
	return log
}

// openAppEvents is openApp followed by openEvents, for the commands that read the
// event store; closing the app closes both.
func openAppEvents(ctx context.Context, stderr io.Writer) (*app, *gdelt.Store, error) {
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return nil, nil, err
	}
	events, err := a.openEvents(ctx)
	if err != nil {
		a.close()
		return nil, nil, err
	}
	return a, events, nil
}

// openEvents opens the GDELT event store at GDELT_DB_PATH; close closes it.
func (a *app) openEvents(ctx context.Context) (*gdelt.Store, error) {
	events, err := gdelt.OpenConfigured(ctx, a.cfg, a.log)
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

// listen binds the HTTP address. Its error names the address, the setting it comes
// from and how to choose another.
func listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, listenError(addr, err)
	}
	return ln, nil
}

// listenError turns a failed net.Listen on addr into a message a user can act on:
// "cannot listen on :8000 (HTTP_ADDR): address already in use; set
// HTTP_ADDR=127.0.0.1:8080 or another free address".
func listenError(addr string, err error) error {
	reason := err.Error()
	var sys *os.SyscallError
	var op *net.OpError
	switch {
	case errors.As(err, &sys):
		reason = sys.Err.Error()
	case errors.As(err, &op) && op.Err != nil:
		reason = op.Err.Error()
	}
	if errors.Is(err, syscall.EACCES) {
		reason += " (ports below 1024 need privileges)"
	}
	other := "127.0.0.1:8080"
	if strings.HasSuffix(addr, ":8080") {
		other = "127.0.0.1:8081"
	}
	return fmt.Errorf("cannot listen on %s (HTTP_ADDR): %s; set HTTP_ADDR=%s or another free address", addr, reason, other)
}
