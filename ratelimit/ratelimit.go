// Package ratelimit is geopol's per-key request budget: the generic cell rate algorithm
// (GCRA) in Redis, shared by every API process, spent locally from small leases so that
// most requests cost no Redis call, with an in-process limiter of the same arithmetic
// that takes over when there is no Redis or it is unreachable.
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"

	"geopol/store"
)

const (
	// leaseTTL bounds how long tokens taken from Redis may wait in a process before they
	// are spent; unspent ones are dropped then, so a lease never adds to a later burst.
	leaseTTL = time.Second
	// leaseBurstShare caps a lease at Burst/leaseBurstShare tokens, so the tokens that
	// processes hold unspent are a small share of a key's budget.
	leaseBurstShare = 10
	// maxLeases bounds the per-key lease table of a process.
	maxLeases = 100_000
)

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
//
// With Redis the state lives there, so every API process sharing it shares each key's
// budget. A process does not ask Redis for every request: it takes a lease of up to
// what it spent in the last second (at most Burst/10 tokens) in one call, spends it
// locally for at most a second, and remembers a refusal until its Retry-After. Tokens
// are always taken from the shared budget before they are spent, so N processes never
// admit more than the budget; what they may lose is the unspent part of their leases,
// at most N * Burst/10 tokens when a client stops. A key with a burst under 20 has
// leases of one token: every admitted request is one Redis call, as without leases.
//
// Without Redis, or while it is unreachable (the cache's circuit breaker is open), an
// in-process limiter with the same algorithm and limits takes over: each process then
// enforces the full budget on its own, so a key may get up to N times its budget across
// N processes, but never an unlimited one.
type Limiter struct {
	cache  *store.RedisCache // nil when no Redis is configured
	prefix string            // the cache's key prefix, so budgets share its namespace
	local  *localLimiter
	log    *slog.Logger

	leases   sync.Map     // key -> *lease
	nLeases  atomic.Int64 // entries in leases
	degraded atomic.Bool  // the in-process limiter decides (logged once per outage)
}

// lease is one process's share of one key's budget. Spending it takes no lock: requests
// of one key on every core contend on nothing but its token count.
type lease struct {
	// tokens were taken from Redis and not spent yet; they may be spent until expires.
	tokens  atomic.Int64
	expires atomic.Int64 // Unix nanoseconds
	// remaining and resetAt (Unix ns) are Redis's view at the last grant.
	remaining atomic.Int64
	resetAt   atomic.Int64
	// deniedUntil (Unix ns) is Redis's Retry-After of the last refusal: no token exists
	// before.
	deniedUntil atomic.Int64
	// used counts admitted requests since the last grant, to size the next lease.
	used atomic.Int64

	mu sync.Mutex // the slow path: one Redis call at a time per key and process
	// inflight is closed when the Redis call under way for this key returns.
	inflight  chan struct{}
	lastGrant time.Time
}

// New returns a limiter backed by the Redis behind cache, or an in-process one when cache
// is not Redis (REDIS_URL empty). log may be nil.
func New(cache store.Cache, log *slog.Logger) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	l := &Limiter{local: newLocalLimiter(100_000), log: log}
	if rc, ok := cache.(*store.RedisCache); ok {
		l.cache, l.prefix = rc, rc.Prefix()
	}
	return l
}

