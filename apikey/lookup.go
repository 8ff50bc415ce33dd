package apikey

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// ErrKeyCacheStale means a key was revoked in the database but the shared key cache
// could not be updated. Revoking again is safe and completes the job.
var ErrKeyCacheStale = errors.New("api key revoked in the database, but the key cache could not be invalidated")

const (
	// keyCacheTTL bounds how long a valid key's lookup is served from Redis.
	keyCacheTTL = 5 * time.Minute
	// revokedMarkerTTL keeps a revocation marker far longer than any cache entry
	// written before the revocation could live.
	revokedMarkerTTL = 24 * time.Hour
	// lastUsedInterval is the coarsest last_used_at resolution worth a write: at most one
	// UPDATE per key per minute and process, and at most one changed row per minute.
	lastUsedInterval = time.Minute
)

// Key is an authenticated key as the API needs it, and what the key cache holds: the
// id, hash and client name, never the key.
type Key struct {
	ID       int64      `json:"id"`
	Hash     string     `json:"hash"`
	Client   string     `json:"client"`
	LastUsed *time.Time `json:"-"`
}

// cachesKeys reports whether key lookups are cached. Only a shared (Redis) cache is
// used: a revocation made by another process (the CLI, another API instance) could not
// reach an in-process cache, so without Redis every lookup asks the database.
func cachesKeys(cache store.Cache) bool { return cache != nil && cache.Kind() == "redis" }

func keyCacheKey(hash string) string     { return "apikey:" + hash }
func revokedCacheKey(hash string) string { return "apikey-revoked:" + hash }

// Lookup finds the unrevoked key with this hash: gorm.ErrRecordNotFound when there is
// none. A cached entry counts only while no revocation marker exists for the hash; the
// marker (written by Revoke) also defeats an entry that a request racing the revocation
// wrote after it.
func Lookup(ctx context.Context, db *gorm.DB, cache store.Cache, hash string) (*Key, error) {
	if cachesKeys(cache) {
		if b, ok, err := cache.Get(ctx, keyCacheKey(hash)); err == nil && ok {
			var k Key
			if json.Unmarshal(b, &k) == nil && subtle.ConstantTimeCompare([]byte(k.Hash), []byte(hash)) == 1 {
				if _, revoked, err := cache.Get(ctx, revokedCacheKey(hash)); err == nil && !revoked {
					return &k, nil
				}
			}
		}
	}
	var row models.ApiKey
	if err := db.WithContext(ctx).Where("key_hash = ?", hash).Take(&row).Error; err != nil {
		return nil, err
	}
	// The index found the row; the comparison that decides is still constant-time.
	if subtle.ConstantTimeCompare([]byte(row.KeyHash), []byte(hash)) != 1 || row.RevokedAt != nil {
		return nil, gorm.ErrRecordNotFound
	}
	k := &Key{ID: row.ID, Hash: row.KeyHash, Client: row.ClientName, LastUsed: row.LastUsedAt}
	if cachesKeys(cache) {
		if b, err := json.Marshal(k); err == nil {
			_ = cache.Set(ctx, keyCacheKey(hash), b, keyCacheTTL) // a failed write is a later miss
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

// UsageRecorder writes last_used_at at most once a minute per key in this process; the
// conditional UPDATE keeps several processes to one changed row a minute as well. Its
// zero value is ready to use.
type UsageRecorder struct {
	mu sync.Mutex
	// touched is when this process last wrote last_used_at for each key id.
	touched map[int64]time.Time
}

// Record notes that k was used at now, writing the row only when the last recorded use
// is a minute old or more.
func (u *UsageRecorder) Record(ctx context.Context, db *gorm.DB, k *Key, now time.Time) error {
	if k.LastUsed != nil && now.Sub(*k.LastUsed) < lastUsedInterval {
		return nil
	}
	u.mu.Lock()
	if u.touched == nil {
		u.touched = map[int64]time.Time{}
	}
	if last, ok := u.touched[k.ID]; ok && now.Sub(last) < lastUsedInterval {
		u.mu.Unlock()
		return nil
	}
	u.touched[k.ID] = now
	u.mu.Unlock()
	return db.WithContext(ctx).Model(&models.ApiKey{}).
		Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", k.ID, now.Add(-lastUsedInterval)).
		Update("last_used_at", now).Error
}
