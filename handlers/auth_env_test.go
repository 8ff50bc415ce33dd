package handlers_test

import (
	"context"

	"geopol/apikey"
)

// authorize gives the env's requests a valid API key, created through the same
// function as `geopol apikey create`. The suite exercises the API, not its rate
// limits (ratelimit_test.go does), so the env's budgets are made too large to matter;
// the limiter reads them per request, so this works after the router is built.
func (e *env) authorize() {
	e.t.Helper()
	key, _, err := apikey.Create(context.Background(), e.db, "test-suite")
	if err != nil {
		e.t.Fatalf("create API key: %v", err)
	}
	e.headers.Set(e.cfg.APIKeyHeader, key)
	e.cfg.RateLimitPerMinute, e.cfg.RateLimitPostPerMinute, e.cfg.RateLimitBurst = 1_000_000, 1_000_000, 1_000_000
}
