package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// Cache-Control values. Responses depend on the caller's API key, so shared caches must
// not keep them; a stored forecast never changes, lists and summaries do.
const (
	cacheImmutable   = "private, max-age=300"
	cacheRevalidate  = "private, no-cache"
	generationTTL    = 24 * time.Hour
	globalGeneration = "global"
	// wireVersion starts every cached response's key: bumped when a response shape
	// changes, so a new binary never serves bodies an old one cached in Redis.
	wireVersion = "v2:"
)

// etagOf is a strong validator for a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// writeJSON encodes v and sends it with writeBody: every JSON response of the API goes
// through these two functions.
func writeJSON(c *gin.Context, status int, v any, cacheControl string) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(c, err)
		return
	}
	writeBody(c, status, b, cacheControl)
}

// writeBody sends an encoded JSON body with its ETag and Cache-Control, answering 304
// when the client already has it (If-None-Match).
func writeBody(c *gin.Context, status int, body []byte, cacheControl string) {
	etag := etagOf(body)
	c.Header("ETag", etag)
	c.Header("Cache-Control", cacheControl)
	if status == http.StatusOK && etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(status, "application/json; charset=utf-8", body)
}

func etagMatches(header, etag string) bool {
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == etag {
			return true
		}
	}
	return false
}

// cachedJSON returns the encoded response stored under key, or builds, encodes and
// stores it. Cache failures are logged and treated as misses: the database answers.
// An empty key skips the cache.
func (s *Server) cachedJSON(c *gin.Context, key string, ttl time.Duration, build func() (any, error)) ([]byte, error) {
	ctx := c.Request.Context()
	if key != "" {
		key = wireVersion + key
		if b, ok, err := s.Cache.Get(ctx, key); err != nil {
			logger(c).Warn("cache read failed; using the database", "error", err)
		} else if ok {
			return b, nil
		}
	}
	v, err := build()
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if key != "" {
		if err := s.Cache.Set(ctx, key, b, ttl); err != nil {
			logger(c).Warn("cache write failed", "error", err)
		}
	}
	return b, nil
}

// generation returns the current token of an invalidation scope ("global", or
// "country:SYR"). Cache keys of lists and summaries embed it, so bumping it invalidates
// exactly that scope's entries at once, on every process sharing the cache. It returns
// "" when the cache is unavailable, and callers then skip the cache.
func (s *Server) generation(ctx context.Context, scope string) string {
	key := "gen:" + scope
	b, ok, err := s.Cache.Get(ctx, key)
	if err != nil {
		return ""
	}
	if ok {
		return string(b)
	}
	token := newToken()
	if err := s.Cache.Set(ctx, key, []byte(token), generationTTL); err != nil {
		return ""
	}
	return token
}

// bump invalidates the given scopes.
func (s *Server) bump(c *gin.Context, scopes ...string) {
	for _, scope := range scopes {
		if err := s.Cache.Set(c.Request.Context(), "gen:"+scope, []byte(newToken()), generationTTL); err != nil {
			logger(c).Warn("cache invalidation failed; entries expire with their TTL", "scope", scope, "error", err)
		}
	}
}

func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