// Allow spends one request of key's budget lim.
func (l *Limiter) Allow(ctx context.Context, key string, lim Limit) Result {
	if l.cache == nil {
		return l.local.allow(key, lim, time.Now())
	}
	le := l.lease(key)
	for {
		if !l.cache.Available() {
			return l.fallback(key, lim, store.ErrCacheUnavailable)
		}
		now := time.Now().UnixNano()
		if now < le.expires.Load() {
			for t := le.tokens.Load(); t > 0; t = le.tokens.Load() {
				if le.tokens.CompareAndSwap(t, t-1) {
					le.used.Add(1)
					return Result{Allowed: true, Remaining: int(le.remaining.Load() + t - 1), RetryAfter: -1,
						ResetAfter: time.Duration(le.resetAt.Load() - now)}
				}
			}
		}
		if until := le.deniedUntil.Load(); now < until {
			return Result{Allowed: false, RetryAfter: time.Duration(until - now),
				ResetAfter: time.Duration(max(le.resetAt.Load()-now, 0))}
		}
		le.mu.Lock()
		if wait := le.inflight; wait != nil {
			// Another request of this process is asking Redis for this key: share its
			// answer rather than ask again.
			le.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return l.fallback(key, lim, ctx.Err())
			}
		}
		want := le.want(lim, time.Now())
		done := make(chan struct{})
		le.inflight = done
		le.mu.Unlock()

		res, err := l.takeLease(ctx, key, lim, want)

		le.mu.Lock()
		le.inflight = nil
		close(done)
		if err != nil {
			le.mu.Unlock()
			return l.fallback(key, lim, l.cache.Observe(err))
		}
		l.redisUp()
		now = time.Now().UnixNano()
		le.resetAt.Store(now + int64(res.ResetAfter))
		le.remaining.Store(int64(res.Remaining))
		if res.Allowed == 0 {
			le.deniedUntil.Store(now + int64(res.RetryAfter))
			le.mu.Unlock()
			return Result{Allowed: false, RetryAfter: res.RetryAfter, ResetAfter: res.ResetAfter}
		}
		if now >= le.expires.Load() {
			le.tokens.Store(0) // an expired lease's tokens are not spent
		}
		left := le.tokens.Add(int64(res.Allowed - 1))
		le.expires.Store(now + int64(leaseTTL))
		le.used.Add(1)
		le.mu.Unlock()
		return Result{Allowed: true, Remaining: res.Remaining + int(max(left, 0)), RetryAfter: -1, ResetAfter: res.ResetAfter}
	}
}

// want is the size of the next lease: about a second of what this process admitted for
// the key since the last grant, at least one token and at most Burst/leaseBurstShare.
// Called with le.mu held.
func (le *lease) want(lim Limit, now time.Time) int {
	used := le.used.Swap(0)
	elapsed := now.Sub(le.lastGrant)
	le.lastGrant = now
	perSecond := used
	if elapsed > 0 && elapsed < time.Second {
		perSecond = used * int64(time.Second) / int64(elapsed)
	}
	return int(max(min(perSecond, int64(lim.Burst/leaseBurstShare)), 1))
}

// lease returns key's lease, creating it; the table forgets idle keys when full.
func (l *Limiter) lease(key string) *lease {
	if le, ok := l.leases.Load(key); ok {
		return le.(*lease)
	}
	if l.nLeases.Load() >= maxLeases {
		now := time.Now().UnixNano()
		l.leases.Range(func(k, v any) bool {
			le := v.(*lease)
			le.mu.Lock()
			idle := le.inflight == nil && now >= le.expires.Load() && now >= le.deniedUntil.Load()
			le.mu.Unlock()
			if idle {
				l.leases.Delete(k)
				l.nLeases.Add(-1)
			}
			return true
		})
	}
	le, loaded := l.leases.LoadOrStore(key, &lease{})
	if !loaded {
		l.nLeases.Add(1)
	}
	return le.(*lease)
}

// fallback decides in-process while Redis cannot be used, saying so once per outage (a
// request cancelled by its client says nothing about Redis).
func (l *Limiter) fallback(key string, lim Limit, err error) Result {
	if !errors.Is(err, context.Canceled) && l.degraded.CompareAndSwap(false, true) {
		l.log.Warn("rate limiting in-process: Redis is unreachable; each API process now enforces the limits alone",
			"error", err.Error())
	}
	return l.local.allow(key, lim, time.Now())
}

func (l *Limiter) redisUp() {
	if l.degraded.Load() && l.degraded.CompareAndSwap(true, false) {
		l.log.Info("rate limiting through Redis again")
	}
}

