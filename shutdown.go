package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// shutdownPlan is how serveHTTP stops once its context is done (SIGTERM/SIGINT).
type shutdownPlan struct {
	// drain is how long the server keeps serving after the signal, so that a load
	// balancer sees readiness fail and stops sending before the listener closes
	// (SHUTDOWN_DRAIN; 0 closes it at once).
	drain time.Duration
	// timeout bounds the wait for requests in flight once the listener is closed
	// (SHUTDOWN_TIMEOUT).
	timeout time.Duration
	// onDrain runs as soon as the signal arrives: it turns readiness to 503.
	onDrain func()
}

// serveHTTP serves srv on ln (or on srv.Addr when ln is nil) until ctx is done, then
// shuts down gracefully: onDrain runs at once, the listener keeps accepting and
// serving for the drain, then it closes, idle connections are closed and requests in
// flight get up to the timeout to complete.
func serveHTTP(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger, plan shutdownPlan) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", srv.Addr); err != nil {
			return err
		}
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("listening", "addr", ln.Addr().String())

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	if plan.onDrain != nil {
		plan.onDrain()
	}
	if plan.drain > 0 {
		log.Info("shutting down: draining, /api/v1/readyz answers 503", "drain", plan.drain.String())
		select {
		case <-time.After(plan.drain):
		case err := <-errc:
			return err
		}
	}
	log.Info("shutting down: listener closed, finishing in-flight requests", "timeout", plan.timeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), plan.timeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close() // what is still running after the timeout is cut off
		return fmt.Errorf("shutdown: %w", err)
	}
	// Serve has returned ErrServerClosed by now; anything else is worth reporting.
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("shut down")
	return nil
}
