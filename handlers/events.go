package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/codes"
	"geopol/gdelt"
	"geopol/models"
	"geopol/validate"
)

// eventFilters reads the /events query parameters into a gdelt.Query, collecting every
// invalid one.
func eventFilters(c *gin.Context) (gdelt.Query, error) {
	var q gdelt.Query
	v := &validate.Collector{}
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
	q.From, q.To = date("from"), date("to")
	if q.From != 0 && q.To != 0 && q.From > q.To {
		v.Add("to", "must not be before from")
	}
	if raw := c.Query("root_code"); raw != "" {
		if !codes.ValidRoot(raw) {
			v.Add("root_code", `must be a CAMEO root code "01" to "20"`)
		}
		q.RootCode = raw
	}
	if raw := c.Query("code"); raw != "" {
		if len(raw) > 4 || strings.Trim(raw, "0123456789") != "" {
			v.Add("code", "must be a CAMEO event code prefix of 1 to 4 digits")
		}
		q.CodePrefix = raw
	}
	intParam := func(name string, min, max int) int {
		raw := c.Query(name)
		if raw == "" {
			return 0
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < min || n > max {
			v.Add(name, "must be a whole number from %d to %d", min, max)
		}
		return n
	}
	q.QuadClass = intParam("quad_class", 1, 4)
	q.MinMentions = intParam("min_mentions", 1, 1_000_000)
	floatParam := func(name string) *float64 {
		raw := c.Query(name)
		if raw == "" {
			return nil
		}
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || f < -10 || f > 10 {
			v.Add(name, "must be a Goldstein value from -10 to 10")
			return nil
		}
		return &f
	}
	q.MinGoldstein, q.MaxGoldstein = floatParam("min_goldstein"), floatParam("max_goldstein")
	if raw := c.Query("actor"); raw != "" {
		if len(raw) > 30 || strings.Trim(strings.ToUpper(raw), "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != "" {
			v.Add("actor", "must be a CAMEO actor code prefix (letters and digits)")
		}
		q.Actor = strings.ToUpper(raw)
	}
	limit, err := parseLimit(c, 50, 200)
	if err != nil {
		return q, err
	}
	q.Limit = limit
	if err := v.Err("A query parameter is invalid."); err != nil {
		return q, err
	}
	return q, nil
}

// listEvents lists events, newest GLOBALEVENTID first, keyset-paginated.
func (s *Server) listEvents(c *gin.Context) {
	q, err := eventFilters(c)
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
	if raw, ok := c.GetQuery("cursor"); ok {
		cur, err := decodeCursor(raw, scope)
		if err != nil {
			fail(c, err)
			return
		}
		if q.BeforeID, err = strconv.ParseInt(cur.id, 10, 64); err != nil {
			fail(c, ErrBadRequest("The cursor is not valid for this list; start again without one."))
			return
		}
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
	page := Page[gdelt.Event]{Items: events}
	if len(events) > limit {
		page.Items, page.HasMore = events[:limit], true
		next := cursor{scope: scope, id: strconv.FormatInt(events[limit-1].GlobalEventID, 10)}.encode()
		page.NextCursor = &next
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
	writeJSON(c, http.StatusOK, ev, cacheImmutable)
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
	case "", models.IngestRunning, models.IngestSuccess, models.IngestFailed, models.IngestInterrupted:
	default:
		fail(c, ErrValidation("A query parameter is invalid.",
			FieldError{Field: "status", Message: "must be running, success, failed or interrupted"}))
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
	if raw, ok := c.GetQuery("cursor"); ok {
		cur, err := decodeCursor(raw, scope)
		if err != nil {
			fail(c, err)
			return
		}
		id, err := strconv.ParseInt(cur.id, 10, 64)
		if err != nil {
			fail(c, ErrBadRequest("The cursor is not valid for this list; start again without one."))
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
		next := cursor{scope: scope, createdAt: last.StartedAt, id: strconv.FormatInt(last.ID, 10)}.encode()
		page.NextCursor = &next
	}
	for _, r := range runs {
		dto := IngestRunDTO{ID: r.ID, Source: r.Source, StartedAt: r.StartedAt.UTC(), Status: r.Status,
			EventsFetched: r.EventsFetched, EventsNew: r.EventsNew, EventsDuplicate: r.EventsDuplicate,
			ErrorMessage: r.ErrorMessage, FileURL: r.FileURL}
		if r.CompletedAt != nil {
			t := r.CompletedAt.UTC()
			dto.CompletedAt = &t
		}
		page.Items = append(page.Items, dto)
	}
	writeJSON(c, http.StatusOK, page, cacheRevalidate)
}
