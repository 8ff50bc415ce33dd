package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/codes"
	"geopol/gdelt"
	"geopol/models"
	"geopol/validate"
)

// EventDTO is a GDELT event on the wire, in the shape the dashboard reads. Text fields
// GDELT left empty are null.
type EventDTO struct {
	ID             int64    `json:"id"`       // GLOBALEVENTID
	GDELTID        *string  `json:"gdelt_id"` // GLOBALEVENTID in decimal
	EventDate      string   `json:"event_date"`
	Actor1Code     *string  `json:"actor1_code"`
	Actor2Code     *string  `json:"actor2_code"`
	EventCode      *string  `json:"event_code"`
	QuadClass      *int     `json:"quad_class"`
	GoldsteinScale *float64 `json:"goldstein_scale"`
	NumMentions    *int     `json:"num_mentions"`
	NumSources     *int     `json:"num_sources"`
	Tone           *float64 `json:"tone"` // AvgTone
	URL            *string  `json:"url"`  // SOURCEURL
	Title          *string  `json:"title"`
	// CountryISO is the ISO 3166-1 alpha-2 code of the action's country.
	CountryISO *string `json:"country_iso"`
	Source     string  `json:"source"`

	DateAdded         int64    `json:"date_added"` // YYYYMMDDHHMMSS, when GDELT published it
	Actor1Name        *string  `json:"actor1_name"`
	Actor2Name        *string  `json:"actor2_name"`
	Actor1CountryCode *string  `json:"actor1_country_code"`
	Actor2CountryCode *string  `json:"actor2_country_code"`
	EventRootCode     *string  `json:"event_root_code"`
	NumArticles       *int     `json:"num_articles"`
	ActionGeoFullName *string  `json:"action_geo_full_name"`
	ActionGeoLat      *float64 `json:"action_geo_lat"`
	ActionGeoLong     *float64 `json:"action_geo_long"`
}

// eventSourceGDELT is the source of every event geopol holds.
const eventSourceGDELT = "gdelt"

// newEventDTO maps a stored event to the wire.
func newEventDTO(e *gdelt.Event) EventDTO {
	text := func(s string) *string {
		if s == "" {
			return nil
		}
		return &s
	}
	id := strconv.FormatInt(e.GlobalEventID, 10)
	dto := EventDTO{
		ID:             e.GlobalEventID,
		GDELTID:        &id,
		EventDate:      fmt.Sprintf("%04d-%02d-%02d", e.SQLDate/10000, e.SQLDate/100%100, e.SQLDate%100),
		Actor1Code:     text(e.Actor1Code),
		Actor2Code:     text(e.Actor2Code),
		EventCode:      text(e.EventCode),
		QuadClass:      &e.QuadClass,
		GoldsteinScale: &e.Goldstein,
		NumMentions:    &e.NumMentions,
		NumSources:     &e.NumSources,
		Tone:           &e.AvgTone,
		URL:            text(e.SourceURL),
		Title:          text(e.Title()),
		Source:         eventSourceGDELT,

		DateAdded:         e.DateAdded,
		Actor1Name:        text(e.Actor1Name),
		Actor2Name:        text(e.Actor2Name),
		Actor1CountryCode: text(e.Actor1CountryCode),
		Actor2CountryCode: text(e.Actor2CountryCode),
		EventRootCode:     text(e.EventRootCode),
		NumArticles:       &e.NumArticles,
		ActionGeoFullName: text(e.ActionGeoFullName),
		ActionGeoLat:      e.ActionGeoLat,
		ActionGeoLong:     e.ActionGeoLong,
	}
	if c, ok := codes.LookupCountry(e.ActionGeoCountryISO); ok {
		dto.CountryISO = &c.Alpha2
	}
	return dto
}

// retiredEventParams are the /events parameters the dashboard's names replaced. They
// are rejected rather than ignored, so that a client still sending them learns why its
// filter has no effect.
var retiredEventParams = map[string]string{
	"from": "start_date", "to": "end_date", "code": "cameo_code",
	"min_goldstein": "goldstein_min", "max_goldstein": "goldstein_max",
}

