package gdelt

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"geopol/config"
	"geopol/migrations"
	"geopol/store"
)

// Migrations is the event store's migration set: migrations/gdelt/<dialect>, recorded in
// a revision table of its own so the events can share a PostgreSQL database with the
// forecasts without their migrations mixing.
var Migrations = store.MigrationSet{Name: "migrations/gdelt", FS: migrations.GDELT, Table: "gdelt_schema_revisions"}

// Store is the GDELT event store: by default a SQLite file of its own, separate from the
// forecast database, so that bulk ingest never contends with API writes; or, with
// GDELT_DATABASE_URL, a PostgreSQL database (the forecast database or another) that
// several API processes and one watcher share. It owns its connection pool; callers reach
// the events only through its methods. A Store is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect string        // store.SQLite or store.Postgres
	path    string        // the SQLite file
	label   string        // the PostgreSQL database, without credentials
	pool    *pgxpool.Pool // PostgreSQL: COPY and the ingest writers use it directly
	months  sync.Map      // PostgreSQL: monthly partitions known to exist (int -> struct{})
}

// Open opens (creating if needed) the SQLite event store at path in WAL mode with
// busy_timeout=30000 and synchronous=NORMAL (store.SQLiteDSN, without foreign keys),
// through the forecast database's driver (github.com/glebarez/sqlite), and brings its
// schema up to date with the event store's migrations, once: ingest and queries rely on
// that and never migrate again. A file written before the migrations existed (PRAGMA
// user_version = 1) is adopted in place: its table already has the baseline's shape.
// log is taken as store.OpenDatabase takes it, but nothing is written to it.
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
	s := &Store{db: db, dialect: store.SQLite, path: path, label: path}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, explain(err)
	}
	return s, nil
}

// OpenPostgres opens the PostgreSQL event store at url (postgres://...) and applies the
// event store's migrations (serialised across processes by an advisory lock). The pool
// holds at most maxConns connections (at least 4: two ingest writers, API readers).
func OpenPostgres(ctx context.Context, databaseURL string, maxConns int) (*Store, error) {
	label := redactURL(databaseURL)
	pcfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("GDELT_DATABASE_URL: %w", err)
	}
	pcfg.MaxConns = int32(max(maxConns, 4))
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open GDELT store %s: %w", label, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect GDELT store %s: %w", label, err)
	}
	db := stdlib.OpenDBFromPool(pool)
	s := &Store{db: db, dialect: store.Postgres, label: label, pool: pool}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		pool.Close()
		return nil, fmt.Errorf("GDELT store %s: %w", label, err)
	}
	return s, nil
}

// OpenConfigured opens the event store the configuration names: PostgreSQL at
// GDELT_DATABASE_URL when it is set, else the SQLite file at GDELT_DB_PATH.
func OpenConfigured(ctx context.Context, cfg *config.Config, log *slog.Logger) (*Store, error) {
	if cfg.GDELTDatabaseURL != "" {
		return OpenPostgres(ctx, cfg.GDELTDatabaseURL, cfg.DBMaxOpenConns)
	}
	return Open(ctx, cfg.GDELTDBPath, log)
}

// migrate applies the event store's migration set through a GORM handle on the store's
// own pool (the runner is GORM's; queries here are not).
func (s *Store) migrate(ctx context.Context) error {
	var dialector gorm.Dialector
	if s.dialect == store.Postgres {
		dialector = postgres.New(postgres.Config{Conn: s.db})
	} else {
		dialector = &sqlite.Dialector{Conn: s.db}
	}
	gdb, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true})
	if err != nil {
		return err
	}
	_, err = Migrations.Migrate(ctx, gdb)
	return err
}

// Dialect is store.SQLite or store.Postgres.
func (s *Store) Dialect() string { return s.dialect }

// Path returns the SQLite file the store was opened at ("" on PostgreSQL).
func (s *Store) Path() string { return s.path }

// Label names the store for health and logs: the SQLite path, or the PostgreSQL
// database's URL without credentials.
func (s *Store) Label() string { return s.label }

// Close closes the store's connection pool.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.pool != nil {
		s.pool.Close()
	}
	return err
}

// q adapts a statement written with ? placeholders to the store's dialect: PostgreSQL
// numbers them ($1, $2, ...). Quoted text is left alone.
func (s *Store) q(stmt string) string {
	if s.dialect != store.Postgres {
		return stmt
	}
	var b strings.Builder
	n, quoted := 0, false
	for i := 0; i < len(stmt); i++ {
		c := stmt[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			fmt.Fprintf(&b, "$%d", n)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// redactURL drops the password from a database URL.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "postgres database"
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	u.RawQuery = ""
	return u.String()
}

// SQL is the store's database/sql pool, for schema inspection (the drift test); the
// store's own reads and writes go through its methods.
func (s *Store) SQL() *sql.DB { return s.db }
