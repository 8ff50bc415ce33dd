// Package handlers is geopol's HTTP API: Gin handlers that call GORM directly, the
// middleware around them and the one place errors become problem+json responses.
package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/config"
	"geopol/gdelt"
	"geopol/store"
)

// Server holds what the handlers need. It is built once in main and wired in NewRouter.
type Server struct {
	Config *config.Config
	DB     *gorm.DB
	GDELT  *gdelt.Store
	Cache  store.Cache
	Log    *slog.Logger
	// Now is the clock for "active" and ages; tests may replace it.
	Now func() time.Time
	// Limiter enforces per-key rate limits; nil means NewRouter builds one over Cache.
	Limiter *RateLimiter

	access accessState // API-key bookkeeping of this process (zero value ready)
}

// NewRouter builds the Gin engine with every route and middleware.
func NewRouter(s *Server) *gin.Engine {
	if s.Now == nil {
		s.Now = store.Now
	}
	// Gin's debug mode only prints the route table; the access log covers the rest.
	gin.SetMode(gin.ReleaseMode)
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

	v1 := r.Group("/api/v1")
	v1.GET("/health", s.health)
	s.adminRoutes(v1)
	s.docsRoutes(r, v1)

	keyed := v1.Group("", s.keyed()...)
	s.forecastRoutes(keyed)
	s.calibrationRoutes(keyed, v1)
	s.eventRoutes(keyed)
	return r
}
