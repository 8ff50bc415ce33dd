package gdelt

import (
	"context"
	"database/sql"
	"fmt"
)

// schema is the event store's own migration path: statement lists applied in order,
// the version kept in SQLite's PRAGMA user_version. The events table is not part of the
// forecast database, so it is not in models/ or the Atlas migrations.
var schema = [][]string{
	1: {
		`CREATE TABLE IF NOT EXISTS events (
			global_event_id INTEGER PRIMARY KEY,
			sql_date INTEGER NOT NULL,
			date_added INTEGER NOT NULL,
			actor1_code TEXT NOT NULL DEFAULT '',
			actor1_name TEXT NOT NULL DEFAULT '',
			actor1_country_code TEXT NOT NULL DEFAULT '',
			actor2_code TEXT NOT NULL DEFAULT '',
			actor2_name TEXT NOT NULL DEFAULT '',
			actor2_country_code TEXT NOT NULL DEFAULT '',
			event_code TEXT NOT NULL,
			event_base_code TEXT NOT NULL,
			event_root_code TEXT NOT NULL,
			quad_class INTEGER NOT NULL,
			goldstein REAL NOT NULL,
			num_mentions INTEGER NOT NULL,
			num_sources INTEGER NOT NULL,
			num_articles INTEGER NOT NULL,
			avg_tone REAL NOT NULL,
			action_geo_full_name TEXT NOT NULL DEFAULT '',
			action_geo_country_fips TEXT NOT NULL DEFAULT '',
			action_geo_country_iso TEXT NOT NULL DEFAULT '',
			action_geo_lat REAL,
			action_geo_long REAL,
			source_url TEXT NOT NULL DEFAULT ''
		)`,
		// Country + date: GET /events?country=&start_date=&end_date= and outcome resolution
		// (country, root code, date window).
		`CREATE INDEX IF NOT EXISTS idx_events_country_date ON events (action_geo_country_iso, sql_date)`,
		// Root code + date: event-class queries across countries.
		`CREATE INDEX IF NOT EXISTS idx_events_root_date ON events (event_root_code, sql_date)`,
		// Newest DATEADDED for health; recent-events listings.
		`CREATE INDEX IF NOT EXISTS idx_events_date_added ON events (date_added)`,
	},
}

// migrate brings the event store's schema to the newest version. It is idempotent and
// runs each version in one transaction. Open runs it; nothing else needs to.
func migrate(ctx context.Context, db *sql.DB) error {
	var version int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("gdelt schema: %w", err)
	}
	for v := version + 1; v < len(schema); v++ {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		for _, stmt := range schema[v] {
			if _, err := tx.ExecContext(ctx, stmt); err != nil {
				_ = tx.Rollback()
				return fmt.Errorf("gdelt schema v%d: %w", v, err)
			}
		}
		// PRAGMA takes no parameters; v is an int from the loop.
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
			_ = tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
