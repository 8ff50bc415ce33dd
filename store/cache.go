package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Cache is the small key/value surface geopol needs from Redis. The in-process
// implementation stands in when no REDIS_URL is configured. Callers treat every error
// as a cache miss: the database stays the source of truth.
type Cache interface {
	// Get returns the value and true, or nil and false on a miss.
	Get(ctx context.Context, key string) ([]byte, bool, error)
	// GetMulti returns the values of keys in one round trip, nil for each miss.
	GetMulti(ctx context.Context, keys ...string) ([][]byte, error)
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
	// Short timeouts: a slow Redis costs the requests in flight at most this much; the
	// first failure opens the circuit breaker, and later requests do not call Redis.
	opts.DialTimeout = 500 * time.Millisecond
	opts.ReadTimeout = 300 * time.Millisecond
	opts.WriteTimeout = 300 * time.Millisecond
	// No retries and one dial attempt per command (go-redis defaults to 3 retries and 5
	// dials with pauses): a failed call is a cache miss at once, and the breaker decides
	// when Redis is tried again.
	opts.MaxRetries = -1
	opts.DialerRetries = 1
	c := &RedisCache{Client: redis.NewClient(opts), prefix: prefix, done: make(chan struct{}), log: slog.Default()}
	return c, nil
}

// Circuit breaker timing: while open, a background probe pings Redis every
// breakerProbeEvery (each ping bounded by breakerProbeTimeout), and the first answer
// closes it, so Redis is used again within about breakerProbeEvery of its return.
const (
	breakerProbeEvery   = 200 * time.Millisecond
	breakerProbeTimeout = 300 * time.Millisecond
)

// ErrCacheUnavailable is what a RedisCache returns, without calling Redis, while its
// circuit breaker is open (Redis failed and has not answered a probe since).
var ErrCacheUnavailable = errors.New("redis unreachable: cache skipped until it answers again")

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

// RedisCache is the Redis-backed Cache, behind a circuit breaker: the first connection
// failure opens it, every call then fails at once with ErrCacheUnavailable (callers fall
// back to the database) and a single background probe pings Redis until it answers,
// which closes it again. No request waits on a dial or read timeout while Redis is
// known to be down.
type RedisCache struct {
	Client *redis.Client
	prefix string
	log    *slog.Logger

	open      atomic.Bool   // the breaker: Redis is skipped while set
	outages   atomic.Uint64 // how often the breaker opened
	closeOnce sync.Once
	done      chan struct{} // closed by Close: stops a running probe
}

// SetLogger sets where the breaker reports outages and recoveries (slog's default
// logger otherwise).
func (c *RedisCache) SetLogger(log *slog.Logger) {
	if log != nil {
		c.log = log
	}
}

// Available reports whether the breaker is closed, i.e. Redis is worth calling.
func (c *RedisCache) Available() bool { return !c.open.Load() }

// Observe feeds the result of a Redis call made outside this type (the rate limiter's)
// to the breaker; it returns err. Misses, Redis's own error replies and a caller's
// cancellation say nothing about reachability; any other error opens the breaker.
func (c *RedisCache) Observe(err error) error {
	if err == nil || errors.Is(err, redis.Nil) || errors.Is(err, context.Canceled) {
		return err
	}
	var reply redis.Error
	if errors.As(err, &reply) {
		return err
	}
	if c.open.CompareAndSwap(false, true) {
		c.outages.Add(1)
		c.log.Warn("redis unreachable: serving from the database and limiting in-process until it answers again",
			"error", err.Error())
		go c.probe()
	}
	return err
}

// probe pings Redis until it answers (closing the breaker) or the cache is closed.
func (c *RedisCache) probe() {
	t := time.NewTicker(breakerProbeEvery)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), breakerProbeTimeout)
		err := c.Client.Ping(ctx).Err()
		cancel()
		if err == nil {
			c.open.Store(false)
			c.log.Info("redis answers again: cache and shared rate limits back in use")
			return
		}
	}
}

// Prefix is the namespace every key of this cache is stored under.
func (c *RedisCache) Prefix() string { return c.prefix }

// Outages counts how often the breaker has opened: state learnt from Redis before the
// count changed may have missed updates.
func (c *RedisCache) Outages() uint64 { return c.outages.Load() }

// Publish sends msg on channel (under the prefix) to its subscribers.
func (c *RedisCache) Publish(ctx context.Context, channel, msg string) error {
	if !c.Available() {
		return ErrCacheUnavailable
	}
	return c.Observe(c.Client.Publish(ctx, c.prefix+channel, msg).Err())
}

// subscriptionIdle is how long a subscription may stay silent before it is pinged; a
// second silent interval (no pong) counts as a lost connection.
const subscriptionIdle = time.Second

// Subscribe delivers every message published on channel (under the prefix) to onMessage,
// from a goroutine of its own, until the cache is closed. onLive(true) is called each time
// the subscription is confirmed (again), onLive(false) whenever it may have missed
// messages: a connection error, or a connection silent for two idle intervals.
func (c *RedisCache) Subscribe(channel string, onMessage func(payload string), onLive func(live bool)) {
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-c.done
		cancel()
	}()
	go func() {
		ps := c.Client.Subscribe(ctx, c.prefix+channel)
		defer ps.Close()
		pinged := false
		for ctx.Err() == nil {
			msg, err := ps.ReceiveTimeout(ctx, subscriptionIdle)
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() && !pinged {
					pinged = true
					_ = ps.Ping(ctx) // its pong proves the connection alive
					continue
				}
				pinged = false
				onLive(false)
				select {
				case <-ctx.Done():
					return
				case <-time.After(breakerProbeEvery):
				}
				continue
			}
			pinged = false
			switch m := msg.(type) {
			case *redis.Subscription:
				onLive(true)
			case *redis.Message:
				onMessage(m.Payload)
			}
		}
	}()
}