// leaseScript is redis_rate's GCRA (the same key, "rate:" + key, and the same stored
// theoretical arrival time) taking up to ARGV[4] whole tokens at once. redis_rate's own
// AllowAtMost may take a fraction of a token and report it as none, which would cost a
// key part of its budget at every partial grant.
var leaseScript = redis.NewScript(`
redis.replicate_commands()
local key = KEYS[1]
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local period = tonumber(ARGV[3])
local want = tonumber(ARGV[4])
local interval = period / rate
local burst_offset = interval * burst
local jan_1_2017 = 1483228800
local now = redis.call("TIME")
now = (now[1] - jan_1_2017) + (now[2] / 1000000)
local tat = redis.call("GET", key)
if not tat then tat = now else tat = tonumber(tat) end
tat = math.max(tat, now)
local available = math.floor((now - (tat - burst_offset)) / interval)
if available < 1 then
  return {0, 0, tostring(interval - (now - (tat - burst_offset))), tostring(tat - now)}
end
local n = math.min(want, available)
local new_tat = tat + interval * n
local reset_after = new_tat - now
redis.call("SET", key, new_tat, "EX", math.ceil(reset_after))
return {n, available - n, "-1", tostring(reset_after)}
`)

// takeLease takes up to want tokens of key's budget from Redis in one call.
func (l *Limiter) takeLease(ctx context.Context, key string, lim Limit, want int) (*redis_rate.Result, error) {
	v, err := leaseScript.Run(ctx, l.cache.Client, []string{"rate:" + l.prefix + key},
		max(lim.Burst, 1), max(lim.Rate, 1), lim.Period.Seconds(), want).Slice()
	if err != nil {
		return nil, err
	}
	if len(v) != 4 {
		return nil, fmt.Errorf("rate limit script answered %v", v)
	}
	allowed, _ := v[0].(int64)
	remaining, _ := v[1].(int64)
	retry, err1 := strconv.ParseFloat(fmt.Sprint(v[2]), 64)
	reset, err2 := strconv.ParseFloat(fmt.Sprint(v[3]), 64)
	if err := errors.Join(err1, err2); err != nil {
		return nil, fmt.Errorf("rate limit script: %w", err)
	}
	return &redis_rate.Result{Limit: lim, Allowed: int(allowed), Remaining: int(remaining),
		RetryAfter: seconds(retry), ResetAfter: seconds(reset)}, nil
}

func seconds(f float64) time.Duration {
	if f < 0 {
		return -1
	}
	return time.Duration(f * float64(time.Second))
}

// localLimiter is the in-process GCRA, the same algorithm (and the same arithmetic) as
// redis_rate's script, so a Redis outage changes where the state lives, not what a
// client experiences. It keeps one theoretical arrival time (TAT) per key, updated with
// compare-and-swap: requests of one key contend on nothing else, and the table's lock is
// taken for writing only to add or forget keys.
type localLimiter struct {
	mu  sync.RWMutex
	tat map[string]*atomic.Int64 // Unix nanoseconds
	max int
}

func newLocalLimiter(size int) *localLimiter {
	return &localLimiter{tat: map[string]*atomic.Int64{}, max: size}
}

// allow spends one request of key's budget at time now.
func (l *localLimiter) allow(key string, lim Limit, now time.Time) Result {
	// At least 1 ns: an absurdly high configured rate must not divide by zero.
	interval := int64(max(lim.Period/time.Duration(max(lim.Rate, 1)), 1))
	burstOffset := interval * int64(max(lim.Burst, 1))
	ns := now.UnixNano()

	l.mu.RLock()
	cell := l.tat[key]
	l.mu.RUnlock()
	if cell == nil {
		l.mu.Lock()
		if cell = l.tat[key]; cell == nil {
			if len(l.tat) >= l.max {
				l.evictLocked(ns)
			}
			cell = new(atomic.Int64)
			l.tat[key] = cell
		}
		l.mu.Unlock()
	}
	for {
		old := cell.Load()
		tat := max(old, ns)
		newTAT := tat + interval
		diff := ns - (newTAT - burstOffset)
		if diff < 0 {
			return Result{Allowed: false, Remaining: 0, RetryAfter: time.Duration(-diff), ResetAfter: time.Duration(tat - ns)}
		}
		if cell.CompareAndSwap(old, newTAT) {
			return Result{Allowed: true, Remaining: int(diff / interval), RetryAfter: -1, ResetAfter: time.Duration(newTAT - ns)}
		}
	}
}

// evictLocked forgets keys whose budget is full again (their state is the same as no
// state). If every key is still active, arbitrary ones are dropped until a tenth of
// the room is free: those clients get a fresh burst, which bounds memory and still
// never lifts the rate limit itself.
func (l *localLimiter) evictLocked(now int64) {
	for k, t := range l.tat {
		if t.Load() <= now {
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
