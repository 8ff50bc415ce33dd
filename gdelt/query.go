package gdelt

import (
	"context"
	"database/sql"
	"errors"
	"strings"
)

// Query filters events. Zero values mean "any". Results are newest first by
// GLOBALEVENTID (GDELT assigns them in publication order), paged by keyset: pass the
// last id of a page as BeforeID to get the next one. Every filter is portable SQL
// (comparisons, substr, LIKE on lower()), so the same query runs on SQLite and PostgreSQL.
type Query struct {
	CountryISO string // ActionGeo country, ISO 3166-1 alpha-3
	From, To   int    // SQLDATE range, YYYYMMDD, inclusive
	RootCode   string // EventRootCode, "01".."20"
	CodePrefix string // EventCode prefix, e.g. "19" or "193"
	QuadClass  int    // 1..4
	// Actor is a substring of Actor1Code or Actor2Code, in any case: "gov" finds
	// SYRGOV and USAGOV.
	Actor        string
	MinGoldstein *float64
	MaxGoldstein *float64
	MinMentions  int
	MinSources   int
	// Text is a substring, in any case, of Actor1Name, Actor2Name, ActionGeoFullName or
	// SourceURL: the parts of the event's Title that come from the row, and its link.
	Text     string
	BeforeID int64
	Limit    int // required, > 0
}

// textColumns are the columns Query.Text searches.
var textColumns = []string{"actor1_name", "actor2_name", "action_geo_full_name", "source_url"}

// containsAny is the condition "one of cols contains s, ignoring case" and its
// arguments: lower(col) LIKE '%s%' with s's LIKE wildcards escaped. SQLite's lower()
// folds ASCII letters only, PostgreSQL's every letter; s is matched folded both ways
// (ASCII only, and fully) so that it matches on either database as it is written, and
// regardless of the case of its ASCII letters.
func containsAny(cols []string, s string) (string, []any) {
	patterns := []string{"%" + escapeLike(asciiLower(s)) + "%"}
	if full := "%" + escapeLike(strings.ToLower(s)) + "%"; full != patterns[0] {
		patterns = append(patterns, full)
	}
	var or []string
	var args []any
	for _, col := range cols {
		for _, p := range patterns {
			or = append(or, "lower("+col+`) LIKE ? ESCAPE '\'`)
			args = append(args, p)
		}
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// likeEscaper escapes LIKE's wildcards and its escape character in user input.
var likeEscaper = strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`)

func escapeLike(s string) string { return likeEscaper.Replace(s) }

// asciiLower lower-cases ASCII letters only, as SQLite's lower() does.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + ('a' - 'A')
		}
	}
	return string(b)
}

var selectEvents = "SELECT " + strings.Join(columns, ", ") + " FROM events"

// Find returns the events matching q: the GET /events listing and the query of the
// outcome resolution rule.
func (s *Store) Find(ctx context.Context, q Query) ([]Event, error) {
	if q.Limit <= 0 {
		return nil, errors.New("gdelt.Find: Limit must be positive")
	}
	var where []string
	var args []any
	add := func(cond string, arg ...any) {
		where = append(where, cond)
		args = append(args, arg...)
	}
	addAll := func(cond string, arg []any) { add(cond, arg...) }
	if q.CountryISO != "" {
		add("action_geo_country_iso = ?", q.CountryISO)
	}
	if q.From != 0 {
		add("sql_date >= ?", q.From)
	}
	if q.To != 0 {
		add("sql_date <= ?", q.To)
	}
	if q.RootCode != "" {
		add("event_root_code = ?", q.RootCode)
	}
	if q.CodePrefix != "" {
		add("substr(event_code, 1, ?) = ?", len(q.CodePrefix), q.CodePrefix)
	}
	if q.QuadClass != 0 {
		add("quad_class = ?", q.QuadClass)
	}
	if q.Actor != "" {
		addAll(containsAny([]string{"actor1_code", "actor2_code"}, q.Actor))
	}
	if q.MinGoldstein != nil {
		add("goldstein >= ?", *q.MinGoldstein)
	}
	if q.MaxGoldstein != nil {
		add("goldstein <= ?", *q.MaxGoldstein)
	}
	if q.MinMentions > 0 {
		add("num_mentions >= ?", q.MinMentions)
	}
	if q.MinSources > 0 {
		add("num_sources >= ?", q.MinSources)
	}
	if q.Text != "" {
		addAll(containsAny(textColumns, q.Text))
	}
	if q.BeforeID > 0 {
		add("global_event_id < ?", q.BeforeID)
	}
	stmt := selectEvents
	if len(where) > 0 {
		stmt += " WHERE " + strings.Join(where, " AND ")
	}
	stmt += " ORDER BY global_event_id DESC LIMIT ?"
	args = append(args, q.Limit)
	return s.queryEvents(ctx, stmt, args...)
}

// queryEvents runs a SELECT of selectEvents' columns (? placeholders) and scans every
// row; no rows is an empty slice, not nil.
func (s *Store) queryEvents(ctx context.Context, stmt string, args ...any) ([]Event, error) {
	rows, err := s.db.QueryContext(ctx, s.q(stmt), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var e Event
		if err := rows.Scan(e.scanTargets()...); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ErrNotFound is returned by Get for an unknown GLOBALEVENTID.
var ErrNotFound = errors.New("gdelt: event not found")

// Get returns one event, or ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (*Event, error) {
	var e Event
	err := s.db.QueryRowContext(ctx, s.q(selectEvents+" WHERE global_event_id = ?"), id).Scan(e.scanTargets()...)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return &e, nil
}

// Stats summarises the store for health checks.
type Stats struct {
	Events          int64
	NewestDateAdded int64 // YYYYMMDDHHMMSS, 0 when empty
}

// Stats counts events and finds the newest DATEADDED (both by index).
func (s *Store) Stats(ctx context.Context) (Stats, error) {
	var st Stats
	var newest sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT count(*), max(date_added) FROM events").Scan(&st.Events, &newest)
	st.NewestDateAdded = newest.Int64
	return st, err
}

// Empty reports whether the store holds no events (one indexed probe, unlike a count).
func (s *Store) Empty(ctx context.Context) (bool, error) {
	var any bool
	err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM events)").Scan(&any)
	return !any, err
}

// missingChunk bounds one IN list, well under SQLite's limit on bound parameters.
const missingChunk = 500

// Missing returns the ids among ids that the store does not hold, one query per 500 ids.
func (s *Store) Missing(ctx context.Context, ids []int64) ([]int64, error) {
	var missing []int64
	for start := 0; start < len(ids); start += missingChunk {
		part, err := s.missingIn(ctx, ids[start:min(start+missingChunk, len(ids))])
		if err != nil {
			return nil, err
		}
		missing = append(missing, part...)
	}
	return missing, nil
}

// missingIn is Missing for one chunk of at most missingChunk ids.
func (s *Store) missingIn(ctx context.Context, ids []int64) ([]int64, error) {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, s.q("SELECT global_event_id FROM events WHERE global_event_id IN (?"+
		strings.Repeat(",?", len(ids)-1)+")"), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[int64]bool, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		found[id] = true
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var missing []int64
	for _, id := range ids {
		if !found[id] {
			missing = append(missing, id)
		}
	}
	return missing, nil
}
