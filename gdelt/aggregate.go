package gdelt

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// CountryDay is the event store's activity in one country on one event day, counting
// the events GDELT published on one day: the input of the baseline country risk.
type CountryDay struct {
	CountryISO string    // ActionGeo country, ISO 3166-1 alpha-3
	Day        time.Time // SQLDATE, UTC midnight
	Published  time.Time // the DATEADDED day the events were published, UTC midnight
	Events     int
	// Conflict sums each event's conflict intensity max(0, -Goldstein)/10, in [0, 1].
	Conflict float64
	// NewestAdded is the newest DATEADDED among these events.
	NewestAdded time.Time
}

// Newest returns the publication time (DATEADDED) of the newest event, or the zero time
// when the store is empty: the "as of" of everything derived from the store.
func (s *Store) Newest(ctx context.Context) (time.Time, error) {
	var newest sql.NullInt64
	if err := s.db.QueryRowContext(ctx, "SELECT max(date_added) FROM events").Scan(&newest); err != nil {
		return time.Time{}, err
	}
	if !newest.Valid {
		return time.Time{}, nil
	}
	return parseDateAdded(newest.Int64)
}

// CountryDays returns per-country, per-day activity of the events published since
// since, for events whose action location maps to an ISO country.
func (s *Store) CountryDays(ctx context.Context, since time.Time) ([]CountryDay, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`
		SELECT action_geo_country_iso, sql_date, date_added / 1000000, count(*),
		       sum(CASE WHEN goldstein < 0 THEN -goldstein / 10.0 ELSE 0 END), max(date_added)
		FROM events
		WHERE date_added >= ? AND action_geo_country_iso <> ''
		GROUP BY action_geo_country_iso, sql_date, date_added / 1000000`), dateAdded(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CountryDay
	for rows.Next() {
		var d CountryDay
		var day, published int
		var newest int64
		if err := rows.Scan(&d.CountryISO, &day, &published, &d.Events, &d.Conflict, &newest); err != nil {
			return nil, err
		}
		if d.Day, err = parseSQLDate(day); err != nil {
			continue // a malformed SQLDATE (the parser already refuses them) counts for nothing
		}
		if d.Published, err = parseSQLDate(published); err != nil {
			continue
		}
		if d.NewestAdded, err = parseDateAdded(newest); err != nil {
			continue
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ActorPair is the traffic between two actor countries: events whose Actor1 belongs to
// Source and Actor2 to Target (CAMEO country codes as GDELT publishes them).
type ActorPair struct {
	Source, Target string
	Events         int
	MeanGoldstein  float64
}

// ActorPairs returns, for the events published since since, every ordered pair of
// distinct actor countries with its event count and mean Goldstein value, busiest first.
func (s *Store) ActorPairs(ctx context.Context, since time.Time) ([]ActorPair, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`
		SELECT actor1_country_code, actor2_country_code, count(*), avg(goldstein)
		FROM events
		WHERE date_added >= ? AND actor1_country_code <> '' AND actor2_country_code <> ''
		  AND actor1_country_code <> actor2_country_code
		GROUP BY actor1_country_code, actor2_country_code
		ORDER BY count(*) DESC, actor1_country_code, actor2_country_code`), dateAdded(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ActorPair
	for rows.Next() {
		var p ActorPair
		if err := rows.Scan(&p.Source, &p.Target, &p.Events, &p.MeanGoldstein); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// dateAdded renders t as a DATEADDED value, YYYYMMDDHHMMSS.
func dateAdded(t time.Time) int64 {
	t = t.UTC()
	return int64(t.Year())*1e10 + int64(t.Month())*1e8 + int64(t.Day())*1e6 +
		int64(t.Hour())*1e4 + int64(t.Minute())*100 + int64(t.Second())
}

// parseDateAdded reads a DATEADDED value, YYYYMMDDHHMMSS, as a UTC time.
func parseDateAdded(v int64) (time.Time, error) {
	return time.Parse("20060102150405", fmt.Sprintf("%014d", v))
}

// parseSQLDate reads a SQLDATE value, YYYYMMDD, as UTC midnight.
func parseSQLDate(v int) (time.Time, error) {
	return time.Parse("20060102", fmt.Sprintf("%08d", v))
}
