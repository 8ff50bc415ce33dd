package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/models"
)

// IdempotencyKeyHeader makes POST /forecasts safe to retry.
const IdempotencyKeyHeader = "Idempotency-Key"

var (
	validIdempotencyKey = regexp.MustCompile(`^[\x21-\x7e]{1,255}$`)
	// idempotencyNamespace derives forecast ids from (client, Idempotency-Key), so a retry
	// maps to the same primary key and can never insert a second row.
	idempotencyNamespace = uuid.MustParse("6f1c3d1e-8b7a-4f59-9a4e-3c2b1d0e9f87")
	unprintable          = regexp.MustCompile(`[^\x20-\x7e]`)
)

// forecastRoutes registers the forecast and country endpoints on the keyed group.
func (s *Server) forecastRoutes(g *gin.RouterGroup) {
	g.POST("/forecasts", s.createForecast)
	g.GET("/forecasts/top", s.topForecasts)
	g.GET("/forecasts/country/:iso", s.countryForecasts)
	g.GET("/forecasts/:id", s.getForecast)
	g.GET("/forecasts/:id/scenarios", s.getScenarios)
	g.GET("/countries", s.listCountries)
	g.GET("/countries/risk-map", s.riskMap)
	g.GET("/countries/:iso/risk-summary", s.riskSummary)
}

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
	body, err := readJSONBody(c)
	if err != nil {
		fail(c, err)
		return
	}
	var req ForecastRequest
	if err := decodeStrict(body, &req); err != nil {
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
		id = uuid.NewSHA1(idempotencyNamespace, []byte(c.GetString(ctxClient)+"\x00"+idemKey)).String()
	}
	row, err := CreateForecast(ctx, s.DB, &req, id, s.Now())
	if err != nil {
		fail(c, err)
		return
	}
	resp, err := forecastFromRow(row)
	if err != nil {
		fail(c, err)
		return
	}
	scopes := []string{globalGeneration}
	if row.CountryISO != nil {
		scopes = append(scopes, "country:"+*row.CountryISO)
	}
	s.bump(c, scopes...)
	b, err := json.Marshal(resp)
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Location", "/api/v1/forecasts/"+row.ID)
	writeJSON(c, http.StatusCreated, b, "no-store")
}

// CreateForecast validates req and stores it as a new forecast: the one path POST and
// the seed command share. With a non-empty id (derived from an Idempotency-Key), a
// forecast already stored under that id is returned when it carries the same content,
// and a 409 problem when it does not; no second row is ever written.
func CreateForecast(ctx context.Context, db *gorm.DB, req *ForecastRequest, id string, now time.Time) (*models.Prediction, error) {
	if err := req.Validate(now); err != nil {
		return nil, err
	}
	idempotent := id != ""
	if !idempotent {
		id = uuid.NewString()
	}
	row, err := req.toRow(id, now)
	if err != nil {
		return nil, err
	}
	// Without a calibration block from the engine, the forecast carries its category's
	// real track record (sample_size, brier_score, historical_accuracy over resolved
	// outcomes, as the scorecard computes them) rather than an empty one.
	if req.Calibration == nil {
		if row.Calibration, err = trackRecordBlock(ctx, db, req.Category); err != nil {
			return nil, err
		}
	}
	err = db.WithContext(ctx).Create(row).Error
	if err == nil || !idempotent || !errors.Is(err, gorm.ErrDuplicatedKey) {
		return row, err
	}
	var stored models.Prediction
	if err := db.WithContext(ctx).Take(&stored, "id = ?", id).Error; err != nil {
		return nil, err
	}
	if !sameForecast(&stored, row, req) {
		return nil, ErrConflict("This Idempotency-Key was already used for a different forecast.")
	}
	return &stored, nil
}

// sameForecast reports whether a retried request carries the forecast already stored:
// every field the client sent must match. Server-chosen values (created_at, expires_at
// when derived from the horizon, the calibration block when filled in from the track
// record) are allowed to differ.
func sameForecast(stored, retry *models.Prediction, req *ForecastRequest) bool {
	same := stored.Question == retry.Question && stored.PredictionText == retry.PredictionText &&
		stored.Probability == retry.Probability && stored.Confidence == retry.Confidence &&
		stored.HorizonDays == retry.HorizonDays && stored.Category == retry.Category &&
		eqPtr(stored.CameoRootCode, retry.CameoRootCode) && eqPtr(stored.CountryISO, retry.CountryISO) &&
		stored.ReasoningSummary == retry.ReasoningSummary && stored.EvidenceCount == retry.EvidenceCount &&
		string(stored.Scenarios) == string(retry.Scenarios) && string(stored.EnsembleInfo) == string(retry.EnsembleInfo) &&
		string(stored.Entities) == string(retry.Entities)
	if req.Calibration != nil {
		same = same && string(stored.Calibration) == string(retry.Calibration)
	}
	if req.ExpiresAt != nil {
		same = same && stored.ExpiresAt.Equal(retry.ExpiresAt)
	}
	return same
}

func eqPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// loadForecast returns the encoded ForecastResponse for id, from the cache when it can.
func (s *Server) loadForecast(c *gin.Context, id string) (*ForecastResponse, []byte, error) {
	if _, err := uuid.Parse(id); err != nil {
		return nil, nil, ErrNotFound("No forecast has id " + quoteID(id) + ".")
	}
	var resp *ForecastResponse
	b, err := s.cachedJSON(c, "forecast:"+id, s.Config.CacheTTLForecast, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		var row models.Prediction
		if err := s.DB.WithContext(ctx).Take(&row, "id = ?", id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return nil, ErrNotFound("No forecast has id " + quoteID(id) + ".")
			}
			return nil, err
		}
		var err error
		resp, err = forecastFromRow(&row)
		return resp, err
	})
	return resp, b, err
}

// getForecast returns the full nested forecast.
func (s *Server) getForecast(c *gin.Context) {
	_, b, err := s.loadForecast(c, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, b, cacheImmutable)
}

// ScenariosResponse is the body of GET /forecasts/{id}/scenarios.
type ScenariosResponse struct {
	ForecastID string        `json:"forecast_id"`
	Scenarios  []ScenarioDTO `json:"scenarios"`
}

// getScenarios returns the scenario tree alone.
func (s *Server) getScenarios(c *gin.Context) {
	resp, b, err := s.loadForecast(c, c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if resp == nil { // served from the cache: decode the stored forecast
		resp = &ForecastResponse{}
		if err := json.Unmarshal(b, resp); err != nil {
			fail(c, err)
			return
		}
	}
	out, err := json.Marshal(ScenariosResponse{ForecastID: resp.ForecastID, Scenarios: resp.Scenarios})
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, out, cacheImmutable)
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
func (s *Server) verifyEvidence(ctx context.Context, req *ForecastRequest) error {
	if empty, err := s.GDELT.Empty(ctx); err != nil || empty {
		return err
	}
	paths := map[int64][]string{}
	var ids []int64
	walkEvidence(req.Scenarios, "scenarios", func(path string, e *EvidenceDTO) {
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
