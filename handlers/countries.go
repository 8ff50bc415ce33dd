package handlers

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/codes"
	"geopol/forecast"
	"geopol/models"
)

// countryRisks returns every country's risk summary, riskiest first, and its encoding,
// cached for CACHE_TTL_SUMMARY under the global generation (a new forecast shows at
// once; new events within the TTL).
func (s *Server) countryRisks(c *gin.Context) ([]forecast.CountryRiskSummary, *cached, error) {
	var out []forecast.CountryRiskSummary
	b, err := s.cachedJSON(c, scopedKey(globalGeneration, "countries"), s.Config.CacheTTLSummary, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		now := s.now()
		// Forecasts that matter now or a week ago: those not expired a week ago.
		var inputs []forecast.RiskInput
		err := s.DB.WithContext(ctx).Model(&models.Prediction{}).
			Select("id", "country_iso", "question", "probability", "cameo_root_code", "created_at", "expires_at").
			Where("country_iso IS NOT NULL AND expires_at > ? AND created_at <= ?", now.Add(-forecast.RiskTrendDelta), now).
			Find(&inputs).Error
		if err != nil {
			return nil, err
		}
		asOf, err := s.GDELT.Newest(ctx)
		if err != nil {
			return nil, err
		}
		days, err := s.GDELT.CountryDays(ctx, asOf.Add(-forecast.BaselineWindow))
		if err != nil {
			return nil, err
		}
		out = forecast.SummarizeAll(inputs, days, now, asOf)
		return out, nil
	})
	if err == nil && out == nil {
		err = json.Unmarshal(b.body, &out)
	}
	return out, b, err
}

// listCountries returns the risk of every country with an active forecast or with
// events in the event store.
func (s *Server) listCountries(c *gin.Context) {
	_, b, err := s.countryRisks(c)
	if err != nil {
		fail(c, err)
		return
	}
	writeCached(c, http.StatusOK, b, cacheRevalidate)
}

// getCountry returns one country's risk; 404 for an unknown code or a country with
// neither active forecasts nor events.
func (s *Server) getCountry(c *gin.Context) {
	raw := c.Param("iso")
	a2 := codes.Alpha2(raw)
	if a2 == "" {
		fail(c, ErrNotFound("Unknown country code "+quoteID(raw)+"; use ISO 3166-1 alpha-2 or alpha-3."))
		return
	}
	all, _, err := s.countryRisks(c)
	if err != nil {
		fail(c, err)
		return
	}
	for _, r := range all {
		if r.ISOCode == a2 {
			writeJSON(c, http.StatusOK, r, cacheRevalidate)
			return
		}
	}
	fail(c, ErrNotFound("No active forecasts and no events for "+a2+"."))
}

// RiskMapEntry is one country of the choropleth.
type RiskMapEntry struct {
	ISOCode       string  `json:"iso_code"`
	RiskScore     float64 `json:"risk_score"`
	ForecastCount int     `json:"forecast_count"`
	TopForecast   *string `json:"top_forecast"`
}

// riskMap returns the choropleth layer: one light entry per country of /countries.
func (s *Server) riskMap(c *gin.Context) {
	all, _, err := s.countryRisks(c)
	if err != nil {
		fail(c, err)
		return
	}
	out := make([]RiskMapEntry, len(all))
	for i, r := range all {
		out[i] = RiskMapEntry{ISOCode: r.ISOCode, RiskScore: r.RiskScore, ForecastCount: r.ForecastCount, TopForecast: r.TopForecast}
	}
	writeJSON(c, http.StatusOK, out, cacheRevalidate)
}

// RiskDelta is one country's change of blended risk over the last 7 days.
type RiskDelta struct {
	CountryISO   string  `json:"country_iso"`
	CurrentRisk  float64 `json:"current_risk"`
	PreviousRisk float64 `json:"previous_risk"`
	Delta        float64 `json:"delta"`
}

// riskDeltas answers GET /globe/deltas: the countries whose risk rose or fell by more
// than the trend deadband over 7 days, largest change first.
func (s *Server) riskDeltas(c *gin.Context) {
	limit, err := parseLimit(c, 50, 250)
	if err != nil {
		fail(c, err)
		return
	}
	all, _, err := s.countryRisks(c)
	if err != nil {
		fail(c, err)
		return
	}
	out := []RiskDelta{}
	for _, r := range all {
		if r.Trend != "stable" {
			d := RiskDelta{CountryISO: r.ISOCode, CurrentRisk: r.RiskScore, PreviousRisk: r.PreviousRisk}
			d.Delta = round2(d.CurrentRisk - d.PreviousRisk)
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return math.Abs(out[i].Delta) > math.Abs(out[j].Delta) })
	writeJSON(c, http.StatusOK, struct {
		Deltas []RiskDelta `json:"deltas"`
	}{out[:min(limit, len(out))]}, cacheRevalidate)
}

// Arc is the traffic between two countries' actors in the last 30 days of the event store.
type Arc struct {
	SourceISO    string  `json:"source_iso"`
	TargetISO    string  `json:"target_iso"`
	EventCount   int     `json:"event_count"`
	AvgGoldstein float64 `json:"avg_goldstein"`
}

// arcWindow is how far back from the newest event the arcs layer looks.
const arcWindow = 30 * 24 * time.Hour

// arcs answers GET /globe/arcs: the busiest ordered pairs of actor countries (Actor1 ->
// Actor2) over the last 30 days of the event store, with their mean Goldstein value.
func (s *Server) arcs(c *gin.Context) {
	limit, err := parseLimit(c, 50, 500)
	if err != nil {
		fail(c, err)
		return
	}
	b, err := s.cachedJSON(c, plainKey("arcs:"+strconv.Itoa(limit)), s.Config.CacheTTLSummary, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		return s.loadArcs(ctx, limit)
	})
	if err != nil {
		fail(c, err)
		return
	}
	writeCached(c, http.StatusOK, b, cacheRevalidate)
}

// loadArcs reads the actor-country pairs and keeps those whose both ends are ISO
// countries (GDELT also codes regions and groups such as EUR or AFR), up to limit.
func (s *Server) loadArcs(ctx context.Context, limit int) (any, error) {
	asOf, err := s.GDELT.Newest(ctx)
	if err != nil {
		return nil, err
	}
	pairs, err := s.GDELT.ActorPairs(ctx, asOf.Add(-arcWindow))
	if err != nil {
		return nil, err
	}
	out := []Arc{}
	for _, p := range pairs {
		src, dst := codes.Alpha2(p.Source), codes.Alpha2(p.Target)
		if src == "" || dst == "" || src == dst || len(p.Source) != 3 || len(p.Target) != 3 {
			continue
		}
		out = append(out, Arc{SourceISO: src, TargetISO: dst, EventCount: p.Events,
			AvgGoldstein: round2(p.MeanGoldstein)})
		if len(out) == limit {
			break
		}
	}
	return struct {
		Arcs []Arc `json:"arcs"`
	}{out}, nil
}

// round2 rounds to two decimals, the precision of every risk value on the wire.
func round2(x float64) float64 { return math.Round(x*100) / 100 }
