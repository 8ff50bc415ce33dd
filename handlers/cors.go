package handlers

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"geopol/config"
)

// corsExposed are the response headers a browser script may read besides the
// CORS-safelisted ones: request ids for support, rate-limit state, and what the API's
// own semantics need (ETag for revalidation, Location after a create).
var corsExposed = strings.Join([]string{
	RequestIDHeader, RateLimitLimitHeader, RateLimitRemainingHeader, RateLimitResetHeader,
	"Retry-After", "ETag", "Location", "WWW-Authenticate",
}, ", ")

var varyOrigin = []string{"Origin"}

// corsMethods are the methods the API serves.
const corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"

// corsMaxAge lets a browser reuse a preflight answer for ten minutes.
const corsMaxAge = "600"

// cors answers preflight requests and marks responses readable by allowed origins.
// Development allows every origin (a dashboard on any local port works); production
// and testing allow only CORS_ORIGINS ("*" in it allows all). No cookies are used, so
// credentials are never allowed. A preflight from an origin that is not allowed gets a
// 403 problem; a simple request from one is served without CORS headers, which the
// browser then refuses to expose to the page.
func (s *Server) cors(c *gin.Context) {
	h := c.Writer.Header()
	if _, ok := h["Vary"]; ok {
		h.Add("Vary", "Origin")
	} else {
		h["Vary"] = varyOrigin // shared, len == cap: an Add elsewhere copies it
	}
	origin := c.GetHeader("Origin")
	preflight := c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != ""
	if origin == "" {
		c.Next()
		return
	}
	if !s.originAllowed(origin) {
		if preflight {
			fail(c, newError(http.StatusForbidden, "Forbidden", "Cross-origin requests from this origin are not allowed."))
			return
		}
		c.Next()
		return
	}
	h.Set("Access-Control-Allow-Origin", origin)
	if preflight {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", strings.Join([]string{
			"Content-Type", "Authorization", s.Config.APIKeyHeader, IdempotencyKeyHeader, "If-None-Match", RequestIDHeader,
		}, ", "))
		h.Set("Access-Control-Max-Age", corsMaxAge)
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	h.Set("Access-Control-Expose-Headers", corsExposed)
	c.Next()
}

// originAllowed applies the environment's origin policy. Origins compare
// case-insensitively (scheme and host are), ignoring a trailing slash in the setting.
func (s *Server) originAllowed(origin string) bool {
	if s.Config.Environment == config.Development {
		return true
	}
	for _, o := range s.Config.CORSOrigins {
		if o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin) {
			return true
		}
	}
	return false
}
