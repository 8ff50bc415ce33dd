package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/metrics"
)

// streamRoute is the live stream's route template: its requests last as long as the
// client stays, so they are counted as stream clients, not as requests in flight or in
// the duration histogram.
const streamRoute = "/api/v1/stream"

// observeRequests records every request in the Prometheus collectors: in flight, then
// its duration by method, route template (never the raw path) and status, and a 429's
// limit. It runs first, so the time covers every other middleware.
func observeRequests(c *gin.Context) {
	route := c.FullPath() // set by routing before the handlers run
	if route == streamRoute {
		c.Next()
		return
	}
	if route == "" {
		route = "unmatched"
	}
	start := time.Now()
	metrics.InFlight.Inc()
	defer metrics.InFlight.Dec()
	c.Next()
	status := c.Writer.Status()
	metrics.RequestDuration.WithLabelValues(methodLabel(c.Request.Method), route, statusLabel(status)).
		Observe(time.Since(start).Seconds())
	if status == http.StatusTooManyRequests {
		metrics.RateLimited.WithLabelValues(limitLabel(c)).Inc()
	}
}

// statusLabels are the label values of the statuses HTTP defines, made once.
var statusLabels = func() []string {
	v := make([]string, 600)
	for i := 100; i < len(v); i++ {
		v[i] = strconv.Itoa(i)
	}
	return v
}()

// statusLabel is status as a label value.
func statusLabel(status int) string {
	if status >= 100 && status < len(statusLabels) {
		return statusLabels[status]
	}
	return strconv.Itoa(status)
}

// methodLabel bounds the method label to the methods HTTP defines.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// limitLabel names the limit behind a 429: an API key's budget sets the rate-limit
// headers; the per-address limits (failed credentials, admin requests) do not.
func limitLabel(c *gin.Context) string {
	if c.Writer.Header().Get(RateLimitLimitHeader) == "" {
		return "client_address"
	}
	switch c.Request.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete: // as limitFor
		return "key_write"
	}
	return "key_read"
}