// Get implements Cache.
func (c *RedisCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	if !c.Available() {
		return nil, false, ErrCacheUnavailable
	}
	b, err := c.Client.Get(ctx, c.prefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, c.Observe(err)
	}
	return b, true, nil
}

// GetMulti implements Cache with one MGET.
func (c *RedisCache) GetMulti(ctx context.Context, keys ...string) ([][]byte, error) {
	if !c.Available() {
		return nil, ErrCacheUnavailable
	}
	vals, err := c.Client.MGet(ctx, c.full(keys)...).Result()
	if err != nil {
		return nil, c.Observe(err)
	}
	out := make([][]byte, len(keys))
	for i, v := range vals {
		if s, ok := v.(string); ok {
			out[i] = []byte(s)
		}
	}
	return out, nil
}

// Set implements Cache.
func (c *RedisCache) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if !c.Available() {
		return ErrCacheUnavailable
	}
	return c.Observe(c.Client.Set(ctx, c.prefix+key, value, ttl).Err())
}

// Delete implements Cache.
func (c *RedisCache) Delete(ctx context.Context, keys ...string) error {
	if len(keys) == 0 {
		return nil
	}
	if !c.Available() {
		return ErrCacheUnavailable
	}
	return c.Observe(c.Client.Del(ctx, c.full(keys)...).Err())
}

func (c *RedisCache) full(keys []string) []string {
	full := make([]string, len(keys))
	for i, k := range keys {
		full[i] = c.prefix + k
	}
	return full
}

// Ping implements Cache. It asks Redis even while the breaker is open (health reports
// the truth), and an answer closes the breaker.
func (c *RedisCache) Ping(ctx context.Context) error {
	if err := c.Client.Ping(ctx).Err(); err != nil {
		return c.Observe(err)
	}
	c.open.Store(false)
	return nil
}

// Kind implements Cache.
func (c *RedisCache) Kind() string { return "redis" }

// Close implements Cache.
func (c *RedisCache) Close() error {
	c.closeOnce.Do(func() { close(c.done) })
	return c.Client.Close()
}

// MemoryCache is an in-process Cache with per-entry TTLs and a bound on entries.
// It serves a single process; several API processes need Redis to share entries
// and invalidations.
type MemoryCache struct {
	mu      sync.RWMutex // readers share it: a hit takes no exclusive lock
	entries map[string]memEntry
	max     int
	prefix  string
	now     func() time.Time
	// maxBytes bounds the values' total size when positive; bytes is that total.
	maxBytes, bytes int
}

type memEntry struct {
	value   []byte
	expires time.Time
}

// NewMemoryCache returns an empty in-process cache holding at most max entries.
func NewMemoryCache(prefix string, max int) *MemoryCache {
	return &MemoryCache{entries: map[string]memEntry{}, max: max, prefix: prefix, now: time.Now}
}

// NewMemoryCacheBytes is NewMemoryCache also bounded by the total size of the values.
func NewMemoryCacheBytes(prefix string, max, maxBytes int) *MemoryCache {
	c := NewMemoryCache(prefix, max)
	c.maxBytes = maxBytes
	return c
}

// Get implements Cache. An expired entry is a miss; it is dropped when overwritten or
// evicted.
func (c *MemoryCache) Get(_ context.Context, key string) ([]byte, bool, error) {
	c.mu.RLock()
	e, ok := c.entries[c.prefix+key]
	c.mu.RUnlock()
	if !ok || !e.expires.After(c.now()) {
		return nil, false, nil
	}
	return e.value, true, nil
}

// dropLocked deletes an entry, keeping the byte count.
func (c *MemoryCache) dropLocked(full string) {
	if e, ok := c.entries[full]; ok {
		c.bytes -= len(e.value)
		delete(c.entries, full)
	}
}

// GetMulti implements Cache.
func (c *MemoryCache) GetMulti(ctx context.Context, keys ...string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i], _, _ = c.Get(ctx, k)
	}
	return out, nil
}

// Set implements Cache. Values are copied, so callers may reuse their buffers.
func (c *MemoryCache) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	if ttl <= 0 {
		return nil
	}
	if c.maxBytes > 0 && len(value) > c.maxBytes/10 {
		return nil // too big to be worth a tenth of the room
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropLocked(c.prefix + key)
	if len(c.entries) >= c.max || (c.maxBytes > 0 && c.bytes+len(value) > c.maxBytes) {
		c.evictLocked()
	}
	c.entries[c.prefix+key] = memEntry{value: append([]byte(nil), value...), expires: c.now().Add(ttl)}
	c.bytes += len(value)
	return nil
}

// evictLocked drops expired entries and, if the cache is still full, arbitrary ones
// (map order) until a tenth of the room (entries and bytes) is free: cheap, and a cache
// may forget.
func (c *MemoryCache) evictLocked() {
	now := c.now()
	for k, e := range c.entries {
		if !e.expires.After(now) {
			c.dropLocked(k)
		}
	}
	for k := range c.entries {
		if len(c.entries) < c.max-c.max/10 && (c.maxBytes <= 0 || c.bytes < c.maxBytes-c.maxBytes/10) {
			break
		}
		c.dropLocked(k)
	}
}

// Delete implements Cache.
func (c *MemoryCache) Delete(_ context.Context, keys ...string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		c.dropLocked(c.prefix + k)
	}
	return nil
}

// Ping implements Cache.
func (c *MemoryCache) Ping(context.Context) error { return nil }

// Kind implements Cache.
func (c *MemoryCache) Kind() string { return "memory" }

// Close implements Cache.
func (c *MemoryCache) Close() error { return nil }
