// Package store opens geopol's persistence: the forecast database (PostgreSQL or an
// embedded SQLite file) and the cache (Redis or in-process), and applies the embedded
// migrations. The GDELT event store, a SQLite file of its own, is package gdelt's; it
// opens with this package's SQLiteDSN.
package store

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/glebarez/sqlite"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"geopol/config"
)

// Dialect names, as GORM reports them from db.Dialector.Name().
const (
	Postgres = "postgres"
	SQLite   = "sqlite"
)

// Now is the clock every row timestamp comes from: UTC, at microsecond precision
// because that is what PostgreSQL keeps, so a value read back equals the one written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// OpenDatabase opens the forecast database the configuration names and checks that it
// answers. It does not migrate; see Migrate.
func OpenDatabase(ctx context.Context, cfg *config.Config, log *slog.Logger) (*gorm.DB, error) {
	var dialector gorm.Dialector
	if cfg.UsesPostgres() {
		dialector = postgres.Open(cfg.DatabaseURL)
	} else {
		dsn, err := SQLiteDSN(cfg.SQLitePath, true)
		if err != nil {
			return nil, SQLiteOpenError(cfg.SQLitePath, "SQLITE_PATH", err)
		}
		dialector = sqlite.Open(dsn)
	}
	// A SQLite file this process may not write fails here or at the ping below, with
	// words of the driver's that do not say so: SQLiteOpenError does.
	explain := func(err error) error {
		if cfg.UsesPostgres() {
			return err
		}
		return SQLiteOpenError(cfg.SQLitePath, "SQLITE_PATH", err)
	}
	db, err := gorm.Open(dialector, gormConfig(log))
	if err != nil {
		return nil, explain(fmt.Errorf("open %s: %w", cfg.DatabaseLabel(), err))
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	if cfg.UsesPostgres() {
		// Explicit pool: PostgreSQL's default max_connections is 100, and several API
		// and ingest processes share it, so each process stays well under it.
		sqlDB.SetMaxOpenConns(cfg.DBMaxOpenConns)
		sqlDB.SetMaxIdleConns(cfg.DBMaxIdleConns)
		// Recycle connections so a failover or pgbouncer restart is picked up.
		sqlDB.SetConnMaxLifetime(cfg.DBConnLifetime)
	} else {
		// SQLite has one writer at a time (WAL lets readers run beside it); a few
		// connections are enough, and more only queue on the write lock.
		sqlDB.SetMaxOpenConns(min(cfg.DBMaxOpenConns, 4))
		sqlDB.SetMaxIdleConns(min(cfg.DBMaxIdleConns, 4))
	}
	pingCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		_ = sqlDB.Close()
		return nil, explain(fmt.Errorf("connect %s: %w", cfg.DatabaseLabel(), err))
	}
	return db, nil
}

// gormConfig is the one GORM configuration every database here uses.
func gormConfig(log *slog.Logger) *gorm.Config {
	return &gorm.Config{
		// Map driver errors to gorm.ErrDuplicatedKey / ErrForeignKeyViolated so handlers
		// can answer 409/422 without knowing the dialect.
		TranslateError: true,
		// Timestamps are UTC everywhere: PostgreSQL timestamptz would convert anyway,
		// but SQLite stores the text it is given, and mixed offsets would break ordering.
		NowFunc: Now,
		// Faults and slow queries go to the application log with the request id;
		// expected answers (not found, duplicates, constraints) only at debug.
		Logger: gormLogger{log: log},
	}
}

// SQLiteDSN builds a DSN for a SQLite file with the pragmas geopol relies on, creating
// the parent directory. Every pooled connection runs these pragmas when it opens. The
// forecast database asks for foreign keys; the GDELT event store (package gdelt), which
// has no foreign keys, does not.
func SQLiteDSN(path string, foreignKeys bool) (string, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("create directory for %s: %w", path, err)
		}
	}
	q := url.Values{}
	// WAL: readers do not block the writer and the writer does not block readers.
	q.Add("_pragma", "journal_mode(WAL)")
	// Wait up to 30 s for the write lock instead of failing with SQLITE_BUSY.
	q.Add("_pragma", "busy_timeout(30000)")
	// NORMAL is durable across application crashes in WAL mode; only an OS crash can
	// lose the last transactions, which an ingest re-run or client retry restores.
	q.Add("_pragma", "synchronous(NORMAL)")
	if foreignKeys {
		q.Add("_pragma", "foreign_keys(1)") // off by default in SQLite
	}
	// BEGIN IMMEDIATE takes the write lock at the start of a transaction, so two writers
	// queue on busy_timeout instead of deadlocking when a read lock is upgraded.
	q.Set("_txlock", "immediate")
	return path + "?" + q.Encode(), nil
}

// Dialect returns Postgres or SQLite for an open database.
func Dialect(db *gorm.DB) string { return db.Dialector.Name() }

// Close closes the database's connection pool.
func Close(db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}