// eventFilters reads the /events query parameters into a gdelt.Query, collecting every
// invalid one. An empty parameter is the same as an absent one. none reports a valid
// filter no stored event can match (source=acled).
func eventFilters(c *gin.Context) (q gdelt.Query, none bool, err error) {
	v := &validate.Collector{}
	params := c.Request.URL.Query()
	for _, old := range slices.Sorted(maps.Keys(retiredEventParams)) {
		if params.Has(old) {
			v.Add(old, "is not a parameter of /events; use %s", retiredEventParams[old])
		}
	}
	if raw := c.Query("country"); raw != "" {
		if iso, ok := codes.NormalizeISO(raw); ok {
			q.CountryISO = iso
		} else {
			v.Add("country", "must be an ISO 3166-1 alpha-2 or alpha-3 code")
		}
	}
	date := func(name string) int {
		raw := c.Query(name)
		if raw == "" {
			return 0
		}
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			v.Add(name, "must be a date like 2019-10-24")
			return 0
		}
		return d.Year()*10000 + int(d.Month())*100 + d.Day()
	}
	q.From, q.To = date("start_date"), date("end_date")
	if q.From != 0 && q.To != 0 && q.From > q.To {
		v.Add("end_date", "must not be before start_date")
	}
	if raw := c.Query("root_code"); raw != "" {
		if !codes.ValidRoot(raw) {
			v.Add("root_code", `must be a CAMEO root code "01" to "20"`)
		}
		q.RootCode = raw
	}
	if raw := c.Query("cameo_code"); raw != "" {
		if len(raw) > 4 || strings.Trim(raw, "0123456789") != "" {
			v.Add("cameo_code", "must be a CAMEO event code prefix of 1 to 4 digits")
		}
		q.CodePrefix = raw
	}
	intParam := func(name string, min, max int) int { return v.QueryInt(name, c.Query(name), 0, min, max) }
	q.QuadClass = intParam("quad_class", 1, 4)
	q.MinMentions = intParam("min_mentions", 1, 1_000_000)
	// Only finite numbers: NaN compares false with everything and ±Inf with nothing useful.
	floatParam := func(name string) *float64 { return v.QueryFloat(name, c.Query(name), -10, 10) }
	q.MinGoldstein, q.MaxGoldstein = floatParam("goldstein_min"), floatParam("goldstein_max")
	if q.MinGoldstein != nil && q.MaxGoldstein != nil && *q.MinGoldstein > *q.MaxGoldstein {
		v.Add("goldstein_max", "must not be less than goldstein_min")
	}
	if raw := c.Query("actor"); raw != "" {
		if len(raw) > 32 || strings.Trim(strings.ToUpper(raw), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			v.Add("actor", "must be 1 to 32 letters and digits of a CAMEO actor code")
		}
		q.Actor = raw
	}
	if raw := c.Query("text"); raw != "" {
		v.Text("text", raw, 1, 200)
		q.Text = strings.TrimSpace(raw)
	}
	switch c.Query("source") {
	case "", eventSourceGDELT:
	case "acled":
		none = true // a source the dashboard knows, but geopol holds none of its events
	default:
		v.Add("source", "must be gdelt or acled")
	}
	if q.Limit = intParam("limit", 1, 200); q.Limit == 0 {
		q.Limit = 50
	}
	return q, none, v.Err("A query parameter is invalid.")
}

// listEvents lists events, newest GLOBALEVENTID first, keyset-paginated. Without dates it
// covers the whole store.
func (s *Server) listEvents(c *gin.Context) {
	q, none, err := eventFilters(c)
	if err != nil {
		fail(c, err)
		return
	}
	// The cursor is bound to this exact filter set, so it cannot page another query.
	params := c.Request.URL.Query()
	params.Del("cursor")
	params.Del("limit")
	sum := sha256.Sum256([]byte(params.Encode()))
	scope := "events:" + hex.EncodeToString(sum[:8])
	cur, err := s.pageCursor(c, scope)
	if err != nil {
		fail(c, err)
		return
	}
	if cur != nil {
		if q.BeforeID, err = strconv.ParseInt(cur.id, 10, 64); err != nil {
			fail(c, errBadCursor)
			return
		}
	}
	page := Page[EventDTO]{Items: []EventDTO{}}
	if none {
		writeJSON(c, http.StatusOK, page, cacheRevalidate)
		return
	}
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	limit := q.Limit
	q.Limit++
	events, err := s.GDELT.Find(ctx, q)
	if err != nil {
		fail(c, err)
		return
	}
	if len(events) > limit {
		events, page.HasMore = events[:limit], true
		if page.NextCursor, err = s.nextCursor(c, scope, time.Time{}, strconv.FormatInt(events[limit-1].GlobalEventID, 10)); err != nil {
			fail(c, err)
			return
		}
	}
	for i := range events {
		page.Items = append(page.Items, newEventDTO(&events[i]))
	}
	writeJSON(c, http.StatusOK, page, cacheRevalidate)
}

