package main

import (
	"context"

	"geopol/handlers"
	"geopol/metrics"
)

// ops is what serve runs beside the API for operators: the Prometheus listener on
// METRICS_ADDR.
type ops struct{}

// startOps binds and serves /metrics when METRICS_ADDR is set; a busy metrics address
// stops start-up. The listener stops when ctx ends or the app closes.
func (a *app) startOps(ctx context.Context) (*ops, error) {
	if a.cfg.MetricsAddr != "" {
		reg, err := metrics.NewRegistry(metrics.Options{DB: a.db, Log: a.log})
		if err != nil {
			return nil, err
		}
		stop, err := metrics.Serve(ctx, a.cfg.MetricsAddr, reg, a.log)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, stop)
	}
	return &ops{}, nil
}

// wire counts the API server's cache reads for /metrics. The rate limiter keeps the
// cache it was built with (it needs Redis's own client).
func (o *ops) wire(s *handlers.Server) *handlers.Server {
	s.Cache = metrics.InstrumentCache(s.Cache)
	return s
}
