package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cache is the small key/value surface geopol needs from Redis. The in-process
// implementation stands in when no REDIS_URL is configured. Callers treat every error
// as a cache miss: the database stays the source of truth.
type Cache interface {
	// Get returns the value and true, or nil and false on a miss.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
	Delete(ctx context.Context, keys ...string) error
	Ping(ctx context.Context) error
	// Kind is "redis" or "memory", for health output.
	Kind() string
	Close() error
}

// OpenCache returns a Redis cache when redisURL is set, otherwise an in-process one.
// Every key is stored under prefix, so several deployments (or tests) can share a
// Redis without seeing each other's entries.
func OpenCache(redisURL, prefix string) (Cache, error) {
	if redisURL == "" {
		return NewMemoryCache(prefix, 50_000), nil
	}
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	// Short timeouts: a slow or absent Redis must cost a request milliseconds, after
	// which the handler falls back to the database.
	opts.DialTimeout = 2 * time.Second
	opts.ReadTimeout = 500 * time.Millisecond
	opts.WriteTimeout = 500 * time.Millisecond
	opts.MaxRetries = 1
	// One dial attempt per command (go-redis defaults to 5 with 100 ms pauses): when
	// Redis is down, requests fall back to the database without waiting half a second.
	opts.DialerRetries = 1
	return &RedisCache{Client: redis.NewClient(opts), prefix: prefix}, nil
}

func init() {
	// go-redis prints pool errors (every failed dial while Redis is down) with the
	// standard logger; route them to slog at debug level instead. Health reports the
	// outage, and each failed cache call is already logged once by the handler.
	redis.SetLogger(redisLogger{})
}

type redisLogger struct{}

func (redisLogger) Printf(ctx context.Context, format string, v ...any) {
	slog.DebugContext(ctx, "redis: "+fmt.Sprintf(format, v...))
}

// RedisCache is the Redis-backed Cache.
type RedisCache struct {
	Client *redis.Client
	prefix string
}

// Prefix is the namespace every key of this cache is stored under.
func (c *RedisCache) Prefix() string { return c.prefix }

// Get implements Cache.
func (c *RedisCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, err := c.Client.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// Set implements Cache.
func (c *RedisCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return c.Client.Set(ctx, c.prefix+key, value, ttl).Err()
}

// Delete implements Cache.
func (c *RedisCache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.prefix + k
	}
	return c.Client.Del(ctx, full...).Err()
}

// Ping implements Cache.
func (c *RedisCache) Ping(ctx context.Context) error { return c.Client.Ping(ctx).Err() }

// Kind implements Cache.
func (c *RedisCache) Kind() string { return "redis" }

// Close implements Cache.
func (c *RedisCache) Close() error { return c.Client.Close() }

// MemoryCache is an in-process Cache with per-entry TTLs and a bound on entries.
// It serves a single process; several API processes need Redis to share entries
// and invalidations.
type MemoryCache struct {
	mu      sync.Mutex
	entries map[string]memEntry
	max     int
	prefix  string
	now     func() time.Time
}

type memEntry struct {
	value   []byte
	expires time.Time
}

// NewMemoryCache returns an empty in-process cache holding at most max entries.
func NewMemoryCache(prefix string, max int) *MemoryCache {
	return &MemoryCache{entries: map[string]memEntry{}, max: max, prefix: prefix, now: time.Now}
}

// Get implements Cache.
func (c *MemoryCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[c.prefix+key]
	if !ok {
		return nil, false, nil
	}
	if !e.expires.After(c.now()) {
		delete(c.entries, c.prefix+key)
		return nil, false, nil
	}
	return e.value, true, nil
}

// Set implements Cache. Values are copied, so callers may reuse their buffers.
func (c *MemoryCache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		c.evictLocked()
	}
	c.entries[c.prefix+key] = memEntry{value: append([]byte(nil), value...), expires: c.now().Add(ttl)}
	return nil
}

// evictLocked drops expired entries and, if the cache is still full, arbitrary ones
// (map order) until a tenth of the room is free: cheap, and a cache may forget.
func (c *MemoryCache) evictLocked() {
	now := c.now()
	for k, e := range c.entries {
		if !e.expires.After(now) {
			delete(c.entries, k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max-c.max/10 {
			break
		}
		delete(c.entries, k)
	}
}

// Delete implements Cache.
func (c *MemoryCache) Delete(_ context.Context, keys ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.entries, c.prefix+k)
	}
	return nil
}

// Ping implements Cache.
func (c *MemoryCache) Ping(context.Context) error { return nil }

// Kind implements Cache.
func (c *MemoryCache) Kind() string { return "memory" }

// Close implements Cache.
func (c *MemoryCache) Close() error { return nil }
