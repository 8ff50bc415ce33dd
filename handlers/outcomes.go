package handlers

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/forecast"
	"geopol/models"
)

// calibrationGeneration is the cache scope of scorecards: every outcome write and every
// calibration run bumps it.
const calibrationGeneration = "calibration"

// outcomeInput reads the body of an outcome write and the forecast it names: 404 for an
// unknown forecast, 422 for an invalid body (including a date before created_at).
func (s *Server) outcomeInput(c *gin.Context, db *gorm.DB) (*forecast.OutcomeVersion, error) {
	id := c.Param("id")
	var req forecast.OutcomeRequest
	if err := readJSON(c, &req); err != nil {
		return nil, err
	}
	p, err := findForecast(db, id)
	if err != nil {
		return nil, err
	}
	return req.Validate(p.CreatedAt, s.now())
}

// findForecast loads the forecast an outcome route names, or a 404 problem.
func findForecast(db *gorm.DB, id string) (*models.Prediction, error) {
	missing := ErrNotFound("No forecast has id " + quoteID(id) + ".")
	if _, err := uuid.Parse(id); err != nil {
		return nil, missing
	}
	var p models.Prediction
	err := db.Select("id", "created_at").Take(&p, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, missing
	}
	return &p, err
}

// writeOutcome sends an outcome with the given status.
func writeOutcome(c *gin.Context, status int, row *models.OutcomeRecord) {
	resp, err := forecast.OutcomeFromRow(row)
	if err != nil {
		fail(c, err)
		return
	}
	b, err := json.Marshal(resp)
	if err != nil {
		fail(c, err)
		return
	}
	cacheControl := cacheRevalidate
	if status != http.StatusOK {
		cacheControl = "no-store"
		c.Header("Location", "/api/v1/forecasts/"+row.PredictionID+"/outcome")
	}
	writeJSON(c, status, b, cacheControl)
}
