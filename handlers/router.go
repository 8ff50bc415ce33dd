// Package handlers is geopol's HTTP API: Gin handlers that call GORM directly for their
// request-scoped reads, the middleware around them and the one place errors become
// problem+json responses. The rules of the domain live in the packages it calls
// (forecast, apikey, calibration, gdelt, ratelimit, validate).
package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/config"
	"geopol/gdelt"
	"geopol/ratelimit"
	"geopol/store"
)

// Server holds what the handlers need. It is built once in main and wired in NewRouter.
type Server struct {
	Config *config.Config
	DB     *gorm.DB
	GDELT  *gdelt.Store
	Cache  store.Cache
	Log    *slog.Logger
	// Now is the clock for "active" and ages; nil means the real UTC clock. Tests may
	// replace it at any time.
	Now func() time.Time
	// Limiter enforces per-key rate limits; nil means NewRouter builds one over Cache.
	Limiter *ratelimit.Limiter

	usage   apikey.UsageRecorder // last_used_at writes of this process (zero value ready)
	cursors cursorKeys           // the key that authenticates cursors, once read
}

// now reads the server's clock.
func (s *Server) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return store.Now()
}

// NewRouter builds the Gin engine with every route and middleware: this function is the
// whole API at a glance. It fills defaults (the rate limiter) without changing s, and
// leaves Gin's process-wide mode to the caller.
func NewRouter(s *Server) *gin.Engine {
	limiter := s.Limiter
	if limiter == nil {
		limiter = ratelimit.New(s.Cache, s.Log)
	}
	docs, err := apiDocs()
	if err != nil {
		panic(err) // the embedded specification is part of the binary: a build defect
	}

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	r.RedirectFixedPath = false
	// No proxy is trusted by default: client IPs in logs are the socket peer.
	_ = r.SetTrustedProxies(nil)
	r.Use(requestID, s.accessLog, s.recoverPanic, securityHeaders, renderErrors, s.cors, strictQuery, s.limitBody)
	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, ErrNotFound("No route matches "+c.Request.Method+" "+c.Request.URL.Path+"."))
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, newError(http.StatusMethodNotAllowed, "Method Not Allowed",
			c.Request.Method+" is not supported on "+c.Request.URL.Path+"."))
	})

	// Public: health and the documentation.
	r.GET("/docs", serveStatic(docs.page))
	v1 := r.Group("/api/v1")
	v1.GET("/health", s.health)
	v1.GET("/openapi.json", serveStatic(docs.spec))

	// API key, then the key's rate budget.
	keyed := v1.Group("", s.authenticate, s.rateLimit(limiter))
	keyed.POST("/forecasts", s.createForecast)
	keyed.GET("/forecasts/top", s.topForecasts)
	keyed.GET("/forecasts/search", s.searchForecasts)
	keyed.GET("/forecasts/country/:iso", s.countryForecasts)
	keyed.GET("/forecasts/:id", s.getForecast)
	keyed.GET("/forecasts/:id/scenarios", s.getScenarios)
	keyed.POST("/forecasts/:id/outcome", s.createOutcome)
	keyed.GET("/forecasts/:id/outcome", s.getOutcome)
	keyed.GET("/countries", s.listCountries)
	keyed.GET("/countries/risk-map", s.riskMap)
	keyed.GET("/countries/:iso", s.getCountry)
	keyed.GET("/globe/arcs", s.arcs)
	keyed.GET("/globe/deltas", s.riskDeltas)
	keyed.GET("/calibration/scorecard", s.scorecard)
	keyed.GET("/calibration/weights", s.listWeights)
	keyed.GET("/calibration/weights/:code", s.lookupWeight)
	keyed.GET("/events", s.listEvents)
	keyed.GET("/events/:gdelt_id", s.getEvent)
	keyed.GET("/ingest-runs", s.listIngestRuns)

	// What dashboards ask for and geopol does not hold: 501, never another route's 404.
	v1.GET("/calibration/polymarket", notProvided(noMarkets))
	v1.GET("/calibration/polymarket/top", notProvided(noMarkets))
	v1.GET("/calibration/polymarket/comparisons", notProvided(noMarkets))
	v1.GET("/calibration/polymarket/comparisons/:id/snapshots", notProvided(noMarkets))
	v1.POST("/forecasts/submit", notProvided(noSubmissions))
	v1.POST("/forecasts/submit/:id/confirm", notProvided(noSubmissions))
	v1.GET("/forecasts/requests", notProvided(noSubmissions))
	v1.GET("/articles", notProvided(noArticles))
	v1.GET("/sources", notProvided(noSources))
	v1.GET("/advisories", notProvided(noAdvisories))
	v1.GET("/globe/heatmap", notProvided(noHeatmap))

	// Admin token. Without ADMIN_TOKEN these routes do not exist at all (404), so there
	// is nothing to probe.
	if s.Config.AdminToken != "" {
		admin := v1.Group("/admin", s.requireAdmin)
		admin.POST("/keys", s.createKey)
		admin.GET("/keys", s.listKeys)
		admin.DELETE("/keys/:id", s.revokeKey)
		admin.PUT("/forecasts/:id/outcome", s.correctOutcome)
		admin.POST("/calibrate", s.calibrate)
	}
	return r
}
