package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/calibration"
	"geopol/codes"
	"geopol/forecast"
	"geopol/validate"
)

// ScorecardFilters echoes the filters a scorecard was computed for.
type ScorecardFilters struct {
	Category *string `json:"category"`
	Country  *string `json:"country"`
	From     *string `json:"from"`
	To       *string `json:"to"`
	// Source is engine or baseline when the scorecard covers only those forecasts.
	Source *string `json:"source"`
}

// ScorecardResponse is the body of GET /calibration/scorecard.
type ScorecardResponse struct {
	Filters ScorecardFilters `json:"filters"`
	calibration.Scorecard
}

// parseScorecardFilters reads ?category=&country=&from=&to=&source= (dates YYYY-MM-DD,
// both inclusive, on the forecasts' created_at in UTC; source engine or baseline),
// answering 422 for invalid values.
func parseScorecardFilters(q url.Values) (calibration.Filter, ScorecardFilters, error) {
	var f calibration.Filter
	var echo ScorecardFilters
	v := &validate.Collector{}
	if cat := q.Get("category"); cat != "" {
		if !forecast.ValidCategory(cat) {
			v.Add("category", "must be a lower-case category word")
		}
		f.Category, echo.Category = cat, &cat
	}
	if raw := q.Get("country"); raw != "" {
		iso, ok := codes.NormalizeISO(raw)
		if !ok {
			v.Add("country", "must be a known ISO 3166-1 alpha-2 or alpha-3 code")
		}
		f.CountryISO, echo.Country = iso, &iso
	}
	for _, p := range []struct {
		name string
		dst  **time.Time
		echo **string
		next bool
	}{{"from", &f.From, &echo.From, false}, {"to", &f.To, &echo.To, true}} {
		raw := q.Get(p.name)
		if raw == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			v.Add(p.name, "must be a date YYYY-MM-DD (RFC 3339 full-date)")
			continue
		}
		if p.next { // "to" includes its whole day
			d = d.AddDate(0, 0, 1)
		}
		*p.dst, *p.echo = &d, &raw
	}
	if src := q.Get("source"); src != "" {
		if src != calibration.SourceEngine && src != calibration.SourceBaseline {
			v.Add("source", "must be engine (forecasts that are not baselines) or baseline")
		}
		f.Source, echo.Source = src, &src
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		v.Add("to", "must not be before from")
	}
	if err := v.Err("A query parameter is invalid."); err != nil {
		return f, echo, err
	}
	return f, echo, nil
}

// scorecard answers GET /calibration/scorecard: Brier and log scores, the reliability
// diagram, the Murphy decomposition and ECE, overall, by category and by CAMEO root.
func (s *Server) scorecard(c *gin.Context) {
	b, err := s.cachedScorecard(c)
	if err != nil {
		fail(c, err)
		return
	}
	writeCached(c, http.StatusOK, b, cacheRevalidate)
}

// cachedScorecard computes, or reads from the cache, the encoded ScorecardResponse the
// query's filters select; the JSON route and the /scorecard page share the entry.
func (s *Server) cachedScorecard(c *gin.Context) (*cached, error) {
	f, echo, err := parseScorecardFilters(c.Request.URL.Query())
	if err != nil {
		return nil, err
	}
	canon, _ := json.Marshal(echo)
	key := scopedKey(calibrationGeneration, "scorecard:"+string(canon))
	return s.cachedJSON(c, key, s.Config.CacheTTLSummary, func() (any, error) {
		ctx, cancel := s.queryCtx(c)
		defer cancel()
		card, err := calibration.LoadScorecard(ctx, s.DB, f)
		if err != nil {
			return nil, err
		}
		return ScorecardResponse{Filters: echo, Scorecard: *card}, nil
	})
}

// WeightView is a stored ensemble weight.
type WeightView struct {
	CameoCode  string    `json:"cameo_code"`
	Alpha      float64   `json:"alpha"`
	SampleSize int       `json:"sample_size"`
	BrierScore *float64  `json:"brier_score"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// WeightList is the body of GET /calibration/weights: the learned weights and the
// prior every code falls back to when none applies.
type WeightList struct {
	Items      []WeightView `json:"items"`
	PriorAlpha float64      `json:"prior_alpha"`
}

// listWeights lists every learned weight, by cameo_code.
func (s *Server) listWeights(c *gin.Context) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	rows, err := calibration.LoadWeights(ctx, s.DB)
	if err != nil {
		fail(c, err)
		return
	}
	out := WeightList{Items: make([]WeightView, 0, len(rows)), PriorAlpha: calibration.PriorAlpha}
	for _, w := range rows {
		out.Items = append(out.Items, WeightView{CameoCode: w.CameoCode, Alpha: w.Alpha, SampleSize: w.SampleSize,
			BrierScore: w.BrierScore, UpdatedAt: w.UpdatedAt.UTC()})
	}
	writeJSON(c, http.StatusOK, out, cacheRevalidate)
}

// lookupWeight answers GET /calibration/weights/{code}: the weight that applies to a
// CAMEO root code (or a super-category, or global), through code -> super -> global ->
// prior.
func (s *Server) lookupWeight(c *gin.Context) {
	code := c.Param("code")
	if !codes.ValidRoot(code) && code != calibration.Global &&
		!calibration.IsSuper(code) {
		fail(c, ErrNotFound("Unknown CAMEO code "+quoteID(code)+`; use a root code "01".."20", super:<quad> or global.`))
		return
	}
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	w, err := calibration.Lookup(ctx, s.DB, code)
	if err != nil {
		fail(c, err)
		return
	}
	writeJSON(c, http.StatusOK, w, cacheRevalidate)
}

// CalibrateRequest is the optional body of POST /admin/calibrate.
type CalibrateRequest struct {
	// Force applies fits that the guardrail (calibration_max_change) would refuse.
	Force bool `json:"force"`
}

// calibrate (admin) refits the ensemble weights: 200 with what was applied and refused.
func (s *Server) calibrate(c *gin.Context) {
	var req CalibrateRequest
	if c.Request.ContentLength != 0 && c.Request.Body != nil && c.Request.Body != http.NoBody {
		if err := readJSON(c, &req); err != nil {
			fail(c, err)
			return
		}
	}
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	rep, err := calibration.Calibrate(ctx, s.DB, calibration.CalibrateOptions{
		MaxChange: s.Config.CalibrationMaxChange, Force: req.Force, Now: s.now()})
	if err != nil {
		fail(c, err)
		return
	}
	s.bump(c, calibrationGeneration)
	s.announceCalibration(rep)
	logger(c).Info("calibration run", "actor", "admin", "samples", rep.Samples, "applied", rep.Applied, "refused", rep.Refused, "force", req.Force)
	writeJSON(c, http.StatusOK, rep, "no-store")
}
