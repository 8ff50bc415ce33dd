package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/ratelimit"
)

// maxBlocked bounds the table of blocked client addresses.
const maxBlocked = 10_000

// abuseState remembers, in this process, the client addresses whose failed credential
// attempts ran out of budget, so that their further attempts are refused before any
// key lookup. The budget itself is the shared limiter's, so every process sharing a
// Redis counts the same failures. Its zero value is ready to use.
type abuseState struct {
	mu      sync.Mutex
	blocked map[string]time.Time // client address -> end of its block
}

// blockedFor returns how long ip stays blocked at now (0 when it is not).
func (a *abuseState) blockedFor(ip string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	until, ok := a.blocked[ip]
	if !ok {
		return 0
	}
	if !until.After(now) {
		delete(a.blocked, ip)
		return 0
	}
	return until.Sub(now)
}

// block refuses ip's credentials until until.
func (a *abuseState) block(ip string, until time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.blocked == nil {
		a.blocked = map[string]time.Time{}
	}
	if len(a.blocked) >= maxBlocked {
		now := time.Now()
		for k, t := range a.blocked {
			if !t.After(now) || len(a.blocked) >= maxBlocked {
				delete(a.blocked, k)
			}
		}
	}
	a.blocked[ip] = until
}

// guardCredentials throttles failed credential attempts per client address: a request
// that ends in 401 spends one of AUTH_FAILURES_PER_MINUTE; once they are spent, every
// request of that address on these routes is a 429 with Retry-After, without looking a
// key up, until the budget refills. Valid requests spend nothing.
func (s *Server) guardCredentials(limiter *ratelimit.Limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		ip := clientIP(c)
		if wait := s.abuse.blockedFor(ip, time.Now()); wait > 0 {
			tooMany(c, wait, fmt.Sprintf("Too many failed credential attempts from this address; retry in %d s.", ceilSeconds(wait)))
			return
		}
		c.Next()
		if answeredStatus(c) != http.StatusUnauthorized {
			return
		}
		n := s.Config.AuthFailuresPerMinute
		res := limiter.Allow(c.Request.Context(), "authfail:"+ip, ratelimit.Limit{Rate: n, Burst: n, Period: time.Minute})
		if !res.Allowed {
			s.abuse.block(ip, time.Now().Add(res.RetryAfter))
			logger(c).Warn("credential attempts throttled", "client_ip", ip, "retry_after", res.RetryAfter)
		}
	}
}

// limitAdmin bounds admin requests per client address (ADMIN_RATE_LIMIT_PER_MINUTE).
func (s *Server) limitAdmin(limiter *ratelimit.Limiter) gin.HandlerFunc {
	return func(c *gin.Context) {
		n := s.Config.AdminRateLimitPerMinute
		res := limiter.Allow(c.Request.Context(), "admin:"+clientIP(c), ratelimit.Limit{Rate: n, Burst: n, Period: time.Minute})
		if !res.Allowed {
			tooMany(c, res.RetryAfter, fmt.Sprintf("Admin routes take %d requests a minute from one address; retry in %d s.", n, ceilSeconds(res.RetryAfter)))
			return
		}
		c.Next()
	}
}

// answeredStatus is the status the request is getting: the one written, or the one the
// error a handler recorded with fail will be rendered with (renderErrors runs later).
func answeredStatus(c *gin.Context) int {
	if !c.Writer.Written() && len(c.Errors) > 0 {
		return asAPIError(c.Errors.Last().Err).Status
	}
	return c.Writer.Status()
}

// tooMany answers 429 with Retry-After (at least one second).
func tooMany(c *gin.Context, wait time.Duration, detail string) {
	c.Header("Retry-After", strconv.Itoa(max(ceilSeconds(wait), 1)))
	fail(c, newError(http.StatusTooManyRequests, "Too Many Requests", detail))
}
