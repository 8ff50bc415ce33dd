// Package storetest gives each test its own real database: a fresh PostgreSQL database
// created for the test and dropped after it, a fresh SQLite file in the test's temp dir,
// and a Redis key prefix of its own. Nothing here mocks a database or a cache, and no
// test wipes data another test could see.
//
// The servers come from TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/
// postgres) and TEST_REDIS_URL (default redis://127.0.0.1:6379/0).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the admin connection
	"gorm.io/gorm"

	"geopol/config"
	"geopol/store"
)

// AdminURL is the PostgreSQL server tests create their databases on.
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis server tests use, each under its own key prefix.
func RedisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
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
	admin, err := sql.Open("pgx", AdminURL())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer admin.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	name := Name("geopol_test_")
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("storetest: create database on %s (is PostgreSQL running? see README): %v", AdminURL(), err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", AdminURL())
		if err != nil {
			t.Errorf("storetest: %v", err)
			return
		}
		defer admin.Close()
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("storetest: drop %s: %v", name, err)
		}
	})
	u, err := url.Parse(AdminURL())
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
	prefix := Name("geopol_test_") + ":"
	c, err := store.OpenCache(RedisURL(), prefix)
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	rc := c.(*store.RedisCache)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rc.Ping(ctx); err != nil {
		t.Fatalf("storetest: Redis at %s (is it running? see README): %v", RedisURL(), err)
	}
	t.Cleanup(func() {
		defer rc.Close()
		ctx := context.Background()
		iter := rc.Client.Scan(ctx, 0, prefix+"*", 500).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		if len(keys) > 0 {
			rc.Client.Del(ctx, keys...)
		}
	})
	return rc
}

// Logger discards output unless GEOPOL_TEST_LOG is set.
func Logger() *slog.Logger {
	if os.Getenv("GEOPOL_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}
