package apikey

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"geopol/models"
)

const (
	// keyCacheTTL bounds how long a process serves a valid key from memory before it reads
	// the row again.
	keyCacheTTL = 30 * time.Second
	// keyCacheMax bounds the keys a process keeps.
	keyCacheMax = 10_000
	// revocationPollEvery is how old the last revocation check may be before a request
	// starts the next one (in the background); revocationTrust is how old it may be for
	// cached keys to be served at all. A revocation committed at T is therefore honoured
	// by every process from T + revocationTrust on, however the checks are timed; while
	// the checks fail (the database is unreachable), every request reads its key row.
	revocationPollEvery = 300 * time.Millisecond
	revocationTrust     = 900 * time.Millisecond
	// revocationPollTimeout bounds one check.
	revocationPollTimeout = 2 * time.Second
	// lastUsedInterval is the coarsest last_used_at resolution worth a write: at most one
	// UPDATE per key per minute and process, and at most one changed row per minute.
	lastUsedInterval = time.Minute
	// usageFlushDelay is how long last_used_at writes wait to be written together, off
	// the request path.
	usageFlushDelay = time.Second
)

// Key is an authenticated key as the API needs it: the id, hash and client name, never
// the key.
type Key struct {
	ID       int64
	Hash     string
	Client   string
	LastUsed *time.Time
}

// Lookup reads the unrevoked key with this hash from the database:
// gorm.ErrRecordNotFound when there is none.
func Lookup(ctx context.Context, db *gorm.DB, hash string) (*Key, error) {
	var row models.ApiKey
	if err := db.WithContext(ctx).Where("key_hash = ?", hash).Take(&row).Error; err != nil {
		return nil, err
	}
	// The index found the row; the comparison that decides is still constant-time.
	if !sameHash(row.KeyHash, hash) || row.RevokedAt != nil {
		return nil, gorm.ErrRecordNotFound
	}
	return &Key{ID: row.ID, Hash: row.KeyHash, Client: row.ClientName, LastUsed: row.LastUsedAt}, nil
}

// KeyCache is one API process's memory of valid keys, so that a request with a known key
// costs no database or Redis call. The database stays the authority on revocation:
//
//   - an entry lives keyCacheTTL at most, and only keys the database found valid enter;
//   - Forget drops a key at once (the process that revokes it refuses it on its next
//     request);
//   - every revocationPollEvery at most, one request starts a background check of the
//     api_keys revocations (a count and the newest id, one small query); when they
//     changed, every entry is dropped. Entries are served only while the last successful
//     check started less than revocationTrust ago, so a revocation by any process (the
//     CLI, another API instance, on one SQLite file or one PostgreSQL) is honoured
//     everywhere within revocationTrust, with or without Redis, and no outage of Redis
//     can bring a revoked key back.
//
// Lookups racing a revocation cannot re-insert a stale entry: an entry read before a
// drop is discarded (generation check). Unknown and revoked keys are never cached. The
// zero value is ready to use.
type KeyCache struct {
	mu      sync.RWMutex // a known key is served under the read lock
	entries map[string]keyEntry
	gen     uint64 // bumped by every drop; entries read under an older one are discarded
	seen    revocations
	// checkedAt is when (Unix ns) the last successful revocation check started, 0 before
	// the first; lastCheck when the last one started.
	checkedAt atomic.Int64
	lastCheck atomic.Int64
	// inflight is closed when the revocation check under way ends; nil when none runs
	// (running says so without the lock).
	checkMu  sync.Mutex
	inflight chan struct{}
	running  atomic.Bool
}

type keyEntry struct {
	key     *Key // shared with callers, never changed
	expires time.Time
}

// revocations fingerprints the revoked keys: revocations are never undone, so any new
// one changes the count.
type revocations struct {
	N     int64
	MaxID int64
}

// Cached returns the key with this hash when the process knows it as valid and its
// last revocation check is recent enough to trust; it never waits on the database. db
// serves the background revocation check it may start. The Key is shared: callers must
// not change it.
func (kc *KeyCache) Cached(db *gorm.DB, hash string) (*Key, bool) {
	now := time.Now()
	ns := now.UnixNano()
	if ns-kc.lastCheck.Load() >= int64(revocationPollEvery) && !kc.running.Load() {
		kc.startCheck(db)
	}
	if !kc.trusted(ns) {
		return nil, false
	}
	kc.mu.RLock()
	e, ok := kc.entries[hash]
	kc.mu.RUnlock()
	if !ok || !now.Before(e.expires) || !sameHash(e.key.Hash, hash) {
		return nil, false
	}
	return e.key, true
}

