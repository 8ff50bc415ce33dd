package handlers

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/metrics"
	"geopol/store"
)

// Cache-Control values. Responses depend on the caller's API key, so shared caches must
// not keep them; a stored forecast never changes, lists and summaries do.
const (
	cacheImmutable   = "private, max-age=300"
	cacheRevalidate  = "private, no-cache"
	generationTTL    = 24 * time.Hour
	globalGeneration = "global"
	// wireVersion starts every cached response's key: bumped when a response shape or
	// the entry format changes, so a new binary never serves what an old one cached in
	// Redis.
	wireVersion = "v3:"
)

// etagOf is a strong validator for a response body.
func etagOf(body []byte) string {
	sum := sha256.Sum256(body)
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// writeJSON encodes v and sends it with writeBody: every JSON response of the API goes
// through these functions.
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
	writeTagged(c, status, body, etagOf(body), cacheControl)
}

// writeCached sends a cached response with the ETag stored beside it: no hashing.
func writeCached(c *gin.Context, status int, e *cached, cacheControl string) {
	writeTagged(c, status, e.body, e.etag, cacheControl)
}

// cacheControlValues holds each Cache-Control value as a shared header value (len ==
// cap, so an Add elsewhere copies rather than writes into it).
var cacheControlValues = map[string][]string{}

func init() {
	for _, v := range []string{cacheImmutable, cacheRevalidate, "no-store"} {
		cacheControlValues[v] = []string{v}
	}
}

func writeTagged(c *gin.Context, status int, body []byte, etag, cacheControl string) {
	h := c.Writer.Header()
	h["Etag"] = []string{etag}
	if v, ok := cacheControlValues[cacheControl]; ok {
		h["Cache-Control"] = v
	} else {
		h["Cache-Control"] = []string{cacheControl}
	}
	if status == http.StatusOK {
		if inm := c.Request.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, etag) {
			c.Status(http.StatusNotModified)
			return
		}
	}
	if status < http.StatusOK || status == http.StatusNoContent || status == http.StatusNotModified {
		c.Data(status, jsonContentType[0], body) // no body allowed: gin's rules apply
		return
	}
	// What c.Data does, with shared header values: this is every cached read's answer.
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = intHeader(len(body))
	c.Status(status)
	_, _ = c.Writer.Write(body)
}

// jsonContentType is the Content-Type of every JSON answer, shared (len == cap).
var jsonContentType = []string{"application/json; charset=utf-8"}

func etagMatches(header, etag string) bool {
	for _, candidate := range strings.Split(header, ",") {
		candidate = strings.TrimSpace(candidate)
		if candidate == "*" || strings.TrimPrefix(candidate, "W/") == etag {
			return true
		}
	}
	return false
}

// cached is an encoded response and its ETag, as the cache keeps them.
type cached struct {
	etag string
	body []byte
}

// cacheKey names a cached response. A scoped key belongs to an invalidation scope
// ("global", "country:SYR", ...): its entry counts only while it was built under the
// scope's current generation, and bump invalidates every entry of the scope at once, on
// every process sharing the cache. An immutable key names a response that never changes
// (a stored forecast): with Redis, the process also keeps it in memory, so a hit costs
// no round trip. The zero cacheKey skips the cache.
type cacheKey struct {
	scope, name string
	immutable   bool
}

// plainKey names an entry that only its TTL ends.
func plainKey(name string) cacheKey { return cacheKey{name: name} }

// immutableKey names an entry whose response never changes.
func immutableKey(name string) cacheKey { return cacheKey{name: name, immutable: true} }

// Bounds of the responses a process keeps in memory in front of Redis.
const (
	localEntries = 4096
	localBytes   = 64 << 20
)

// localCache is the process's memory in front of Redis, for immutable responses and for
// entries of invalidation scopes (checked against the process's copy of the
// generations); nil without Redis (the in-process cache is already local). The first call
// subscribes to the announced bumps.
func (s *Server) localCache() (*store.MemoryCache, *store.RedisCache) {
	s.localOnce.Do(func() {
		// The Redis underneath, also when /metrics counts the cache's reads.
		rc, ok := metrics.Uninstrumented(s.Cache).(*store.RedisCache)
		if !ok {
			return
		}
		s.local, s.redis = store.NewMemoryCacheBytes("", localEntries, localBytes), rc
		rc.Subscribe(generationsChannel, s.gens.announced, func(live bool) { s.gens.setLive(live, rc.Outages()) })
	})
	return s.local, s.redis
}

// scopedKey names an entry of an invalidation scope.
func scopedKey(scope, name string) cacheKey { return cacheKey{scope: scope, name: name} }

