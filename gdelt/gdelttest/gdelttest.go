// Package gdelttest opens real GDELT event stores for tests: a SQLite file in the test's
// temp dir, or a PostgreSQL database of the test's own (storetest.PostgresURL, dropped
// after the test). Stores runs a test on both.
package gdelttest

import (
	"context"
	"path/filepath"
	"testing"

	"geopol/gdelt"
	"geopol/store/storetest"
)

// SQLite opens a fresh SQLite event store, closed after the test.
func SQLite(t testing.TB) *gdelt.Store {
	t.Helper()
	gs, err := gdelt.Open(context.Background(), filepath.Join(t.TempDir(), "gdelt.db"), storetest.Logger())
	if err != nil {
		t.Fatalf("gdelttest: %v", err)
	}
	t.Cleanup(func() { _ = gs.Close() })
	return gs
}

// PostgresAt opens the PostgreSQL event store at url, closed after the test.
func PostgresAt(t testing.TB, url string) *gdelt.Store {
	t.Helper()
	gs, err := gdelt.OpenPostgres(context.Background(), url, 4)
	if err != nil {
		t.Fatalf("gdelttest: %v", err)
	}
	t.Cleanup(func() { _ = gs.Close() })
	return gs
}

// Postgres opens a fresh PostgreSQL event store in a database of the test's own.
func Postgres(t testing.TB) *gdelt.Store {
	t.Helper()
	return PostgresAt(t, storetest.PostgresURL(t))
}

// Stores runs f once on each backend, as subtests named sqlite and postgres.
func Stores(t *testing.T, f func(t *testing.T, gs *gdelt.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, SQLite(t)) })
	t.Run("postgres", func(t *testing.T) { f(t, Postgres(t)) })
}
