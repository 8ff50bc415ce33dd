package handlers

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// ErrKeyCacheStale means a key was revoked in the database but the shared key cache
// could not be updated. Revoking again is safe and completes the job.
var ErrKeyCacheStale = errors.New("api key revoked in the database, but the key cache could not be invalidated")

const (
	// ctxKeyHash holds the authenticated key's SHA-256, which names its rate budget.
	ctxKeyHash = "geopol.key_hash"
	// keyCacheTTL bounds how long a valid key's lookup is served from Redis.
	keyCacheTTL = 5 * time.Minute
	// revokedMarkerTTL keeps a revocation marker far longer than any cache entry
	// written before the revocation could live.
	revokedMarkerTTL = 24 * time.Hour
	// authTimeout bounds the key lookup and the last_used_at write.
	authTimeout = 5 * time.Second
)

// accessState is the per-process state of API-key authentication. Its zero value is
// ready to use.
type accessState struct {
	mu sync.Mutex
	// touched is when this process last wrote last_used_at for each key id.
	touched map[int64]time.Time
}

// authKey is an authenticated key as the middleware needs it, and what the key cache
// holds: the id, hash and client name, never the key.
type authKey struct {
	ID       int64      `json:"id"`
	Hash     string     `json:"hash"`
	Client   string     `json:"client"`
	LastUsed *time.Time `json:"-"`
}

// keyed returns the middleware every API-key route runs behind: authentication, then
// the per-key rate limit.
func (s *Server) keyed() []gin.HandlerFunc {
	if s.Limiter == nil {
		s.Limiter = NewRateLimiter(s.Cache, s.Log)
	}
	return []gin.HandlerFunc{s.authenticate, s.rateLimit}
}

// extractAPIKey returns the well-formed key in the configured header or, failing
// that, in Authorization: Bearer. Malformed values are never looked up.
func extractAPIKey(h http.Header, name string) (string, bool) {
	if v := strings.TrimSpace(h.Get(name)); WellFormedAPIKey(v) {
		return v, true
	}
	scheme, token, found := strings.Cut(strings.TrimSpace(h.Get("Authorization")), " ")
	if found && strings.EqualFold(scheme, "Bearer") {
		if token = strings.TrimSpace(token); WellFormedAPIKey(token) {
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
	k, err := s.lookupKey(ctx, HashAPIKey(raw))
	if errors.Is(err, gorm.ErrRecordNotFound) {
		s.denyKey(c)
		return
	}
	if err != nil {
		fail(c, ErrUnavailable("API keys cannot be checked right now; try again.", err))
		return
	}
	s.touch(ctx, c, k)
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

// cachesKeys reports whether key lookups are cached. Only a shared (Redis) cache is
// used: a revocation made by another process (the CLI, another API instance) could not
// reach an in-process cache, so without Redis every request asks the database.
func (s *Server) cachesKeys() bool { return s.Cache != nil && s.Cache.Kind() == "redis" }

func keyCacheKey(hash string) string     { return "apikey:" + hash }
func revokedCacheKey(hash string) string { return "apikey-revoked:" + hash }

// lookupKey finds the unrevoked key with this hash: gorm.ErrRecordNotFound when there
// is none. A cached entry counts only while no revocation marker exists for the hash;
// the marker (written by RevokeAPIKey) also defeats an entry that a request racing the
// revocation wrote after it.
func (s *Server) lookupKey(ctx context.Context, hash string) (*authKey, error) {
	if s.cachesKeys() {
		if b, ok, err := s.Cache.Get(ctx, keyCacheKey(hash)); err == nil && ok {
			var k authKey
			if json.Unmarshal(b, &k) == nil && subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) == 1 {
				if _, revoked, err := s.Cache.Get(ctx, revokedCacheKey(hash)); err == nil && !revoked {
					return &k, nil
				}
			}
		}
	}
	var row models.ApiKey
	if err := s.DB.WithContext(ctx).Where("key_hash = ?", hash).Take(&row).Error; err != nil {
		return nil, err
	}
	// The index found the row; the comparison that decides is still constant-time.
	if subtle.ConstantTimeCompare([]byte(row.KeyHash), []byte(hash)) != 1 || row.RevokedAt != nil {
		return nil, gorm.ErrRecordNotFound
	}
	k := &authKey{ID: row.ID, Hash: row.KeyHash, Client: row.ClientName, LastUsed: row.LastUsedAt}
	if s.cachesKeys() {
		if b, err := json.Marshal(k); err == nil {
			_ = s.Cache.Set(ctx, keyCacheKey(hash), b, keyCacheTTL) // a failed write is a later miss
		}
	}
	return k, nil
}

// forgetKey invalidates the cached lookup of a revoked key: first the marker, which
// wins over any entry, then the entry itself.
func forgetKey(ctx context.Context, cache store.Cache, hash string) error {
	if cache == nil {
		return nil
	}
	if err := cache.Set(ctx, revokedCacheKey(hash), []byte("1"), revokedMarkerTTL); err != nil {
		return err
	}
	return cache.Delete(ctx, keyCacheKey(hash))
}

// touch records that the key was used, writing last_used_at at most once a minute per
// key in this process; the conditional UPDATE keeps several processes to one changed
// row a minute as well. A failure is logged, never fatal to the request.
func (s *Server) touch(ctx context.Context, c *gin.Context, k *authKey) {
	now := s.Now()
	if k.LastUsed != nil && now.Sub(*k.LastUsed) < lastUsedInterval {
		return
	}
	s.access.mu.Lock()
	if s.access.touched == nil {
		s.access.touched = map[int64]time.Time{}
	}
	if last, ok := s.access.touched[k.ID]; ok && now.Sub(last) < lastUsedInterval {
		s.access.mu.Unlock()
		return
	}
	s.access.touched[k.ID] = now
	s.access.mu.Unlock()
	err := s.DB.WithContext(ctx).Model(&models.ApiKey{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", k.ID, now.Add(-lastUsedInterval)).
		Update("last_used_at", now).Error
	if err != nil {
		logger(c).Warn("api key last_used_at not recorded", "key_id", k.ID, "error", err.Error())
	}
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
