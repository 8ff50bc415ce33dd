// Package storetest gives each test its own real database: a fresh PostgreSQL database
// created for the test and dropped after it, a fresh SQLite file in the test's temp dir,
// and a Redis key prefix of its own. Nothing here mocks a database or a cache, and no
// test wipes data another test could see.
//
// The servers come from TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
// postgres) and TEST_REDIS_URL (default redis://127.0.0.1:6379/0). A test that needs a
// server nobody answers at skips with one line naming the service, the URL it tried and
// the variable that points elsewhere; with GEOPOL_TEST_SERVICES=required (CI) that skip
// is a failure instead.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the admin connection
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"geopol/config"
	"geopol/store"
)

// adminURL is the PostgreSQL server tests create their databases on.
func adminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

func redisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// RedisURL returns the URL of the test Redis, skipping the test when it does not answer.
// A test that passes it to a process of its own must delete the keys it leaves under its
// prefix; RedisPrefix does that.
func RedisURL(t testing.TB) string {
	t.Helper()
	RequireRedis(t)
	return redisURL()
}

// Name returns a unique lower-case name with the given prefix.
func Name(prefix string) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// PostgresURL creates an empty database for this test and returns its URL. The database
// is dropped when the test ends (WITH (FORCE), so a leaked connection cannot keep it).
func PostgresURL(t testing.TB) string {
	t.Helper()
	RequirePostgres(t)
	admin, err := sql.Open("pgx", adminURL())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := Name("geopol_test_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: create database on %s: %v", redact(adminURL()), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", adminURL())
		if err != nil {
			t.Errorf("storetest: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(adminURL())
	if err != nil {
		t.Fatalf("storetest: TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// SQLitePath returns the path of a fresh SQLite file in the test's temp dir.
func SQLitePath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(t.TempDir(), name)
}

// Config returns a testing configuration for the given database URL ("" = SQLite in a
// temp dir) with the in-process cache and a GDELT store in the temp dir.
func Config(t testing.TB, databaseURL string) *config.Config {
	t.Helper()
	dir := t.TempDir()
	cfg, err := config.Load(config.Options{
		ConfigFile: filepath.Join(dir, "absent.yaml"),
		EnvFile:    filepath.Join(dir, "absent.env"),
		Environ: []string{
			"ENVIRONMENT=testing",
			"DATABASE_URL=" + databaseURL,
			"SQLITE_PATH=" + filepath.Join(dir, "geopol.db"),
			"GDELT_DB_PATH=" + filepath.Join(dir, "gdelt.db"),
		},
	})
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	return cfg
}

// Open opens and migrates the forecast database cfg names, closing it after the test.
func Open(t testing.TB, cfg *config.Config) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenDatabase(ctx, cfg, Logger())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	if _, err := store.Migrate(ctx, db); err != nil {
		t.Fatalf("storetest: migrate: %v", err)
	}
	return db
}

// Postgres returns a migrated PostgreSQL database of this test's own.
func Postgres(t testing.TB) *gorm.DB {
	t.Helper()
	return Open(t, Config(t, PostgresURL(t)))
}

// SQLite returns a migrated SQLite database in a fresh file.
func SQLite(t testing.TB) *gorm.DB {
	t.Helper()
	return Open(t, Config(t, ""))
}

// Dialects runs f once against each real database, as subtests named after the dialect.
func Dialects(t *testing.T, f func(t *testing.T, db *gorm.DB)) {
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
}

// Redis returns a Redis cache under a key prefix of this test's own; the prefix's keys
// are deleted after the test.
func Redis(t testing.TB) *store.RedisCache {
	t.Helper()
	c, err := store.OpenCache(RedisURL(t), RedisPrefix(t))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	rc := c.(*store.RedisCache)
	t.Cleanup(func() { _ = rc.Close() })
	return rc
}

// RedisPrefix returns a key prefix of this test's own on the test Redis and deletes every
// key under it when the test ends, including the rate limiter's ("rate:" + prefix), so a
// test, and the processes it starts with the prefix, leave nothing behind.
func RedisPrefix(t testing.TB) string {
	t.Helper()
	prefix := Name("geopol_test_") + ":"
	opts, err := redis.ParseURL(RedisURL(t))
	if err != nil {
		t.Fatalf("storetest: TEST_REDIS_URL: %v", err)
	}
	t.Cleanup(func() {
		client := redis.NewClient(opts)
		defer client.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, pattern := range []string{prefix + "*", "rate:" + prefix + "*"} {
			iter := client.Scan(ctx, 0, pattern, 500).Iterator()
			for iter.Next(ctx) {
				if err := client.Del(ctx, iter.Val()).Err(); err != nil {
					t.Errorf("storetest: delete %s: %v", iter.Val(), err)
				}
			}
			if err := iter.Err(); err != nil {
				t.Errorf("storetest: scan %s: %v", pattern, err)
			}
		}
	})
	return prefix
}

// Logger discards output unless GEOPOL_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("GEOPOL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// JSONStrings decodes a stored JSON array of strings (such as an outcome's evidence ids),
// failing the test on NULL, on any other JSON value and on bytes that are not JSON, so
// that a missing or damaged column never reads as an empty list.
func JSONStrings(t testing.TB, stored []byte) []string {
	t.Helper()
	var out []string
	if err := json.Unmarshal(stored, &out); err != nil {
		t.Fatalf("stored %q is not a JSON array of strings: %v", stored, err)
	}
	if out == nil {
		t.Fatalf("stored %q is not a JSON array of strings", stored)
	}
	return out
}

// Near fails the test unless got is present and within 1e-9 of want: scorecard numbers
// are compared with hand-computed values this way.
func Near(t testing.TB, what string, got *float64, want float64) {
	t.Helper()
	switch {
	case got == nil:
		t.Errorf("%s = null, want %.10g", what, want)
	case math.Abs(*got-want) > 1e-9:
		t.Errorf("%s = %.10g, want %.10g", what, *got, want)
	}
}
