package main

import (
	"context"
	"time"

	"geopol/handlers"
	"geopol/metrics"
	"geopol/stream"
)

// ops is what serve runs beside the API for operators and live clients: the live event
// stream (through Redis when REDIS_URL is set, so every replica sees every write) and
// the Prometheus listener on METRICS_ADDR.
type ops struct {
	hub *stream.Hub
}

// startOps opens the stream hub and, with METRICS_ADDR, binds and serves /metrics; a
// busy metrics address stops start-up. Both stop when ctx ends (the hub ends every
// stream then, so shutdown does not wait for them) or when the app closes.
func (a *app) startOps(ctx context.Context) (*ops, error) {
	hub := stream.NewHub(stream.Options{Log: a.log})
	if a.cfg.RedisURL != "" {
		client, err := stream.OpenRedis(a.cfg.RedisURL)
		if err != nil {
			return nil, err
		}
		a.closers = append(a.closers, func() { client.Close() })
		stream.ConnectRedis(hub, client, a.cfg.CachePrefix, 3*time.Second)
	}
	a.closers = append(a.closers, hub.Close) // before the Redis client closes
	context.AfterFunc(ctx, hub.Close)
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
	return &ops{hub: hub}, nil
}

// wire gives the API server its stream and counts its cache reads for /metrics. The
// rate limiter keeps the cache it was built with (it needs Redis's own client).
func (o *ops) wire(s *handlers.Server) *handlers.Server {
	s.Cache = metrics.InstrumentCache(s.Cache)
	s.Stream = o.hub
	return s
}