// getEvent returns one event by GLOBALEVENTID.
func (s *Server) getEvent(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("gdelt_id"), 10, 64)
	if err != nil || id <= 0 {
		fail(c, ErrNotFound("No GDELT event has id "+quoteID(c.Param("gdelt_id"))+"."))
		return
	}
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	ev, err := s.GDELT.Get(ctx, id)
	if errors.Is(err, gdelt.ErrNotFound) {
		fail(c, ErrNotFound("No GDELT event has id "+strconv.FormatInt(id, 10)+" in the event store."))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, newEventDTO(ev), cacheImmutable)
}

// IngestRunDTO is an ingest run on the wire.
type IngestRunDTO struct {
	ID              int64      `json:"id"`
	Source          string     `json:"source"`
	StartedAt       time.Time  `json:"started_at"`
	CompletedAt     *time.Time `json:"completed_at"`
	Status          string     `json:"status"`
	EventsFetched   int        `json:"events_fetched"`
	EventsNew       int        `json:"events_new"`
	EventsDuplicate int        `json:"events_duplicate"`
	ErrorMessage    *string    `json:"error_message"`
	FileURL         *string    `json:"file_url"`
	// HeartbeatAt is when the run last said it was alive (renewed while it runs).
	HeartbeatAt *time.Time `json:"heartbeat_at"`
}

// listIngestRuns lists ingest runs, newest first, filtered by status and source.
func (s *Server) listIngestRuns(c *gin.Context) {
	limit, err := parseLimit(c, defaultListLimit, maxListLimit)
	if err != nil {
		fail(c, err)
		return
	}
	status, source := c.Query("status"), c.Query("source")
	switch status {
	case "", models.IngestRunning, models.IngestSuccess, models.IngestFailed, models.IngestInterrupted, models.IngestAbandoned:
	default:
		fail(c, ErrValidation("A query parameter is invalid.",
			FieldError{Field: "status", Message: "must be running, success, failed, interrupted or abandoned"}))
		return
	}
	scope := "ingest-runs:" + status + ":" + source
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	q := s.DB.WithContext(ctx).Model(&models.IngestRun{})
	if status != "" {
		q = q.Where("status = ?", status)
	}
	if source != "" {
		q = q.Where("source = ?", source)
	}
	cur, err := s.pageCursor(c, scope)
	if err != nil {
		fail(c, err)
		return
	}
	if cur != nil {
		id, err := strconv.ParseInt(cur.id, 10, 64)
		if err != nil {
			fail(c, errBadCursor)
			return
		}
		q = q.Where("(started_at < ? OR (started_at = ? AND id < ?))", cur.createdAt, cur.createdAt, id)
	}
	var runs []models.IngestRun
	if err := q.Order("started_at DESC, id DESC").Limit(limit + 1).Find(&runs).Error; err != nil {
		fail(c, err)
		return
	}
	page := Page[IngestRunDTO]{Items: []IngestRunDTO{}}
	if len(runs) > limit {
		runs, page.HasMore = runs[:limit], true
		last := runs[limit-1]
		if page.NextCursor, err = s.nextCursor(c, scope, last.StartedAt, strconv.FormatInt(last.ID, 10)); err != nil {
			fail(c, err)
			return
		}
	}
	for _, r := range runs {
		dto := IngestRunDTO{ID: r.ID, Source: r.Source, StartedAt: r.StartedAt.UTC(), Status: r.Status,
			EventsFetched: r.EventsFetched, EventsNew: r.EventsNew, EventsDuplicate: r.EventsDuplicate,
			ErrorMessage: r.ErrorMessage, FileURL: r.FileURL}
		if r.CompletedAt != nil {
			t := r.CompletedAt.UTC()
			dto.CompletedAt = &t
		}
		if r.HeartbeatAt != nil {
			t := r.HeartbeatAt.UTC()
			dto.HeartbeatAt = &t
		}
		page.Items = append(page.Items, dto)
	}
	writeJSON(c, http.StatusOK, page, cacheRevalidate)
}
