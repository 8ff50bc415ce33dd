package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"gorm.io/gorm"
)

// Options say what a Registry reads at scrape time.
type Options struct {
	// DB is the forecast database: its pool statistics, ingest runs and outcomes are
	// read on each scrape (at most once per CacheFor). Nil leaves these metrics out.
	DB *gorm.DB
	// Log receives a WARN line when the database cannot be read for a scrape.
	Log *slog.Logger
	// CacheFor is how long database figures are reused between scrapes (default 10 s),
	// so that frequent scrapes by several Prometheus servers cost one query set.
	CacheFor time.Duration
	// Now is the clock for "seconds since"; nil means time.Now.
	Now func() time.Time
}

// NewRegistry returns a registry with the process's collectors, the Go runtime and
// process collectors, and, with a database, its pool and domain figures.
func NewRegistry(opts Options) (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	cs := append(processCollectors(),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if opts.DB != nil {
		sqlDB, err := opts.DB.DB()
		if err != nil {
			return nil, err
		}
		cs = append(cs, collectors.NewDBStatsCollector(sqlDB, "forecast"), newDBCollector(opts))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return reg, nil
}

// Handler serves reg in the Prometheus text (or OpenMetrics) format.
func Handler(reg *prometheus.Registry) http.Handler {
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, MaxRequestsInFlight: 4, Timeout: 20 * time.Second})
}

// Server returns the HTTP server of the metrics listener: GET /metrics, and 404 for
// anything else.
func Server(reg *prometheus.Registry) *http.Server {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", Handler(reg))
	return &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// Serve serves reg's /metrics on addr until ctx ends. It binds addr first and returns
// the bind error at once; serving errors after that are logged.
func Serve(ctx context.Context, addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	srv := Server(reg)
	srv.Addr = addr
	ln, err := listen(addr)
	if err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
			log.Error("metrics listener stopped", "addr", addr, "error", err)
		}
	}()
	log.Info("metrics listening", "addr", ln.Addr().String(), "path", "/metrics")
	var once sync.Once
	stop := func() {
		once.Do(func() {
			sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_ = srv.Shutdown(sctx)
			<-done
		})
	}
	context.AfterFunc(ctx, stop)
	return stop, nil
}
