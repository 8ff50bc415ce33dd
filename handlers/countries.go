package handlers

import (
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"geopol/codes"
	"geopol/forecast"
	"geopol/models"
)

// loadRiskInputs reads the forecasts that matter for risk now or a week ago: those not
// expired a week ago. An empty iso reads every country.
func (s *Server) loadRiskInputs(c *gin.Context, iso string) ([]forecast.RiskInput, error) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	now := s.now()
	q := s.DB.WithContext(ctx).Model(&models.Prediction{}).
		Select("id", "country_iso", "question", "probability", "cameo_root_code", "created_at", "expires_at").
		Where("country_iso IS NOT NULL AND expires_at > ? AND created_at <= ?", now.Add(-forecast.RiskTrendDelta), now)
	if iso != "" {
		q = q.Where("country_iso = ?", iso)
	}
	var rows []forecast.RiskInput
	err := q.Find(&rows).Error
	return rows, err
}

// summaries returns every country's summary, cached under the global generation.
func (s *Server) summaries(c *gin.Context) ([]forecast.CountryRiskSummary, []byte, error) {
	var out []forecast.CountryRiskSummary
	key := ""
	if gen := s.generation(c.Request.Context(), globalGeneration); gen != "" {
		key = "countries:" + gen
	}
	b, err := s.cachedJSON(c, key, s.Config.CacheTTLSummary, func() (any, error) {
		rows, err := s.loadRiskInputs(c, "")
		if err != nil {
			return nil, err
		}
		out = forecast.SummarizeAll(rows, s.now())
		return out, nil
	})
	if err == nil && out == nil {
		err = json.Unmarshal(b, &out)
	}
	return out, b, err
}

// listCountries returns a forecast.CountryRiskSummary for every country with active forecasts.
func (s *Server) listCountries(c *gin.Context) {
	_, b, err := s.summaries(c)
	if err != nil {
		fail(c, err)
		return
	}
	writeBody(c, http.StatusOK, b, cacheRevalidate)
}

// riskMap returns the choropleth layer: one entry per country with active forecasts.
func (s *Server) riskMap(c *gin.Context) {
	all, _, err := s.summaries(c)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]forecast.RiskMapEntry, len(all))
	for i, sum := range all {
		out[i] = forecast.RiskMapEntry{ISOCode: sum.ISOCode, RiskScore: sum.RiskScore, ForecastCount: sum.ForecastCount, TopQuestion: sum.TopQuestion}
	}
	writeJSON(c, http.StatusOK, out, cacheRevalidate)
}

// riskSummary returns one country's summary; 404 when it has no active forecasts.
func (s *Server) riskSummary(c *gin.Context) {
	iso, ok := codes.NormalizeISO(c.Param("iso"))
	if !ok {
		fail(c, ErrNotFound("Unknown country code "+quoteID(c.Param("iso"))+"; use ISO 3166-1 alpha-2 or alpha-3."))
		return
	}
	scope := "country:" + iso
	key := ""
	if gen := s.generation(c.Request.Context(), scope); gen != "" {
		key = "summary:" + scope + ":" + gen
	}
	b, err := s.cachedJSON(c, key, s.Config.CacheTTLSummary, func() (any, error) {
		rows, err := s.loadRiskInputs(c, iso)
		if err != nil {
			return nil, err
		}
		sum, ok := forecast.Summarize(iso, rows, s.now())
		if !ok {
			return nil, ErrNotFound("No active forecasts for " + iso + ".")
		}
		return sum, nil
	})
	if err != nil {
		fail(c, err)
		return
	}
	writeBody(c, http.StatusOK, b, cacheRevalidate)
}
