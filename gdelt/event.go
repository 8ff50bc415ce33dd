// Package gdelt is the GDELT 2.0 event store: the export-file parser, the events table
// in its own SQLite file, ingest runs (accounted for in the forecast database's
// ingest_runs) and the queries that evidence links and outcome resolution use.
package gdelt

import (
	"strings"

	"geopol/codes"
)

// Event is one GDELT 2.0 event, with the fields forecasting needs, as the store holds
// it (the API sends handlers.EventDTO). GlobalEventID (GLOBALEVENTID) is the key: GDELT
// never reuses it, so it is also the dedup key.
type Event struct {
	GlobalEventID     int64
	SQLDate           int   // YYYYMMDD, the day the event took place
	DateAdded         int64 // YYYYMMDDHHMMSS, when GDELT published it
	Actor1Code        string
	Actor1Name        string
	Actor1CountryCode string
	Actor2Code        string
	Actor2Name        string
	Actor2CountryCode string
	EventCode         string
	EventBaseCode     string
	EventRootCode     string
	QuadClass         int
	Goldstein         float64
	NumMentions       int
	NumSources        int
	NumArticles       int
	AvgTone           float64
	// ActionGeoFullName and the country codes locate the action: FIPS 10-4 as GDELT
	// publishes it, and the ISO 3166-1 alpha-3 code it maps to (empty when none).
	ActionGeoFullName    string
	ActionGeoCountryFIPS string
	ActionGeoCountryISO  string
	ActionGeoLat         *float64
	ActionGeoLong        *float64
	SourceURL            string
}

// columns are the events table's columns in Event's field order.
var columns = []string{
	"global_event_id", "sql_date", "date_added", "actor1_code", "actor1_name", "actor1_country_code",
	"actor2_code", "actor2_name", "actor2_country_code", "event_code", "event_base_code", "event_root_code",
	"quad_class", "goldstein", "num_mentions", "num_sources", "num_articles", "avg_tone",
	"action_geo_full_name", "action_geo_country_fips", "action_geo_country_iso", "action_geo_lat",
	"action_geo_long", "source_url",
}

// scanTargets returns pointers to the event's fields in columns order.
func (e *Event) scanTargets() []any {
	return []any{&e.GlobalEventID, &e.SQLDate, &e.DateAdded, &e.Actor1Code, &e.Actor1Name, &e.Actor1CountryCode,
		&e.Actor2Code, &e.Actor2Name, &e.Actor2CountryCode, &e.EventCode, &e.EventBaseCode, &e.EventRootCode,
		&e.QuadClass, &e.Goldstein, &e.NumMentions, &e.NumSources, &e.NumArticles, &e.AvgTone,
		&e.ActionGeoFullName, &e.ActionGeoCountryFIPS, &e.ActionGeoCountryISO, &e.ActionGeoLat,
		&e.ActionGeoLong, &e.SourceURL}
}

// Title is a short human headline for the event, which GDELT does not publish, built
// from the row alone: "<Actor1Name> — <CAMEO root name> — <Actor2Name>
// (<ActionGeoFullName>)", e.g. "POLICE — Fight — GERMAN (Berlin, Berlin, Germany)". Parts
// the row lacks are left out with their separators; it is "" only when the row has none.
func (e *Event) Title() string {
	var parts []string
	for _, p := range []string{e.Actor1Name, codes.RootName(e.EventRootCode), e.Actor2Name} {
		if p = strings.TrimSpace(p); p != "" {
			parts = append(parts, p)
		}
	}
	title := strings.Join(parts, " — ")
	if place := strings.TrimSpace(e.ActionGeoFullName); place != "" {
		if title == "" {
			return place
		}
		title += " (" + place + ")"
	}
	return title
}
