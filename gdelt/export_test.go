package gdelt

import "context"

// This file lends package gdelt_test what only tests need of the store's internals.

// QueryInt runs query, which must return one integer (a count), on the store's pool.
// It is written with ? placeholders, as the store's own queries are.
func (s *Store) QueryInt(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, s.q(query), args...).Scan(&n)
	return n, err
}

// Exec runs a statement on the store's pool.
func (s *Store) Exec(ctx context.Context, stmt string, args ...any) error {
	_, err := s.db.ExecContext(ctx, s.q(stmt), args...)
	return err
}

// Migrate runs the schema migration again on an open store (Open already ran it).
func (s *Store) Migrate(ctx context.Context) error { return s.migrate(ctx) }

// Pragmas are the connection settings the store runs with, as SQLite reports them.
type Pragmas struct {
	JournalMode string
	BusyTimeout int
	Synchronous int // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
}

// ReadPragmas asks SQLite for the settings of a pooled connection.
func (s *Store) ReadPragmas(ctx context.Context) (Pragmas, error) {
	var p Pragmas
	if err := s.db.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&p.JournalMode); err != nil {
		return p, err
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&p.BusyTimeout); err != nil {
		return p, err
	}
	if err := s.db.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&p.Synchronous); err != nil {
		return p, err
	}
	return p, nil
}
