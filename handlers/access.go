package handlers

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/apikey"
)

// authTimeout bounds a key lookup in the database.
const authTimeout = 5 * time.Second

// extractAPIKey returns the well-formed key in the configured header or, failing
// that, in Authorization: Bearer. Malformed values are never looked up.
func extractAPIKey(h http.Header, name string) (string, bool) {
	if v := strings.TrimSpace(h.Get(name)); apikey.WellFormed(v) {
		return v, true
	}
	scheme, token, found := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if found && strings.EqualFold(scheme, "Bearer") {
		if token = strings.TrimSpace(token); apikey.WellFormed(token) {
			return token, true
		}
	}
	return "", false
}

// authenticate admits requests that carry a valid, unrevoked key and names the client
// on the context for the access log.
func (s *Server) authenticate(c *gin.Context) {
	raw, ok := extractAPIKey(c.Request.Header, s.Config.APIKeyHeader)
	if !ok {
		s.denyKey(c)
		return
	}
	hash := apikey.Hash(raw)
	// Most requests are served by the process's key cache; the others read the row.
	k, ok := s.keys.Cached(s.DB, hash)
	if !ok {
		ctx, cancel := context.WithTimeout(c.Request.Context(), authTimeout)
		var err error
		k, err = s.keys.Lookup(ctx, s.DB, hash)
		cancel()
		if errors.Is(err, gorm.ErrRecordNotFound) {
			s.denyKey(c)
			return
		}
		if err != nil {
			fail(c, ErrUnavailable("API keys cannot be checked right now; try again.", err))
			return
		}
	}
	s.usage.Record(s.DB, k, s.now()) // written in the background
	r := info(c)
	r.client, r.keyHash = k.Client, k.Hash
	c.Next()
}

// denyKey answers 401 with one body for a missing, malformed, unknown or revoked key,
// so a caller cannot learn which of these it was.
func (s *Server) denyKey(c *gin.Context) {
	c.Header("WWW-Authenticate", `Bearer realm="geopol"`)
	fail(c, newError(http.StatusUnauthorized, "Unauthorized",
		"A valid API key is required, in the "+s.Config.APIKeyHeader+" header or as Authorization: Bearer."))
}

// limitBody bounds every request body at MAX_BODY_BYTES. A declared Content-Length
// over the limit is refused at once; otherwise reading past the limit fails with
// *http.MaxBytesError, which the error renderer turns into 413.
func (s *Server) limitBody(c *gin.Context) {
	limit := s.Config.MaxBodyBytes
	if limit <= 0 {
		limit = MaxBodyBytes // a Config built by hand in a test: a limit is always in force
	}
	if c.Request.ContentLength > limit {
		// Close the connection afterwards: the unread body must not be parsed as the
		// next request.
		c.Header("Connection", "close")
		fail(c, &http.MaxBytesError{Limit: limit})
		return
	}
	if c.Request.Body != nil && c.Request.Body != http.NoBody {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}

// FlushUsage writes this process's pending last_used_at records now (they are otherwise
// written about a second after a use, off the request path); for shutdown and tests.
func (s *Server) FlushUsage(ctx context.Context) error { return s.usage.Flush(ctx) }

// KeyCached reports whether this process would serve the key with this hash from its key
// cache, without reading the database.
func (s *Server) KeyCached(hash string) bool {
	_, ok := s.keys.Cached(s.DB, hash)
	return ok
}
