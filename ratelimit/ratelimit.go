// Package ratelimit is geopol's per-key request budget: the generic cell rate algorithm
// (GCRA) in Redis, shared by every API process, with an in-process limiter of the same
// arithmetic that takes over when there is no Redis or it is unreachable.
package ratelimit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/go-redis/redis_rate/v10"

	"geopol/store"
)

// redisRetryInterval is how long the limiter stays in-process after Redis failed
// before it tries Redis again, so an outage costs one failed call per interval rather
// than one per request.
const redisRetryInterval = 5 * time.Second

// Limit is a GCRA budget: Rate requests per Period, at most Burst at once.
type Limit = redis_rate.Limit

// Result is one limiter decision.
type Result struct {
	Allowed   bool
	Remaining int
	// RetryAfter is when the next request may pass (meaningful when not Allowed).
	RetryAfter time.Duration
	// ResetAfter is when the budget is full again.
	ResetAfter time.Duration
}

// Limiter enforces per-key budgets with the generic cell rate algorithm (GCRA).
// With Redis the state lives there, so every API process sharing it shares each
// key's budget. Without Redis, or while Redis is unreachable, an in-process limiter
// with the same algorithm and limits takes over: each process then enforces the full
// budget on its own, so a key may get up to N times its budget across N processes,
// but never an unlimited one.
type Limiter struct {
	redis  *redis_rate.Limiter // nil when no Redis is configured
	prefix string              // the cache's key prefix, so budgets share its namespace
	local  *localLimiter
	log    *slog.Logger

	mu        sync.Mutex
	downUntil time.Time // Redis is skipped until then after a failure
	degraded  bool
}

// New returns a limiter backed by the Redis behind cache, or an in-process one when cache
// is not Redis (REDIS_URL empty). log may be nil.
func New(cache store.Cache, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	l := &Limiter{local: newLocalLimiter(100_000), log: log}
	if rc, ok := cache.(*store.RedisCache); ok {
		l.redis, l.prefix = redis_rate.NewLimiter(rc.Client), rc.Prefix()
	}
	return l
}

// Allow spends one request of key's budget lim.
func (l *Limiter) Allow(ctx context.Context, key string, lim Limit) Result {
	if l.redis != nil && l.useRedis() {
		res, err := l.redis.Allow(ctx, l.prefix+key, lim)
		if err == nil {
			l.redisUp()
			return Result{Allowed: res.Allowed > 0, Remaining: res.Remaining,
				RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter}
		}
		l.redisDown(err)
	}
	return l.local.allow(key, lim, time.Now())
}

func (l *Limiter) useRedis() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Now().After(l.downUntil)
}

func (l *Limiter) redisDown(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.downUntil = time.Now().Add(redisRetryInterval)
	if !l.degraded {
		l.degraded = true
		l.log.Warn("rate limiting in-process: Redis is unreachable; each API process now enforces the limits alone",
			"error", err.Error())
	}
}

func (l *Limiter) redisUp() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.degraded {
		l.degraded = false
		l.log.Info("rate limiting through Redis again")
	}
}

// localLimiter is the in-process GCRA, the same algorithm (and the same arithmetic) as
// redis_rate's script, so a Redis outage changes where the state lives, not what a
// client experiences. It keeps one theoretical arrival time (TAT) per key.
type localLimiter struct {
	mu  sync.Mutex
	tat map[string]time.Time
	max int
}

func newLocalLimiter(size int) *localLimiter {
	return &localLimiter{tat: map[string]time.Time{}, max: size}
}

// allow spends one request of key's budget at time now.
func (l *localLimiter) allow(key string, lim Limit, now time.Time) Result {
	// At least 1 ns: an absurdly high configured rate must not divide by zero.
	interval := max(lim.Period/time.Duration(max(lim.Rate, 1)), 1)
	burstOffset := interval * time.Duration(max(lim.Burst, 1))

	l.mu.Lock()
	defer l.mu.Unlock()
	tat, ok := l.tat[key]
	if !ok || tat.Before(now) {
		tat = now
	}
	newTAT := tat.Add(interval)
	diff := now.Sub(newTAT.Add(-burstOffset))
	if diff < 0 {
		return Result{Allowed: false, Remaining: 0, RetryAfter: -diff, ResetAfter: tat.Sub(now)}
	}
	if !ok && len(l.tat) >= l.max {
		l.evictLocked(now)
	}
	l.tat[key] = newTAT
	return Result{Allowed: true, Remaining: int(diff / interval), RetryAfter: -1, ResetAfter: newTAT.Sub(now)}
}

// evictLocked forgets keys whose budget is full again (their state is the same as no
// state). If every key is still active, arbitrary ones are dropped until a tenth of
// the room is free: those clients get a fresh burst, which bounds memory and still
// never lifts the rate limit itself.
func (l *localLimiter) evictLocked(now time.Time) {
	for k, t := range l.tat {
		if !t.After(now) {
			delete(l.tat, k)
		}
	}
	for k := range l.tat {
		if len(l.tat) < l.max-l.max/10 {
			break
		}
		delete(l.tat, k)
	}
}
