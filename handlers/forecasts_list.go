package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"geopol/codes"
	"geopol/forecast"
	"geopol/models"
)

// List limits.
const (
	defaultListLimit = 10
	maxListLimit     = 50
)

// Page is a cursor-paginated list.
type Page[T any] struct {
	Items      []T     `json:"items"`
	NextCursor *string `json:"next_cursor"`
	HasMore    bool    `json:"has_more"`
}

// parseLimit reads ?limit=, answering 422 (not a silent clamp) when it is out of range.
func parseLimit(c *gin.Context, def, max int) (int, error) {
	raw, ok := c.GetQuery("limit")
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > max {
		return 0, ErrValidation("A query parameter is invalid.",
			FieldError{Field: "limit", Message: "must be a whole number from 1 to " + strconv.Itoa(max)})
	}
	return n, nil
}

// countryForecasts lists a country's active forecasts, newest first, keyset-paginated.
func (s *Server) countryForecasts(c *gin.Context) {
	iso, ok := codes.NormalizeISO(c.Param("iso"))
	if !ok {
		fail(c, ErrNotFound("Unknown country code "+quoteID(c.Param("iso"))+"; use ISO 3166-1 alpha-2 or alpha-3."))
		return
	}
	limit, err := parseLimit(c, defaultListLimit, maxListLimit)
	if err != nil {
		fail(c, err)
		return
	}
	scope := "country:" + iso
	after, err := s.pageCursor(c, scope)
	if err != nil {
		fail(c, err)
		return
	}
	cursorKey, err := s.cursorKey(c.Request.Context())
	if err != nil {
		fail(c, err)
		return
	}
	rawCursor := c.Query("cursor")
	key := scopedKey(scope, "list:"+scope+":"+strconv.Itoa(limit)+":"+rawCursor)
	b, err := s.cachedJSON(c, key, s.Config.CacheTTLList, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		// Served by idx_predictions_country_created: equality on country_iso, then the
		// index order on created_at; the id tie-break only matters within one microsecond.
		q := s.DB.WithContext(ctx).Where("country_iso = ? AND expires_at > ?", iso, s.now())
		if after != nil {
			q = q.Where("(created_at < ? OR (created_at = ? AND id < ?))", after.createdAt, after.createdAt, after.id)
		}
		var rows []models.Prediction
		if err := q.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&rows).Error; err != nil {
			return nil, err
		}
		return pageOf(rows, limit, cursorKey, scope)
	})
	if err != nil {
		fail(c, err)
		return
	}
	writeCached(c, http.StatusOK, b, cacheRevalidate)
}

// pageOf maps up to limit rows (one more was fetched to learn whether more exist) into
// a page whose cursor, made with key, belongs to scope.
func pageOf(rows []models.Prediction, limit int, key []byte, scope string) (*Page[*forecast.ForecastResponse], error) {
	page := &Page[*forecast.ForecastResponse]{}
	if len(rows) > limit {
		rows = rows[:limit]
		page.HasMore = true
	}
	items, err := responsesOf(rows)
	if err != nil {
		return nil, err
	}
	page.Items = items
	if page.HasMore {
		last := rows[len(rows)-1]
		next := cursor{createdAt: last.CreatedAt, id: last.ID}.encode(key, scope)
		page.NextCursor = &next
	}
	return page, nil
}

// responsesOf maps rows to their wire form ([] for none).
func responsesOf(rows []models.Prediction) ([]*forecast.ForecastResponse, error) {
	out := make([]*forecast.ForecastResponse, 0, len(rows))
	for i := range rows {
		f, err := forecast.FromRow(&rows[i])
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, nil
}

// topOrders are the sort orders of GET /forecasts/top; ties break on recency.
var topOrders = map[string]string{
	"probability": "probability DESC, created_at DESC, id DESC",
	"confidence":  "confidence DESC, created_at DESC, id DESC",
	"recency":     "created_at DESC, id DESC",
}

// topForecasts lists the most consequential active forecasts as a bare array (the
// dashboard's panel sorts it directly; there is no next page).
func (s *Server) topForecasts(c *gin.Context) {
	limit, err := parseLimit(c, defaultListLimit, maxListLimit)
	if err != nil {
		fail(c, err)
		return
	}
	sort := c.DefaultQuery("sort", "probability")
	order, ok := topOrders[sort]
	if !ok {
		fail(c, ErrValidation("A query parameter is invalid.",
			FieldError{Field: "sort", Message: "must be probability, confidence or recency"}))
		return
	}
	key := scopedKey(globalGeneration, "top:"+sort+":"+strconv.Itoa(limit))
	b, err := s.cachedJSON(c, key, s.Config.CacheTTLList, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		var rows []models.Prediction
		if err := s.DB.WithContext(ctx).Where("expires_at > ?", s.now()).Order(order).Limit(limit).Find(&rows).Error; err != nil {
			return nil, err
		}
		return responsesOf(rows)
	})
	if err != nil {
		fail(c, err)
		return
	}
	writeCached(c, http.StatusOK, b, cacheRevalidate)
}
