// Package metrics is geopol's Prometheus instrumentation: the collectors the API
// updates as it works (requests, cache, rate limits, the live stream, exports) and the
// ones read from the forecast database at scrape time (connection pool, ingest runs,
// resolved forecasts and their Brier score), served on a listener of their own
// (METRICS_ADDR), never on the public API port.
//
// Every label has a bounded set of values: route templates ("/api/v1/forecasts/:id"),
// never raw paths, ids or keys; status codes; cache key kinds from an allowlist; and
// at most MaxCategories forecast categories, the rest pooled under "other".
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
)

const namespace = "geopol"

// Collectors updated by the API as it works. They are process-wide (a process serves
// one API) and registered in every Registry built by NewRegistry.
var (
	// RequestDuration is the time from the first byte of middleware to the last byte of
	// the answer, by method, route template and status.
	RequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: namespace, Subsystem: "http", Name: "request_duration_seconds",
		Help:    "Time to answer HTTP requests, by method, route template (unmatched for no route) and status code. The live stream is left out: its requests last as long as the client stays.",
		Buckets: []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
	}, []string{"method", "route", "status"})

	// InFlight counts requests being answered (stream connections are StreamClients).
	InFlight = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "http", Name: "requests_in_flight",
		Help: "HTTP requests being answered right now (live stream connections are geopol_stream_clients).",
	})

	// CacheRequests counts cache reads by key kind and result (hit, miss, error).
	CacheRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "cache", Name: "requests_total",
		Help: "Cache reads by key kind (forecast, list, top, scorecard, countries, arcs, gen, apikey, ...) and result: hit, miss, or error (counted as a miss by the API).",
	}, []string{"kind", "result"})

	// RateLimited counts 429 answers by the limit that refused them.
	RateLimited = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "ratelimit", Name: "denied_total",
		Help: "Requests refused with 429, by limit: key_read and key_write (an API key's budgets), client_address (failed credentials or admin requests from one address).",
	}, []string{"limit"})

	// StreamClients is the number of open live-stream connections of this process.
	StreamClients = prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: namespace, Subsystem: "stream", Name: "clients",
		Help: "Open GET /api/v1/stream connections of this process.",
	})
	// StreamEvents counts events this process delivered to its stream hub, by type.
	StreamEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "stream", Name: "events_total",
		Help: "Live-stream events received by this process's hub (from its own writes or, with Redis, any process's), by type.",
	}, []string{"type"})
	// StreamDropped counts clients disconnected because they did not keep up.
	StreamDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "stream", Name: "dropped_clients_total",
		Help: "Stream clients disconnected because their buffer filled (they read too slowly); they may reconnect with Last-Event-ID.",
	})
	// StreamPublishFailures counts events that could not be published.
	StreamPublishFailures = prometheus.NewCounter(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "stream", Name: "publish_failures_total",
		Help: "Events that could not be published (Redis unreachable, or the publish queue full); the write itself succeeded.",
	})

	// ExportRows counts rows written by the export routes.
	ExportRows = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace, Subsystem: "export", Name: "rows_total",
		Help: "Rows streamed by GET /api/v1/export/{dataset}, by dataset and format.",
	}, []string{"dataset", "format"})
)

// processCollectors are registered once per Registry.
func processCollectors() []prometheus.Collector {
	return []prometheus.Collector{RequestDuration, InFlight, CacheRequests, RateLimited,
		StreamClients, StreamEvents, StreamDropped, StreamPublishFailures, ExportRows}
}
