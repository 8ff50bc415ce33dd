package metrics

import (
	"context"
	"strings"

	"geopol/store"
)

// cacheKinds are the key kinds reported as the kind label; any other key counts as
// "other", so no key (which may embed ids or hashes) ever becomes a label value.
var cacheKinds = map[string]bool{
	"forecast": true, "list": true, "top": true, "scorecard": true, "countries": true, "country": true,
	"arcs": true, "deltas": true, "riskmap": true, "events": true, "ingest-runs": true, "gen": true,
	"apikey": true, "apikey-revoked": true, "summary": true, "search": true,
}

// CacheKind returns the kind label of a cache key: its first segment after an optional
// wire-version segment ("v2:forecast:<id>" is "forecast"), when it is a known kind.
func CacheKind(key string) string {
	first, rest, found := strings.Cut(key, ":")
	if found && len(first) >= 2 && first[0] == 'v' && strings.Trim(first[1:], "0123456789") == "" {
		first, _, _ = strings.Cut(rest, ":")
	}
	if cacheKinds[first] {
		return first
	}
	return "other"
}

// InstrumentCache returns c counting its reads in CacheRequests. The returned cache
// embeds c, so every other method (and any the interface grows) is c's own.
func InstrumentCache(c store.Cache) store.Cache {
	if c == nil {
		return nil
	}
	if _, done := c.(*countingCache); done {
		return c
	}
	return &countingCache{Cache: c}
}

// Uninstrumented returns the cache InstrumentCache wrapped (c itself otherwise), for
// code that needs the concrete type (the Redis rate limiter).
func Uninstrumented(c store.Cache) store.Cache {
	if cc, ok := c.(*countingCache); ok {
		return cc.Cache
	}
	return c
}

type countingCache struct {
	store.Cache
}

// Get implements store.Cache.
func (c *countingCache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	b, ok, err := c.Cache.Get(ctx, key)
	countRead(key, ok, err)
	return b, ok, err
}

// GetMulti reads several keys, counting each. It uses the wrapped cache's GetMulti
// when it has one (one round trip), else one Get per key.
func (c *countingCache) GetMulti(ctx context.Context, keys ...string) ([][]byte, error) {
	if m, ok := c.Cache.(interface {
		GetMulti(ctx context.Context, keys ...string) ([][]byte, error)
	}); ok {
		vals, err := m.GetMulti(ctx, keys...)
		for i, k := range keys {
			hit := err == nil && i < len(vals) && vals[i] != nil
			countRead(k, hit, err)
		}
		return vals, err
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		b, ok, err := c.Get(ctx, k)
		if err != nil {
			return nil, err
		}
		if ok {
			out[i] = b
		}
	}
	return out, nil
}

func countRead(key string, hit bool, err error) {
	result := "miss"
	switch {
	case err != nil:
		result = "error"
	case hit:
		result = "hit"
	}
	CacheRequests.WithLabelValues(CacheKind(key), result).Inc()
}
