package apikey_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// countKeyReads counts the api_keys row reads (not the revocation checks) made on db.
func countKeyReads(t *testing.T, db *gorm.DB) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	err := db.Callback().Query().Before("gorm:query").Register("count_key_reads", func(tx *gorm.DB) {
		if tx.Statement.Table == "api_keys" {
			n.Add(1)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return &n
}

// warm looks the key up until the cache serves it (its first revocation check is done).
func warm(t *testing.T, kc *apikey.KeyCache, db *gorm.DB, hash string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := kc.Lookup(context.Background(), db, hash); err != nil {
			t.Fatal(err)
		}
		if _, ok := kc.Cached(db, hash); ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the key cache never served the key")
		}
	}
}

// cachedKey creates a key of client "c" and a key cache that serves it, and counts the
// key rows read on db from then on.
func cachedKey(t *testing.T, db *gorm.DB) (hash string, kc *apikey.KeyCache, reads *atomic.Int64) {
	t.Helper()
	key, _, err := apikey.Create(context.Background(), db, "c")
	if err != nil {
		t.Fatal(err)
	}
	kc = &apikey.KeyCache{}
	reads = countKeyReads(t, db)
	warm(t, kc, db, apikey.Hash(key))
	if reads.Load() == 0 {
		t.Fatal("the first lookup read no row: the counter counts nothing")
	}
	reads.Store(0)
	return apikey.Hash(key), kc, reads
}

// A known key is served from memory: a thousand lookups read no row.
func TestKeyCacheServesWithoutReads(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		hash, kc, reads := cachedKey(t, db)
		for i := 0; i < 1000; i++ {
			if k, err := kc.Lookup(context.Background(), db, hash); err != nil || k.Client != "c" {
				t.Fatalf("%+v %v", k, err)
			}
		}
		if n := reads.Load(); n > 1 { // one at most: a lookup in the instant a check dropped the entries
			t.Errorf("%d key reads for 1000 lookups of a known key", n)
		}
	})
}

// When the last revocation check is too old to trust (checks slowed by load), requests
// wait for one check and are served from memory, rather than each reading its row: under
// load those reads would queue the check itself behind them and keep the trust lapsed.
func TestKeyCacheWaitsForOneCheckWhenTrustLapses(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		hash, kc, reads := cachedKey(t, db)
		time.Sleep(1100 * time.Millisecond) // past the trust window, with no request to renew it
		if _, ok := kc.Cached(db, hash); ok {
			t.Fatal("the cache served a key on a check older than its trust window")
		}
		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if k, err := kc.Lookup(context.Background(), db, hash); err != nil || k.Client != "c" {
					errs <- fmt.Errorf("%+v %v", k, err)
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if n := reads.Load(); n > 1 {
			t.Errorf("%d key reads by 64 lookups after the trust lapsed, want one check and no reads", n)
		}
	})
}

// Forget makes the revoking process refuse the key on its very next lookup; a revocation
// written by someone else (the database row alone) is noticed within a second.
func TestKeyCacheRevocation(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		mine, row, _ := apikey.Create(ctx, db, "mine")
		theirs, other, _ := apikey.Create(ctx, db, "theirs")
		var kc apikey.KeyCache
		warm(t, &kc, db, apikey.Hash(mine))
		warm(t, &kc, db, apikey.Hash(theirs))

		if _, err := apikey.Revoke(ctx, db, row.ID); err != nil {
			t.Fatal(err)
		}
		kc.Forget(row.KeyHash)
		if _, err := kc.Lookup(ctx, db, apikey.Hash(mine)); err != gorm.ErrRecordNotFound {
			t.Fatalf("after Forget: %v", err)
		}

		if _, err := apikey.Revoke(ctx, db, other.ID); err != nil {
			t.Fatal(err)
		}
		revoked := time.Now()
		for {
			_, err := kc.Lookup(ctx, db, apikey.Hash(theirs))
			if err == gorm.ErrRecordNotFound {
				break
			}
			if time.Since(revoked) > time.Second {
				t.Fatalf("still valid %v after another process revoked it", time.Since(revoked))
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}

// When the revocation checks cannot run (the database is unreachable), cached keys are
// not trusted beyond a second: lookups go to the database and fail with it, so no
// revocation made meanwhile can be missed.
func TestKeyCacheDistrustsWithoutChecks(t *testing.T) {
	cfg := storetest.Config(t, "")
	db, err := store.OpenDatabase(context.Background(), cfg, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Migrate(context.Background(), db); err != nil {
		t.Fatal(err)
	}
	key, _, _ := apikey.Create(context.Background(), db, "c")
	var kc apikey.KeyCache
	warm(t, &kc, db, apikey.Hash(key))
	if err := store.Close(db); err != nil {
		t.Fatal(err)
	}
	closed := time.Now()
	for {
		if _, ok := kc.Cached(db, apikey.Hash(key)); !ok {
			break
		}
		if time.Since(closed) > time.Second {
			t.Fatalf("the key is still served from memory %v after the checks stopped", time.Since(closed))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := kc.Lookup(context.Background(), db, apikey.Hash(key)); err == nil {
		t.Fatal("a lookup succeeded with the database closed and no recent check")
	}
}

// A use is written to last_used_at in the background, about a second later, without
// anyone calling Flush.
func TestUsageIsWrittenInTheBackground(t *testing.T) {
	db := storetest.SQLite(t)
	_, row, _ := apikey.Create(context.Background(), db, "c")
	var u apikey.UsageRecorder
	now := store.Now()
	u.Record(db, &apikey.Key{ID: row.ID, Hash: row.KeyHash}, now)
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		var r models.ApiKey
		if err := db.Take(&r, row.ID).Error; err != nil {
			t.Fatal(err)
		}
		if r.LastUsedAt != nil && r.LastUsedAt.Equal(now) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("last_used_at not written: %v", r.LastUsedAt)
		}
	}
}