// encodeEntry stores e as "<generation>\n<etag>\n<body>" (the generation is empty for a
// plain key; neither it nor the quoted hex ETag holds a newline).
func encodeEntry(gen string, e *cached) []byte {
	b := make([]byte, 0, len(gen)+len(e.etag)+2+len(e.body))
	b = append(b, gen...)
	b = append(b, '\n')
	b = append(b, e.etag...)
	b = append(b, '\n')
	return append(b, e.body...)
}

// decodeEntry reads an entry built under generation gen; false for another generation
// or a damaged entry (a miss).
func decodeEntry(b []byte, gen string) (*cached, bool) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 || string(b[:i]) != gen {
		return nil, false
	}
	rest := b[i+1:]
	j := bytes.IndexByte(rest, '\n')
	if j < 2 || rest[0] != '"' || rest[j-1] != '"' {
		return nil, false
	}
	return &cached{etag: string(rest[:j]), body: rest[j+1:]}, true
}

// cachedJSON returns the response stored under key, or builds, encodes and stores it with
// its ETag. It costs one cache round trip on a hit (a scoped key reads its generation and
// its entry together). Cache failures are treated as misses, the database answers, and
// nothing is stored; a failure is logged unless the cache's breaker already said Redis is
// down.
func (s *Server) cachedJSON(c *gin.Context, key cacheKey, ttl time.Duration, build func() (any, error)) (*cached, error) {
	ctx := c.Request.Context()
	full, gen := "", ""
	local, rc := s.localCache()
	if !key.immutable && key.scope == "" {
		local = nil // only its TTL would end a local copy: Redis alone holds it
	}
	var epoch uint64
	if key.name != "" {
		full = wireVersion + key.name
		if local != nil {
			want, known := "", true
			if key.scope != "" {
				want, epoch, known = s.gens.get(key.scope, rc.Outages())
			}
			if b, ok, _ := local.Get(ctx, full); ok && known {
				if e, ok := decodeEntry(b, want); ok {
					return e, nil
				}
			}
		}
		if key.scope == "" {
			b, ok, err := s.Cache.Get(ctx, full)
			switch {
			case err != nil:
				cacheFailed(c, "cache read failed; using the database", err)
				full = ""
			case ok:
				if e, ok := decodeEntry(b, ""); ok {
					if local != nil {
						_ = local.Set(ctx, full, b, ttl)
					}
					return e, nil
				}
			}
		} else {
			genKey := "gen:" + key.scope
			vals, err := s.Cache.GetMulti(ctx, genKey, full)
			switch {
			case err != nil:
				cacheFailed(c, "cache read failed; using the database", err)
				full = ""
			case vals[0] == nil:
				// No generation yet (or it expired): start one; there is no entry of it.
				gen = newToken()
				if !s.setGeneration(c, key.scope, gen) {
					full = ""
				}
			default:
				gen = string(vals[0])
				if local != nil {
					s.gens.learn(key.scope, gen, epoch)
				}
				if vals[1] != nil {
					if e, ok := decodeEntry(vals[1], gen); ok {
						if local != nil {
							_ = local.Set(ctx, full, vals[1], ttl)
						}
						return e, nil
					}
				}
			}
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
	e := &cached{etag: etagOf(b), body: b}
	if full != "" {
		entry := encodeEntry(gen, e)
		if err := s.Cache.Set(ctx, full, entry, ttl); err != nil {
			cacheFailed(c, "cache write failed", err)
		} else if local != nil {
			_ = local.Set(ctx, full, entry, ttl)
		}
	}
	return e, nil
}

// cacheFailed logs a cache error, except the breaker's "Redis is down, not tried", which
// the cache logged once for the whole outage.
func cacheFailed(c *gin.Context, msg string, err error) {
	if !errors.Is(err, store.ErrCacheUnavailable) {
		logger(c).Warn(msg, "error", err)
	}
}

// bump invalidates the given scopes.
func (s *Server) bump(c *gin.Context, scopes ...string) {
	for _, scope := range scopes {
		s.setGeneration(c, scope, newToken())
	}
}

// setGeneration makes token scope's generation: in the cache and, with Redis, in this
// process's copy and, announced, in every other process's. It reports success.
func (s *Server) setGeneration(c *gin.Context, scope, token string) bool {
	ctx := c.Request.Context()
	if err := s.Cache.Set(ctx, "gen:"+scope, []byte(token), generationTTL); err != nil {
		cacheFailed(c, "cache invalidation failed; entries expire with their TTL", err)
		return false
	}
	if _, rc := s.localCache(); rc != nil {
		s.gens.set(scope, token)
		if err := rc.Publish(ctx, generationsChannel, scope+" "+token); err != nil {
			cacheFailed(c, "invalidation not announced; other processes' copies expire with their TTL", err)
		}
	}
	return true
}

func newToken() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
