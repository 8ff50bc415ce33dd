// Package apikey is the lifecycle of geopol's API keys: generation (gp_live_ plus 256
// random bits), the SHA-256 that is the only form stored, creation, lookup for
// authentication (with a process-local key cache that learns of revocations from the
// database within a second), revocation and the batched last_used_at record. The HTTP
// middleware and the CLI both call it.
package apikey

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
	"geopol/validate"
)

// Prefix starts every API key, so a leaked key is recognisable (secret scanners,
// logs) and cannot be mistaken for another credential.
const Prefix = "gp_live_"

// randomLen base62 characters carry 43 * log2(62) = 256.03 bits of entropy.
const randomLen = 43

// DisplayPrefixLen is how much of a key is kept in api_keys.prefix (varchar(12)):
// "gp_live_" and four random characters, enough for a human to tell keys apart.
const DisplayPrefixLen = 12

// MaxClientNameLen matches api_keys.client_name varchar(100).
const MaxClientNameLen = 100

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// ErrAmbiguousPrefix is returned when a display prefix names more than one key.
var ErrAmbiguousPrefix = errors.New("several keys share this prefix; revoke by id")

// New returns a fresh random key. Characters are drawn by rejection sampling
// from crypto/rand, so each of the 62 symbols is equally likely.
func New() (string, error) {
	out := make([]byte, 0, len(Prefix)+randomLen)
	out = append(out, Prefix...)
	buf := make([]byte, 64)
	for len(out) < cap(out) {
		if _, err := rand.Read(buf); err != nil {
			return "", fmt.Errorf("api key: %w", err)
		}
		for _, b := range buf {
			// 248 = 4 * 62: bytes at or above it would bias the modulo, so skip them.
			if b < 248 && len(out) < cap(out) {
				out = append(out, base62[b%62])
			}
		}
	}
	return string(out), nil
}

// WellFormed reports whether s has the shape of a geopol API key: Prefix and randomLen
// base62 characters. Anything else is refused before the database is asked. Every
// request checks this, so it is a loop, not a regular expression.
func WellFormed(s string) bool {
	if len(s) != len(Prefix)+randomLen || !strings.HasPrefix(s, Prefix) {
		return false
	}
	for i := len(Prefix); i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z') {
			return false
		}
	}
	return true
}

// Hash is the only form of a key the database and the cache ever hold.
func Hash(key string) string {
	var buf [64]byte // keys are 51 bytes: hashed from the stack, not a copy on the heap
	var sum [sha256.Size]byte
	if len(key) <= len(buf) {
		sum = sha256.Sum256(buf[:copy(buf[:], key)])
	} else {
		sum = sha256.Sum256([]byte(key))
	}
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:])
	return string(out[:])
}

// NormalizeClientName trims name and checks it fits api_keys.client_name. It returns
// a message for the caller to report, or "" when the name is fine.
func NormalizeClientName(name string) (string, string) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", "must not be empty"
	case len(name) > MaxClientNameLen:
		return "", fmt.Sprintf("must be at most %d bytes", MaxClientNameLen)
	case !printable(name):
		return "", "must be printable UTF-8 text without control characters"
	}
	return name, ""
}

// printable rejects invalid UTF-8, control and format characters (which PostgreSQL
// refuses, or which would let a name spoof log lines and terminal output).
func printable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// Create stores a new key for client and returns it with its row. The key itself
// is returned only here; the row holds its SHA-256 and display prefix.
func Create(ctx context.Context, db *gorm.DB, client string) (string, *models.ApiKey, error) {
	name, msg := NormalizeClientName(client)
	if msg != "" {
		return "", nil, validate.Failed("The client name is invalid.", validate.FieldError{Field: "client_name", Message: msg})
	}
	key, err := New()
	if err != nil {
		return "", nil, err
	}
	row := &models.ApiKey{KeyHash: Hash(key), Prefix: key[:DisplayPrefixLen], ClientName: name, CreatedAt: store.Now()}
	if err := db.WithContext(ctx).Create(row).Error; err != nil {
		return "", nil, err
	}
	return key, row, nil
}

// List returns every key, revoked ones included, oldest first.
func List(ctx context.Context, db *gorm.DB) ([]models.ApiKey, error) {
	var rows []models.ApiKey
	err := db.WithContext(ctx).Order("id").Find(&rows).Error
	return rows, err
}

// Find resolves what an operator typed: a numeric id, a display prefix (which
// must name exactly one key) or a whole key. gorm.ErrRecordNotFound when none match.
func Find(ctx context.Context, db *gorm.DB, ref string) (*models.ApiKey, error) {
	ref = strings.TrimSpace(ref)
	q := db.WithContext(ctx)
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		var row models.ApiKey
		return &row, q.Where("id = ?", id).Take(&row).Error
	}
	if WellFormed(ref) {
		var row models.ApiKey
		return &row, q.Where("key_hash = ?", Hash(ref)).Take(&row).Error
	}
	var rows []models.ApiKey
	if err := q.Where("prefix = ?", ref).Limit(2).Find(&rows).Error; err != nil {
		return nil, err
	}
	switch len(rows) {
	case 0:
		return nil, gorm.ErrRecordNotFound
	case 1:
		return &rows[0], nil
	}
	return nil, ErrAmbiguousPrefix
}

// Revoke marks key id revoked (idempotently: an already revoked key keeps its
// revocation time). The database row is the whole revocation: every API process's
// KeyCache notices it within a second, and the caller's own KeyCache.Forget makes it
// immediate in that process. gorm.ErrRecordNotFound for an unknown id.
func Revoke(ctx context.Context, db *gorm.DB, id int64) (*models.ApiKey, error) {
	now := store.Now()
	if err := db.WithContext(ctx).Model(&models.ApiKey{}).Where("id = ? AND revoked_at IS NULL", id).
		Update("revoked_at", now).Error; err != nil {
		return nil, err
	}
	var row models.ApiKey
	if err := db.WithContext(ctx).Where("id = ?", id).Take(&row).Error; err != nil {
		return nil, err
	}
	return &row, nil
}

// CountActive counts keys that are not revoked.
func CountActive(ctx context.Context, db *gorm.DB) (int64, error) {
	var n int64
	err := db.WithContext(ctx).Model(&models.ApiKey{}).Where("revoked_at IS NULL").Count(&n).Error
	return n, err
}