// Lookup returns the unrevoked key with this hash, from memory (Cached) or else from the
// database, remembering a valid one: gorm.ErrRecordNotFound when there is none.
func (kc *KeyCache) Lookup(ctx context.Context, db *gorm.DB, hash string) (*Key, error) {
	if k, ok := kc.Cached(db, hash); ok {
		return k, nil
	}
	if !kc.trusted(time.Now().UnixNano()) {
		// The last check is too old to serve entries (the first request, or checks
		// slowed by load): wait for the one check under way rather than each request
		// reading its row, which under load would queue the check itself behind them.
		select {
		case <-kc.startCheck(db):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if k, ok := kc.Cached(db, hash); ok {
			return k, nil
		}
	}
	now := time.Now()
	kc.mu.Lock()
	gen := kc.gen
	kc.mu.Unlock()

	k, err := Lookup(ctx, db, hash)
	if err != nil {
		return nil, err
	}
	kc.mu.Lock()
	if kc.gen == gen {
		if kc.entries == nil {
			kc.entries = map[string]keyEntry{}
		}
		if len(kc.entries) >= keyCacheMax {
			kc.evictLocked(now)
		}
		kc.entries[hash] = keyEntry{key: k, expires: now.Add(keyCacheTTL)}
	}
	kc.mu.Unlock()
	return k, nil
}

// Forget drops the key with this hash (the caller revoked it), and any lookup of it
// under way cannot bring it back.
func (kc *KeyCache) Forget(hash string) {
	kc.mu.Lock()
	delete(kc.entries, hash)
	kc.gen++
	kc.mu.Unlock()
}

// trusted reports whether the last successful revocation check, at ns, is recent enough
// to serve cached entries.
func (kc *KeyCache) trusted(ns int64) bool {
	checked := kc.checkedAt.Load()
	return checked != 0 && ns-checked < int64(revocationTrust)
}

// startCheck starts a revocation check in the background unless one is under way, and
// returns the channel closed when that check ends.
func (kc *KeyCache) startCheck(db *gorm.DB) <-chan struct{} {
	kc.checkMu.Lock()
	defer kc.checkMu.Unlock()
	if kc.inflight != nil {
		return kc.inflight
	}
	done := make(chan struct{})
	kc.inflight = done
	kc.running.Store(true)
	start := time.Now().UnixNano()
	kc.lastCheck.Store(start)
	go func() {
		kc.check(db, start)
		kc.checkMu.Lock()
		kc.inflight = nil
		kc.running.Store(false)
		kc.checkMu.Unlock()
		close(done)
	}()
	return done
}

// check reads the revocation fingerprint and drops every entry when it changed (or when
// it is the first one: entries read before it are not known to predate anything).
func (kc *KeyCache) check(db *gorm.DB, start int64) {
	ctx, cancel := context.WithTimeout(context.Background(), revocationPollTimeout)
	defer cancel()
	var r revocations
	err := db.WithContext(ctx).Model(&models.ApiKey{}).Where("revoked_at IS NOT NULL").
		Select("COUNT(*) AS n, COALESCE(MAX(id), 0) AS max_id").Scan(&r).Error
	if err != nil {
		slog.Debug("api key revocation check failed; keys are read from the database until one succeeds", "error", err.Error())
		return
	}
	kc.mu.Lock()
	defer kc.mu.Unlock()
	if kc.checkedAt.Load() == 0 || r != kc.seen {
		clear(kc.entries)
		kc.gen++
	}
	kc.seen = r
	// Published after the drop: a reader that trusts this check sees no dropped entry.
	if start > kc.checkedAt.Load() {
		kc.checkedAt.Store(start)
	}
}

// evictLocked drops expired entries and, if still full, arbitrary ones (map order) until
// a tenth of the room is free: a dropped key costs one database read.
func (kc *KeyCache) evictLocked(now time.Time) {
	for h, e := range kc.entries {
		if !now.Before(e.expires) {
			delete(kc.entries, h)
		}
	}
	for h := range kc.entries {
		if len(kc.entries) < keyCacheMax-keyCacheMax/10 {
			break
		}
		delete(kc.entries, h)
	}
}

// UsageRecorder keeps last_used_at off the request path: Record only notes a use, and the
// rows are written together usageFlushDelay later in the background (or by Flush). A key's
// row is written at most once a minute per process, and the conditional UPDATE keeps
// several processes to one changed row a minute as well. Its zero value is ready to use.
type UsageRecorder struct {
	mu sync.Mutex
	// touched is when this process last noted a write of last_used_at for each key id.
	touched map[int64]time.Time
	// pending are the writes not made yet, and db where to make them.
	pending   map[int64]time.Time
	db        *gorm.DB
	scheduled bool
	// flushing serializes writers, so a Flush returns after every earlier write.
	flushing sync.Mutex
}

// Record notes that k was used at now; the row is written later when the last recorded
// use is a minute old or more.
func (u *UsageRecorder) Record(db *gorm.DB, k *Key, now time.Time) {
	if k.LastUsed != nil && now.Sub(*k.LastUsed) < lastUsedInterval {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.touched == nil {
		u.touched, u.pending = map[int64]time.Time{}, map[int64]time.Time{}
	}
	if last, ok := u.touched[k.ID]; ok && now.Sub(last) < lastUsedInterval {
		return
	}
	u.touched[k.ID] = now
	u.pending[k.ID] = now
	u.db = db
	if !u.scheduled {
		u.scheduled = true
		time.AfterFunc(usageFlushDelay, func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if err := u.Flush(ctx); err != nil {
				slog.Warn("api key last_used_at not recorded", "error", err.Error())
			}
		})
	}
}

// Flush writes the pending last_used_at values now.
func (u *UsageRecorder) Flush(ctx context.Context) error {
	u.flushing.Lock()
	defer u.flushing.Unlock()
	u.mu.Lock()
	pending, db := u.pending, u.db
	u.pending, u.scheduled = map[int64]time.Time{}, false
	u.mu.Unlock()
	var first error
	for id, at := range pending {
		err := db.WithContext(ctx).Model(&models.ApiKey{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, at.Add(-lastUsedInterval)).
			Update("last_used_at", at).Error
		if err != nil && first == nil {
			first = err
		}
	}
	return first
}

// sameHash compares two key hashes in constant time (as subtle.ConstantTimeCompare),
// reading the strings in place rather than copying them into byte slices.
func sameHash(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}
