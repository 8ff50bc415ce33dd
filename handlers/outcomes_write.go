package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"geopol/forecast"
	"geopol/models"
)

// createOutcome resolves a forecast: 201 + Location. A forecast has one resolution; a
// second POST is a 409 (an administrator corrects one with PUT /admin/forecasts/{id}/outcome).
func (s *Server) createOutcome(c *gin.Context) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	db := s.DB.WithContext(ctx)
	v, err := s.outcomeInput(c, db)
	if err != nil {
		fail(c, err)
		return
	}
	row, err := v.Record(c.Param("id"))
	if err != nil {
		fail(c, err)
		return
	}
	if err := db.Create(row).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			err = ErrConflict("Forecast " + quoteID(row.PredictionID) + " is already resolved; an administrator can correct the outcome with PUT /api/v1/admin/forecasts/{id}/outcome.")
		}
		fail(c, err)
		return
	}
	s.bump(c, calibrationGeneration)
	s.announceOutcome(row, false)
	logger(c).Info("forecast resolved", "forecast_id", row.PredictionID, "status", row.Status, "outcome", row.Outcome)
	writeOutcome(c, http.StatusCreated, row)
}

// getOutcome returns a forecast's outcome: 404 when the forecast is unknown or not yet
// resolved.
func (s *Server) getOutcome(c *gin.Context) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	db := s.DB.WithContext(ctx)
	p, err := findForecast(db, c.Param("id"), "id", "created_at")
	if err != nil {
		fail(c, err)
		return
	}
	var row models.OutcomeRecord
	if err := db.Take(&row, "prediction_id = ?", p.ID).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			err = ErrNotFound("Forecast " + quoteID(p.ID) + " has no outcome yet.")
		}
		fail(c, err)
		return
	}
	writeOutcome(c, http.StatusOK, &row)
}

// correctOutcome (admin) replaces a forecast's outcome, appending the replaced version
// to its history: 200, or 404 when the forecast has no outcome to correct. The row is
// locked while it is rewritten (SQLite's write transaction is exclusive anyway), so
// concurrent corrections each keep the other's version in the history.
func (s *Server) correctOutcome(c *gin.Context) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	v, err := s.outcomeInput(c, s.DB.WithContext(ctx))
	if err != nil {
		fail(c, err)
		return
	}
	id := c.Param("id")
	var row models.OutcomeRecord
	err = s.DB.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Take(&row, "prediction_id = ?", id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound("Forecast " + quoteID(id) + " has no outcome to correct; POST /api/v1/forecasts/{id}/outcome first.")
			}
			return err
		}
		old, err := forecast.OutcomeFromRow(&row)
		if err != nil {
			return err
		}
		replaced := old.OutcomeVersion
		now := s.now()
		replaced.ReplacedAt = &now
		history, err := models.EncodeJSON(append(old.History, replaced))
		if err != nil {
			return err
		}
		next, err := v.Record(id)
		if err != nil {
			return err
		}
		next.ID, next.History = row.ID, history
		// A map, not the struct: Updates(struct) would skip zero values such as outcome 0.
		if err := tx.Model(&row).Updates(map[string]any{
			"outcome": next.Outcome, "status": next.Status, "resolution_date": next.ResolutionDate,
			"resolution_method": next.ResolutionMethod, "evidence_gdelt_ids": next.EvidenceGdeltIDs,
			"notes": next.Notes, "history": next.History,
		}).Error; err != nil {
			return err
		}
		row = *next
		return nil
	})
	if err != nil {
		fail(c, err)
		return
	}
	s.bump(c, calibrationGeneration)
	s.announceOutcome(&row, true)
	logger(c).Info("outcome corrected", "actor", "admin", "forecast_id", id, "status", row.Status, "outcome", row.Outcome)
	writeOutcome(c, http.StatusOK, &row)
}
