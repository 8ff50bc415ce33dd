package apikey_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/apikey"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
	"geopol/validate"
)

func TestNewKeysAreWellFormedAndDistinct(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 500; i++ {
		k, err := apikey.New()
		if err != nil {
			t.Fatal(err)
		}
		if !apikey.WellFormed(k) || !strings.HasPrefix(k, apikey.Prefix) || len(k) != 51 || seen[k] {
			t.Fatalf("key %d: %q", i, k)
		}
		seen[k] = true
	}
	for _, bad := range []string{"", apikey.Prefix, "gp_test_" + strings.Repeat("a", 43), apikey.Prefix + strings.Repeat("a", 42), apikey.Prefix + strings.Repeat("-", 43),
		apikey.Prefix + strings.Repeat("a", 44), apikey.Prefix + strings.Repeat("a", 42) + "\n", "GP_LIVE_" + strings.Repeat("a", 43)} {
		if apikey.WellFormed(bad) {
			t.Errorf("%q accepted as a key", bad)
		}
	}
	// Each character next to the base62 ranges, anywhere in the random part.
	for _, c := range "/:@[`{\x00\x7fé" {
		for _, at := range []int{0, 21, 42} {
			k := []rune(strings.Repeat("a", 43))
			k[at] = c
			if bad := apikey.Prefix + string(k); apikey.WellFormed(bad) {
				t.Errorf("%q accepted as a key", bad)
			}
		}
	}
	good := apikey.Prefix + "09AZaz" + strings.Repeat("m", 37)
	if !apikey.WellFormed(good) {
		t.Errorf("%q refused", good)
	}
	// SHA-256 of "abc", a published test vector.
	if h := apikey.Hash("abc"); h != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Errorf("Hash(abc) = %s", h)
	}
}

func TestNormalizeClientName(t *testing.T) {
	if n, msg := apikey.NormalizeClientName("  globe  "); n != "globe" || msg != "" {
		t.Errorf("trimmed name: %q %q", n, msg)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("x", apikey.MaxClientNameLen+1), "a\x00b", "tab\there", "\u202eevil", "\xff"} {
		if _, msg := apikey.NormalizeClientName(bad); msg == "" {
			t.Errorf("%q accepted as a client name", bad)
		}
	}
}

// The whole lifecycle on each database: create, find by id, prefix and key, look up,
// revoke (idempotently), and the lookup refuses the revoked key.
func TestLifecycle(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		if _, _, err := apikey.Create(ctx, db, " "); !isValidation(err) {
			t.Fatalf("empty client name: %v", err)
		}
		key, row, err := apikey.Create(ctx, db, " dashboard ")
		if err != nil {
			t.Fatal(err)
		}
		if row.ClientName != "dashboard" || row.KeyHash != apikey.Hash(key) || row.Prefix != key[:apikey.DisplayPrefixLen] {
			t.Fatalf("row %+v for key %s", row, key)
		}
		for _, ref := range []string{strconv.FormatInt(row.ID, 10), row.Prefix, key, " " + row.Prefix + " "} {
			got, err := apikey.Find(ctx, db, ref)
			if err != nil || got.ID != row.ID {
				t.Errorf("Find(%q) = %+v, %v", ref, got, err)
			}
		}
		if _, err := apikey.Find(ctx, db, "gp_live_none"); !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("unknown prefix: %v", err)
		}
		k, err := apikey.Lookup(ctx, db, apikey.Hash(key))
		if err != nil || k.ID != row.ID || k.Client != "dashboard" {
			t.Fatalf("Lookup: %+v %v", k, err)
		}
		if n, err := apikey.CountActive(ctx, db); err != nil || n != 1 {
			t.Errorf("CountActive = %d, %v", n, err)
		}
		first, err := apikey.Revoke(ctx, db, row.ID)
		if err != nil || first.RevokedAt == nil {
			t.Fatalf("Revoke: %+v %v", first, err)
		}
		again, err := apikey.Revoke(ctx, db, row.ID)
		if err != nil || !again.RevokedAt.Equal(*first.RevokedAt) {
			t.Errorf("a second revoke moved the revocation time: %v -> %v (%v)", first.RevokedAt, again.RevokedAt, err)
		}
		if _, err := apikey.Lookup(ctx, db, apikey.Hash(key)); !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("a revoked key was found: %v", err)
		}
		if _, err := apikey.Revoke(ctx, db, row.ID+1000); !errors.Is(err, gorm.ErrRecordNotFound) {
			t.Errorf("revoking an unknown id: %v", err)
		}
		if n, err := apikey.CountActive(ctx, db); err != nil || n != 0 {
			t.Errorf("CountActive after revoke = %d, %v", n, err)
		}
	})
}

// Two keys whose display prefixes collide can only be revoked by id.
func TestAmbiguousPrefix(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if err := db.Create(&models.ApiKey{KeyHash: strconv.Itoa(i), Prefix: "gp_live_AAAA", ClientName: "c", CreatedAt: store.Now()}).Error; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := apikey.Find(ctx, db, "gp_live_AAAA"); !errors.Is(err, apikey.ErrAmbiguousPrefix) {
		t.Fatalf("Find on a shared prefix: %v", err)
	}
}

// last_used_at is written on first use, not again within a minute, and again after; a
// use is only noted on the request path, and Flush writes it.
func TestUsageRecorder(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	_, row, err := apikey.Create(ctx, db, "c")
	if err != nil {
		t.Fatal(err)
	}
	var u apikey.UsageRecorder
	k := &apikey.Key{ID: row.ID, Hash: row.KeyHash, Client: row.ClientName}
	t0 := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	lastUsed := func() time.Time {
		var r models.ApiKey
		if err := db.Take(&r, row.ID).Error; err != nil || r.LastUsedAt == nil {
			t.Fatalf("last_used_at: %+v %v", r.LastUsedAt, err)
		}
		return r.LastUsedAt.UTC()
	}
	for _, step := range []struct {
		at   time.Time
		want time.Time
	}{{t0, t0}, {t0.Add(30 * time.Second), t0}, {t0.Add(61 * time.Second), t0.Add(61 * time.Second)}} {
		u.Record(db, k, step.at)
		if err := u.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if got := lastUsed(); !got.Equal(step.want) {
			t.Errorf("after a use at %s: last_used_at %s, want %s", step.at, got, step.want)
		}
	}
}

func isValidation(err error) bool {
	var v *validate.Error
	return errors.As(err, &v) && len(v.Fields) == 1 && v.Fields[0].Field == "client_name"
}
