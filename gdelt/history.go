package gdelt

import (
	"context"
	"strings"
)

// The queries of the baseline forecaster (package baseline): which days the outcome
// resolution rule fired on, and which days a country was reported at all. Every
// statement is portable SQL (integer SQLDATE comparisons, GROUP BY, ORDER BY) written
// with ? placeholders and passed through s.q, which numbers them for PostgreSQL.

// RuleFilter is the event filter of the resolution rule without its date window: the
// ActionGeo country and CAMEO root code ("" for any), and the minimum mentions and
// sources an event needs to count.
type RuleFilter struct {
	CountryISO  string
	RootCode    string
	MinMentions int
	MinSources  int
}

// where is f's condition, with the SQLDATE range [from, to], and its arguments.
func (f RuleFilter) where(from, to int) (string, []any) {
	cond := []string{"sql_date >= ?", "sql_date <= ?", "action_geo_country_iso <> ''",
		"num_mentions >= ?", "num_sources >= ?"}
	args := []any{from, to, f.MinMentions, f.MinSources}
	if f.CountryISO != "" {
		cond = append(cond, "action_geo_country_iso = ?")
		args = append(args, f.CountryISO)
	}
	if f.RootCode != "" {
		cond = append(cond, "event_root_code = ?")
		args = append(args, f.RootCode)
	}
	return strings.Join(cond, " AND "), args
}

// RuleDay is a day on which the rule's filter matched events of one country and CAMEO
// root code.
type RuleDay struct {
	CountryISO string
	RootCode   string
	SQLDate    int // YYYYMMDD
	Events     int // matching events that day
}

// RuleDays returns the days with SQLDATE in [from, to] on which events matching f
// occurred, per (country, root code), ordered by country, root code and day. Events
// without an ISO country are left out: no forecast can name their place.
func (s *Store) RuleDays(ctx context.Context, f RuleFilter, from, to int) ([]RuleDay, error) {
	cond, args := f.where(from, to)
	rows, err := s.db.QueryContext(ctx, s.q(
		"SELECT action_geo_country_iso, event_root_code, sql_date, count(*) FROM events WHERE "+cond+
			" GROUP BY action_geo_country_iso, event_root_code, sql_date"+
			" ORDER BY action_geo_country_iso, event_root_code, sql_date"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RuleDay
	for rows.Next() {
		var d RuleDay
		if err := rows.Scan(&d.CountryISO, &d.RootCode, &d.SQLDate, &d.Events); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// ActiveDay is a day on which the store holds at least one event located in a country,
// whatever its code and however little reported: the days the store covers.
type ActiveDay struct {
	CountryISO string
	SQLDate    int // YYYYMMDD
}

// ActiveDays returns, per country (all countries when countryISO is ""), the days with
// SQLDATE in [from, to] on which any event was located there, ordered by country and day.
func (s *Store) ActiveDays(ctx context.Context, countryISO string, from, to int) ([]ActiveDay, error) {
	stmt := "SELECT action_geo_country_iso, sql_date FROM events WHERE sql_date >= ? AND sql_date <= ? AND action_geo_country_iso <> ''"
	args := []any{from, to}
	if countryISO != "" {
		stmt += " AND action_geo_country_iso = ?"
		args = append(args, countryISO)
	}
	stmt += " GROUP BY action_geo_country_iso, sql_date ORDER BY action_geo_country_iso, sql_date"
	rows, err := s.db.QueryContext(ctx, s.q(stmt), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ActiveDay
	for rows.Next() {
		var d ActiveDay
		if err := rows.Scan(&d.CountryISO, &d.SQLDate); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// TopEvents returns up to limit events matching f with SQLDATE in [from, to], the most
// reported first (most mentions, then most sources, then the lower GLOBALEVENTID).
func (s *Store) TopEvents(ctx context.Context, f RuleFilter, from, to, limit int) ([]Event, error) {
	cond, args := f.where(from, to)
	return s.queryEvents(ctx, selectEvents+" WHERE "+cond+
		" ORDER BY num_mentions DESC, num_sources DESC, global_event_id LIMIT ?", append(args, limit)...)
}
