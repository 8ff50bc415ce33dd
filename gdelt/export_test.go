package gdelt

import "context"

// This file lends package gdelt_test what only tests need of the store's internals.

// QueryInt runs query, which must return one integer (a count), on the store's pool.
func (s *Store) QueryInt(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&n)
	return n, err
}

// Migrate runs the schema migration again on an open store (Open already ran it).
func (s *Store) Migrate(ctx context.Context) error { return migrate(ctx, s.db) }
