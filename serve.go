package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime/debug"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/config"
	"geopol/handlers"
	"geopol/ratelimit"
)

const serveUsage = `usage: geopol serve

Serves the HTTP API on HTTP_ADDR (default :8000) until SIGINT/SIGTERM. It binds the
address first, so a busy one fails before any database is opened or migrated; set
HTTP_ADDR=127.0.0.1:8080 (or another free address) to use another.

On SIGINT/SIGTERM /api/v1/readyz answers 503 at once while the server keeps serving for
SHUTDOWN_DRAIN (default 5s, 0 for none); then the listener closes and requests in flight
get up to SHUTDOWN_TIMEOUT (default 20s) to finish.`

// serveCmd serves the HTTP API until ctx is done: it binds HTTP_ADDR, then migrates when
// AUTO_MIGRATE is on, refusing to start on a schema with migrations pending when it is
// off.
func serveCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("serve", serveUsage, stderr)
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return usagef("serve takes no arguments; set HTTP_ADDR to choose the address")
	}
	a, err := openApp(ctx, stderr, appOptions{serving: true})
	if err != nil {
		return err
	}
	defer a.close()
	if !applyGCPercent(a.cfg, os.Getenv("GOGC")) {
		a.log.Info("GC_PERCENT not applied: GOGC is set", "gogc", os.Getenv("GOGC"))
	}
	devKeyHint(ctx, a.cfg, a.db, stdout)
	events, err := a.openEvents(ctx)
	if err != nil {
		return err
	}
	cache, err := a.openCache()
	if err != nil {
		return err
	}
	ops, err := a.startOps(ctx) // the live stream and METRICS_ADDR
	if err != nil {
		return err
	}

	// Gin's debug mode only prints the route table; the access log covers the rest.
	gin.SetMode(gin.ReleaseMode)
	api := &handlers.Server{Config: a.cfg, DB: a.db, GDELT: events, Cache: cache, Log: a.log,
		Limiter: ratelimit.New(cache, a.log)}
	srv := &http.Server{
		Addr:    a.cfg.HTTPAddr,
		Handler: handlers.NewRouter(ops.wire(api)),
		// Bounded timeouts: a slow or idle client cannot hold a connection forever.
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
	}
	err = serveHTTP(ctx, srv, a.ln, a.log, shutdownPlan{drain: a.cfg.ShutdownDrain, timeout: a.cfg.ShutdownTimeout, onDrain: api.Drain})
	// last_used_at is written about a second after a use; the uses of that last second
	// are written now, before the database closes.
	flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if ferr := api.FlushUsage(flushCtx); ferr != nil {
		a.log.Warn("api key last_used_at not recorded at shutdown", "error", ferr.Error())
	}
	return err
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

// applyGCPercent sets the garbage collector's target to GC_PERCENT unless gogc (the
// GOGC environment variable, which the runtime has already applied) is set, and says
// whether it did. A server's live heap is small (a few MB without a large cache) while
// every request allocates a few kB, mostly in net/http, so at Go's default of 100 the
// collector runs dozens of times a second under load; at 400 it runs a quarter as
// often for a heap goal of five times the live heap.
func applyGCPercent(cfg *config.Config, gogc string) bool {
	if gogc != "" {
		return false
	}
	debug.SetGCPercent(cfg.GCPercent)
	return true
}
