package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/ratelimit"
)

// Rate-limit response headers, sent on every response to an authenticated request.
const (
	// RateLimitLimitHeader is the budget's requests per minute.
	RateLimitLimitHeader = "X-RateLimit-Limit"
	// RateLimitRemainingHeader is how many requests could be sent right now.
	RateLimitRemainingHeader = "X-RateLimit-Remaining"
	// RateLimitResetHeader is the number of seconds until the budget is full again.
	RateLimitResetHeader = "X-RateLimit-Reset"
)

// The rate-limit headers as net/http keys them ("X-Ratelimit-Limit", ...).
var (
	rateLimitLimitKey     = http.CanonicalHeaderKey(RateLimitLimitHeader)
	rateLimitRemainingKey = http.CanonicalHeaderKey(RateLimitRemainingHeader)
	rateLimitResetKey     = http.CanonicalHeaderKey(RateLimitResetHeader)
)

// limitFor returns the budget a request method spends: writes have their own, stricter
// budget, so a client flooding POSTs cannot starve its own reads or the database.
func (s *Server) limitFor(method string) (ratelimit.Limit, string) {
	switch method {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		rate := s.Config.RateLimitPostPerMinute
		return ratelimit.Limit{Rate: rate, Burst: min(s.Config.RateLimitBurst, rate), Period: time.Minute}, "write"
	}
	rate := s.Config.RateLimitPerMinute
	return ratelimit.Limit{Rate: rate, Burst: s.Config.RateLimitBurst, Period: time.Minute}, "read"
}

// rateLimit is the middleware that spends one request of the authenticated key's budget
// in limiter, sets the rate-limit headers and refuses with 429 and Retry-After once the
// budget is spent. It runs after authenticate, which names the key.
func (s *Server) rateLimit(limiter *ratelimit.Limiter) gin.HandlerFunc {
	// The limits rarely change after start: their header values are made once.
	read, _ := s.limitFor(http.MethodGet)
	write, _ := s.limitFor(http.MethodPost)
	limits := map[string]limitHeader{"read": newLimitHeader(read.Rate), "write": newLimitHeader(write.Rate)}
	return func(c *gin.Context) { s.spendBudget(c, limiter, limits) }
}

// limitHeader is a limit's X-RateLimit-Limit value, made in advance.
type limitHeader struct {
	rate  int
	value []string
}

func newLimitHeader(rate int) limitHeader {
	return limitHeader{rate: rate, value: []string{strconv.Itoa(rate)}}
}

// header returns the value for rate: the one made in advance unless the limit changed.
func (l limitHeader) header(rate int) []string {
	if rate == l.rate {
		return l.value
	}
	return []string{strconv.Itoa(rate)}
}

// sharedInts are header values for small numbers, shared by every response (len ==
// cap, so an Add elsewhere copies rather than writes into them): the remaining budget,
// the seconds to reset and many a body's length are small.
var sharedInts = func() [][]string {
	v := make([][]string, 4096)
	for i := range v {
		v[i] = []string{strconv.Itoa(i)}
	}
	return v
}()

// intHeader is n as a header value.
func intHeader(n int) []string {
	if n >= 0 && n < len(sharedInts) {
		return sharedInts[n]
	}
	return []string{strconv.Itoa(n)}
}

// spendBudget is rateLimit's work for one request.
func (s *Server) spendBudget(c *gin.Context, limiter *ratelimit.Limiter, limits map[string]limitHeader) {
	lim, class := s.limitFor(c.Request.Method)
	// The key's hash names its budget: unique across deployments and tests sharing a
	// Redis, and not the key itself.
	res := limiter.Allow(c.Request.Context(), "ratelimit:"+class+":"+info(c).keyHash, lim)
	h := c.Writer.Header()
	// Canonical keys assigned directly: no canonicalisation per request.
	h[rateLimitLimitKey] = limits[class].header(lim.Rate)
	h[rateLimitRemainingKey] = intHeader(max(res.Remaining, 0))
	h[rateLimitResetKey] = intHeader(ceilSeconds(res.ResetAfter))
	if !res.Allowed {
		wait := max(ceilSeconds(res.RetryAfter), 1)
		h.Set("Retry-After", strconv.Itoa(wait))
		fail(c, newError(http.StatusTooManyRequests, "Too Many Requests",
			fmt.Sprintf("This API key may make %d %s requests a minute (bursts of %d); retry in %d s.",
				lim.Rate, class, lim.Burst, wait)))
		return
	}
	c.Next()
}

// ceilSeconds rounds d up to whole seconds; negative durations are 0.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int(math.Ceil(d.Seconds()))
}
