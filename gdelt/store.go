package gdelt

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/glebarez/sqlite"

	"geopol/store"
)

// Store is the GDELT event store: a SQLite file of its own, separate from the forecast
// database, so that bulk ingest never contends with API writes and the file can be
// rebuilt from GDELT's archive at any time. It owns its connection pool; callers reach
// the events only through its methods. A Store is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

// Open opens (creating if needed) the event store at path in WAL mode with
// busy_timeout=30000 and synchronous=NORMAL (store.SQLiteDSN, without foreign keys),
// through the forecast database's driver (github.com/glebarez/sqlite), and brings its
// schema up to date, once: ingest and queries rely on that and never migrate again.
// log is taken as store.OpenDatabase takes it, but nothing is written to it: the
// event store's queries are plain database/sql, without GORM's query logger.
func Open(ctx context.Context, path string, log *slog.Logger) (*Store, error) {
	// A file this process may not write fails with driver words that do not say so
	// ("out of memory (14)"); SQLiteOpenError names the path and the problem.
	explain := func(err error) error { return store.SQLiteOpenError(path, "GDELT_DB_PATH", err) }
	dsn, err := store.SQLiteDSN(path, false)
	if err != nil {
		return nil, explain(err)
	}
	db, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, explain(fmt.Errorf("open GDELT store %s: %w", path, err))
	}
	// One writer (ingest) and a few API readers.
	db.SetMaxOpenConns(4)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, explain(fmt.Errorf("open GDELT store %s: %w", path, err))
	}
	if err := migrate(ctx, db); err != nil {
		_ = db.Close()
		return nil, explain(err)
	}
	return &Store{db: db, path: path}, nil
}

// Path returns the file the store was opened at.
func (s *Store) Path() string { return s.path }

// Close closes the store's connection pool.
func (s *Store) Close() error { return s.db.Close() }
