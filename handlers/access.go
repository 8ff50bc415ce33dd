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

const (
	// ctxKeyHash holds the authenticated key's SHA-256, which names its rate budget.
	ctxKeyHash = "geopol.key_hash"
	// authTimeout bounds the key lookup and the last_used_at write.
	authTimeout = 5 * time.Second
)

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
	ctx, cancel := context.WithTimeout(c.Request.Context(), authTimeout)
	defer cancel()
	k, err := apikey.Lookup(ctx, s.DB, s.Cache, apikey.Hash(raw))
	if errors.Is(err, gorm.ErrRecordNotFound) {
		s.denyKey(c)
		return
	}
	if err != nil {
		fail(c, ErrUnavailable("API keys cannot be checked right now; try again.", err))
		return
	}
	if err := s.usage.Record(ctx, s.DB, k, s.now()); err != nil {
		logger(c).Warn("api key last_used_at not recorded", "key_id", k.ID, "error", err.Error())
	}
	c.Set(ctxClient, k.Client)
	c.Set(ctxKeyHash, k.Hash)
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
	if c.Request.Body != nil {
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	}
	c.Next()
}
