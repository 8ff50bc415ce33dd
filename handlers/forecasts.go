package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/forecast"
	"geopol/models"
)

// IdempotencyKeyHeader makes POST /forecasts safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

var (
	validIdempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)
	unprintable         = regexp.MustCompile(`[^\x20-\x7e]`)
)

// queryCtx bounds a request's database work, including the wait for a pooled connection.
func (s *Server) queryCtx(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), s.Config.DBQueryTimeout)
}

// createForecast stores a forecast produced by a forecasting engine: 201 + Location.
func (s *Server) createForecast(c *gin.Context) {
	idemKey := c.GetHeader(IdempotencyKeyHeader)
	if idemKey != "" && !validIdempotencyKey.MatchString(idemKey) {
		fail(c, ErrValidation("The Idempotency-Key header is malformed.",
			FieldError{Field: IdempotencyKeyHeader, Message: "must be 1 to 255 visible ASCII characters"}))
		return
	}
	var req forecast.ForecastRequest
	if err := readJSON(c, &req); err != nil {
		fail(c, err)
		return
	}
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	if s.Config.VerifyEvidenceEvents {
		if err := s.verifyEvidence(ctx, &req); err != nil {
			fail(c, err)
			return
		}
	}
	id := ""
	if idemKey != "" {
		id = forecast.IdempotencyID(info(c).client, idemKey)
	}
	row, err := forecast.Create(ctx, s.DB, &req, id, s.now())
	if err != nil {
		fail(c, err)
		return
	}
	resp, err := forecast.FromRow(row)
	if err != nil {
		fail(c, err)
		return
	}
	scopes := []string{globalGeneration}
	if row.CountryISO != nil {
		scopes = append(scopes, "country:"+*row.CountryISO)
	}
	s.bump(c, scopes...)
	s.announceForecast(resp)
	c.Header("Location", "/api/v1/forecasts/"+row.ID)
	writeJSON(c, http.StatusCreated, resp, "no-store")
}

// loadForecast returns the encoded forecast for id, from the cache when it can.
func (s *Server) loadForecast(c *gin.Context, id string) (*forecast.ForecastResponse, *cached, error) {
	if err := checkForecastID(id); err != nil {
		return nil, nil, err
	}
	var resp *forecast.ForecastResponse
	b, err := s.cachedJSON(c, immutableKey("forecast:"+id), s.Config.CacheTTLForecast, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		row, err := findForecast(s.DB.WithContext(ctx), id)
		if err != nil {
			return nil, err
		}
		resp, err = forecast.FromRow(row)
		return resp, err
	})
	return resp, b, err
}

// checkForecastID answers 404 for an id that cannot name a forecast, without a query.
func checkForecastID(id string) error {
	if _, err := uuid.Parse(id); err != nil {
		return forecastNotFound(id)
	}
	return nil
}

func forecastNotFound(id string) error { return ErrNotFound("No forecast has id " + quoteID(id) + ".") }

// findForecast loads the forecast id names (only the given columns, or all), or answers
// a 404 problem for an unknown or malformed id.
func findForecast(db *gorm.DB, id string, columns ...string) (*models.Prediction, error) {
	if err := checkForecastID(id); err != nil {
		return nil, err
	}
	var p models.Prediction
	q := db
	if len(columns) > 0 {
		q = q.Select(columns)
	}
	err := q.Take(&p, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, forecastNotFound(id)
	}
	return &p, err
}

// getForecast returns the full nested forecast.
func (s *Server) getForecast(c *gin.Context) {
	_, e, err := s.loadForecast(c, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	writeCached(c, http.StatusOK, e, cacheImmutable)
}

// ScenariosResponse is the body of GET /forecasts/{id}/scenarios.
type ScenariosResponse struct {
	ForecastID string                 `json:"forecast_id"`
	Scenarios  []forecast.ScenarioDTO `json:"scenarios"`
}

// getScenarios returns the scenario tree alone.
func (s *Server) getScenarios(c *gin.Context) {
	resp, e, err := s.loadForecast(c, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if resp == nil { // served from the cache: decode the stored forecast
		resp = &forecast.ForecastResponse{}
		if err := json.Unmarshal(e.body, resp); err != nil {
			fail(c, err)
			return
		}
	}
	writeJSON(c, http.StatusOK, ScenariosResponse{ForecastID: resp.ForecastID, Scenarios: resp.Scenarios}, cacheImmutable)
}

// quoteID keeps a client-supplied id short and printable in messages.
func quoteID(id string) string {
	if len(id) > 64 {
		id = id[:64] + "..."
	}
	return `"` + unprintable.ReplaceAllString(id, "?") + `"`
}

// verifyEvidence answers 422 naming each cited GDELT event the event store does not hold.
// An empty store (nothing ingested yet) cannot tell, so it accepts everything.
func (s *Server) verifyEvidence(ctx context.Context, req *forecast.ForecastRequest) error {
	if empty, err := s.GDELT.Empty(ctx); err != nil || empty {
		return err
	}
	paths := map[int64][]string{}
	var ids []int64
	forecast.WalkEvidence(req.Scenarios, "scenarios", func(path string, e *forecast.EvidenceDTO) {
		if e.GdeltEventID == nil {
			return
		}
		id, err := strconv.ParseInt(*e.GdeltEventID, 10, 64)
		if err != nil {
			return // malformed ids are reported by Validate
		}
		if paths[id] == nil {
			ids = append(ids, id)
		}
		paths[id] = append(paths[id], path+".gdelt_event_id")
	})
	missing, err := s.GDELT.Missing(ctx, ids)
	if err != nil {
		return err
	}
	var errs []FieldError
	for _, id := range missing {
		for _, p := range paths[id] {
			errs = append(errs, FieldError{Field: p, Message: "is not in the GDELT event store"})
		}
	}
	if len(errs) > 0 {
		return ErrValidation("The forecast cites GDELT events the event store does not hold.", errs...)
	}
	return nil
}
