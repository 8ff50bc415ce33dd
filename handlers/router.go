// Package handlers is geopol's HTTP API: Gin handlers that call GORM directly for their
// request-scoped reads, the middleware around them and the one place errors become
// problem+json responses. The rules of the domain live in the packages it calls
// (forecast, apikey, calibration, gdelt, ratelimit, validate).
package handlers

import (
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/config"
	"geopol/gdelt"
	"geopol/ratelimit"
	"geopol/store"
	"geopol/stream"
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
	// Stream is the live event stream: the writes publish to it and GET /stream reads
	// it. Nil disables both (the route answers 503).
	Stream *stream.Hub

	keys apikey.KeyCache // valid keys this process knows (zero value ready)
	// local keeps responses in memory in front of Redis (see localCache), redis is the
	// cache when it is Redis, and gens is the process's copy of the generations.
	local     *store.MemoryCache
	redis     *store.RedisCache
	localOnce sync.Once
	gens      generations
	usage     apikey.UsageRecorder // last_used_at writes of this process (zero value ready)
	abuse     abuseState           // client addresses blocked after failed credentials
	draining  atomic.Bool          // set by Drain when the process begins to shut down
	cursors   cursorKeys           // the key that authenticates cursors, once read
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
	// Only TRUSTED_PROXIES may name the client address (X-Forwarded-For); by default it is
	// the socket peer. Config validated the list.
	_ = r.SetTrustedProxies(s.Config.TrustedProxies)
	r.Use(observeRequests) // Prometheus: first, so its time covers everything
	r.Use(requestID, s.accessLog, s.recoverPanic, securityHeaders, s.closeWhenDraining, renderErrors, s.cors, strictQuery, s.limitBody)
	r.NoRoute(func(c *gin.Context) {
		writeProblem(c, ErrNotFound("No route matches "+c.Request.Method+" "+c.Request.URL.Path+"."))
	})
	r.NoMethod(func(c *gin.Context) {
		writeProblem(c, newError(http.StatusMethodNotAllowed, "Method Not Allowed",
			c.Request.Method+" is not supported on "+c.Request.URL.Path+"."))
	})

	// Every GET route also answers HEAD (the same headers, no body), as CORS advertises.
	get := func(g *gin.RouterGroup, path string, h gin.HandlerFunc) {
		g.GET(path, h)
		g.HEAD(path, h)
	}

	// Public: health, the probes and the documentation.
	get(&r.RouterGroup, "/docs", serveStatic(docs.page))
	v1 := r.Group("/api/v1")
	get(v1, "/health", s.health)
	get(v1, "/livez", s.livez)
	get(v1, "/readyz", s.readyz)
	get(v1, "/openapi.json", serveStatic(docs.spec))
	get(v1, "/docs", serveStatic(docs.page))

	// API key, then the key's rate budget.
	keyed := v1.Group("", s.guardCredentials(limiter), s.authenticate, s.rateLimit(limiter))
	keyed.POST("/forecasts", s.createForecast)
	get(keyed, "/forecasts/top", s.topForecasts)
	get(keyed, "/forecasts/search", s.searchForecasts)
	get(keyed, "/forecasts/country/:iso", s.countryForecasts)
	get(keyed, "/forecasts/:id", s.getForecast)
	get(keyed, "/forecasts/:id/scenarios", s.getScenarios)
	keyed.POST("/forecasts/:id/outcome", s.createOutcome)
	get(keyed, "/forecasts/:id/outcome", s.getOutcome)
	get(keyed, "/countries", s.listCountries)
	get(keyed, "/countries/risk-map", s.riskMap)
	get(keyed, "/countries/:iso", s.getCountry)
	get(keyed, "/globe/arcs", s.arcs)
	get(keyed, "/globe/deltas", s.riskDeltas)
	get(keyed, "/calibration/scorecard", s.scorecard)
	get(keyed, "/calibration/reliability.svg", s.reliabilitySVG)
	get(keyed, "/calibration/weights", s.listWeights)
	get(keyed, "/calibration/weights/:code", s.lookupWeight)
	get(keyed, "/events", s.listEvents)
	get(keyed, "/events/:gdelt_id", s.getEvent)
	get(keyed, "/ingest-runs", s.listIngestRuns)
	get(keyed, "/stream", s.streamEvents)
	get(keyed, "/export/forecasts", s.exportForecasts)
	get(keyed, "/export/outcomes", s.exportOutcomes)

	// The scorecard page people read: public with SCORECARD_PUBLIC, else keyed.
	if s.Config.ScorecardPublic {
		get(&r.RouterGroup, "/scorecard", s.scorecardPage)
	} else {
		get(r.Group("", s.guardCredentials(limiter), s.authenticate, s.rateLimit(limiter)), "/scorecard", s.scorecardPage)
	}

	// What dashboards ask for and geopol does not hold: 501, never another route's 404.
	get(v1, "/calibration/polymarket", notProvided(noMarkets))
	get(v1, "/calibration/polymarket/top", notProvided(noMarkets))
	get(v1, "/calibration/polymarket/comparisons", notProvided(noMarkets))
	get(v1, "/calibration/polymarket/comparisons/:id/snapshots", notProvided(noMarkets))
	v1.POST("/forecasts/submit", notProvided(noSubmissions))
	v1.POST("/forecasts/submit/:id/confirm", notProvided(noSubmissions))
	get(v1, "/forecasts/requests", notProvided(noSubmissions))
	get(v1, "/articles", notProvided(noArticles))
	get(v1, "/sources", notProvided(noSources))
	get(v1, "/advisories", notProvided(noAdvisories))
	get(v1, "/globe/heatmap", notProvided(noHeatmap))

	// Admin token. Without ADMIN_TOKEN these routes do not exist at all (404), so there
	// is nothing to probe.
	if s.Config.AdminToken != "" {
		admin := v1.Group("/admin", s.guardCredentials(limiter), s.limitAdmin(limiter), s.requireAdmin)
		admin.POST("/keys", s.createKey)
		get(admin, "/keys", s.listKeys)
		admin.DELETE("/keys/:id", s.revokeKey)
		admin.PUT("/forecasts/:id/outcome", s.correctOutcome)
		admin.POST("/calibrate", s.calibrate)
	}
	return r
}
