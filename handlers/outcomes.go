package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
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
	p, err := findForecast(db, id, "id", "created_at")
	if err != nil {
		return nil, err
	}
	return req.Validate(p.CreatedAt, s.now())
}

// writeOutcome sends an outcome with the given status.
func writeOutcome(c *gin.Context, status int, row *models.OutcomeRecord) {
	resp, err := forecast.OutcomeFromRow(row)
	if err != nil {
		fail(c, err)
		return
	}
	cacheControl := cacheRevalidate
	if status != http.StatusOK {
		cacheControl = "no-store"
		c.Header("Location", "/api/v1/forecasts/"+row.PredictionID+"/outcome")
	}
	writeJSON(c, status, resp, cacheControl)
}
