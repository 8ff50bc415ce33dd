package forecast

import (
	"encoding/json"
	"fmt"
	"time"

	"geopol/codes"
	"geopol/models"
)

// The wire DTOs of the forecast API (handlers/openapi.yaml), and the mapping between
// them and the Prediction row (whose JSON columns hold the nested parts). Field names are
// the wire contract dashboards are written against.

// EventURL is the API path of a GDELT event, as evidence links carry it.
func EventURL(id string) string { return "/api/v1/events/" + id }

// ForecastResponse is a stored forecast as the API returns it.
type ForecastResponse struct {
	ForecastID       string        `json:"forecast_id"`
	Question         string        `json:"question"`
	Prediction       string        `json:"prediction"`
	Probability      float64       `json:"probability"`
	Confidence       float64       `json:"confidence"`
	HorizonDays      int           `json:"horizon_days"`
	CountryISO       *string       `json:"country_iso"`
	Category         string        `json:"category"`
	CameoRootCode    *string       `json:"cameo_root_code"`
	Scenarios        []ScenarioDTO `json:"scenarios"`
	ReasoningSummary string        `json:"reasoning_summary"`
	// NarrativeSummary is the engine's optional reader-facing account; null when none.
	NarrativeSummary *string         `json:"narrative_summary"`
	EvidenceCount    int             `json:"evidence_count"`
	EnsembleInfo     EnsembleInfoDTO `json:"ensemble_info"`
	Calibration      CalibrationDTO  `json:"calibration"`
	Entities         []string        `json:"entities"`
	CreatedAt        time.Time       `json:"created_at"`
	ExpiresAt        time.Time       `json:"expires_at"`
	// PolymarketComparison is always null: geopol does not track prediction markets.
	// Dashboards that show a comparison panel treat null as "no market matched".
	PolymarketComparison *struct{} `json:"polymarket_comparison"`
}

// ScenarioDTO is one node of a forecast's scenario tree.
type ScenarioDTO struct {
	ScenarioID         string        `json:"scenario_id"`
	Description        string        `json:"description"`
	Probability        float64       `json:"probability"`
	AnswersAffirmative bool          `json:"answers_affirmative"`
	Entities           []string      `json:"entities"`
	Timeline           []string      `json:"timeline"`
	EvidenceSources    []EvidenceDTO `json:"evidence_sources"`
	ChildScenarios     []ScenarioDTO `json:"child_scenarios"`
}

// EvidenceDTO is one piece of evidence behind a scenario. GdeltEventID cross-references
// the GDELT event store.
type EvidenceDTO struct {
	Source       string     `json:"source"`
	Description  string     `json:"description"`
	Confidence   float64    `json:"confidence"`
	Timestamp    *time.Time `json:"timestamp"`
	GdeltEventID *string    `json:"gdelt_event_id"`
	// EventURL links a cited GDELT event to GET /api/v1/events/{id}. The server sets it
	// in responses; a value sent in a request is ignored.
	EventURL *string `json:"event_url,omitempty"`
}

// CalibrationDTO is the calibration block: how the engine's raw probability was tempered
// and the track record of its category.
type CalibrationDTO struct {
	Category           string   `json:"category"`
	Temperature        float64  `json:"temperature"`
	HistoricalAccuracy float64  `json:"historical_accuracy"`
	BrierScore         *float64 `json:"brier_score"`
	SampleSize         int      `json:"sample_size"`
}

// EnsembleInfoDTO says how the LLM and TKG probabilities were combined.
type EnsembleInfoDTO struct {
	LLMProbability     float64            `json:"llm_probability"`
	TKGProbability     *float64           `json:"tkg_probability"`
	Weights            map[string]float64 `json:"weights"`
	TemperatureApplied float64            `json:"temperature_applied"`
	// Baseline is present only on the base-rate forecasts of `geopol forecast
	// baseline`: it marks them as the baseline and holds the numbers behind them. The
	// scorecard measures other forecasts' skill against them.
	Baseline *BaselineInfoDTO `json:"baseline,omitempty"`
}

// BaselineInfoDTO is how a base-rate forecast was estimated: the resolution rule fired
// in Fired of the Windows trailing windows of WindowDays days before AsOf, and the
// probability is (Fired + PriorAlpha) / (Windows + PriorAlpha + PriorBeta).
type BaselineInfoDTO struct {
	Method       string  `json:"method"` // calibration.BaselineMethod
	AsOf         string  `json:"as_of"`  // YYYY-MM-DD: only events dated before it were read
	HorizonDays  int     `json:"horizon_days"`
	WindowDays   int     `json:"window_days"` // horizon_days + 1: creation day to expiry day
	LookbackDays int     `json:"lookback_days"`
	Windows      int     `json:"windows"`
	Fired        int     `json:"fired"`
	PriorAlpha   float64 `json:"prior_alpha"`
	PriorBeta    float64 `json:"prior_beta"`
	MinMentions  int     `json:"min_mentions"`
	MinSources   int     `json:"min_sources"`
}

// ForecastRequest is the body of POST /forecasts: a ForecastResponse without the
// server-assigned forecast_id and created_at. Pointers mark fields whose absence must be
// told apart from a zero value.
type ForecastRequest struct {
	Question         string           `json:"question"`
	Prediction       string           `json:"prediction"`
	Probability      *float64         `json:"probability"`
	Confidence       *float64         `json:"confidence"`
	HorizonDays      *int             `json:"horizon_days"`
	CountryISO       *string          `json:"country_iso"`
	Category         string           `json:"category"`
	CameoRootCode    *string          `json:"cameo_root_code"`
	Scenarios        []ScenarioDTO    `json:"scenarios"`
	ReasoningSummary string           `json:"reasoning_summary"`
	NarrativeSummary *string          `json:"narrative_summary"`
	EvidenceCount    *int             `json:"evidence_count"`
	EnsembleInfo     *EnsembleInfoDTO `json:"ensemble_info"`
	Calibration      *CalibrationDTO  `json:"calibration"`
	Entities         []string         `json:"entities"`
	ExpiresAt        *time.Time       `json:"expires_at"`
}

// Row builds the Prediction row for a validated request. id and now come from the
// caller so that idempotent retries can rebuild the same row.
func (r *ForecastRequest) Row(id string, now time.Time) (*models.Prediction, error) {
	horizon := 30
	if r.HorizonDays != nil {
		horizon = *r.HorizonDays
	}
	expires := now.Add(time.Duration(horizon) * 24 * time.Hour)
	if r.ExpiresAt != nil {
		expires = r.ExpiresAt.UTC().Truncate(time.Microsecond)
	}
	scenarios := nonNil(r.Scenarios)
	WalkEvidence(scenarios, "scenarios", func(_ string, e *EvidenceDTO) { e.EventURL = nil })
	evidence := countEvidence(scenarios)
	if r.EvidenceCount != nil {
		evidence = *r.EvidenceCount
	}
	cal := CalibrationDTO{Category: r.Category, Temperature: 1}
	if r.Calibration != nil {
		cal = *r.Calibration
	}
	row := &models.Prediction{
		ID: id, Question: r.Question, PredictionText: r.Prediction,
		Probability: positiveZero(*r.Probability), Confidence: positiveZero(*r.Confidence), HorizonDays: horizon,
		Category: r.Category, CameoRootCode: r.CameoRootCode, ReasoningSummary: r.ReasoningSummary, NarrativeSummary: r.NarrativeSummary,
		EvidenceCount: evidence, CountryISO: r.CountryISO, CreatedAt: now, ExpiresAt: expires,
	}
	var err error
	if row.Scenarios, err = models.EncodeJSON(scenarios); err != nil {
		return nil, err
	}
	if row.EnsembleInfo, err = models.EncodeJSON(r.EnsembleInfo); err != nil {
		return nil, err
	}
	if row.Calibration, err = models.EncodeJSON(cal); err != nil {
		return nil, err
	}
	if row.Entities, err = models.EncodeJSON(nonNil(r.Entities)); err != nil {
		return nil, err
	}
	return row, nil
}

// positiveZero turns -0 into 0 (and leaves every other number alone): the same number,
// but PostgreSQL keeps the sign of a zero in a double precision column and SQLite does
// not, so without this the two would answer -0 and 0 for one request.
func positiveZero(x float64) float64 { return x + 0 }

// FromRow maps a stored row to its wire form, linking every cited GDELT event.
func FromRow(p *models.Prediction) (*ForecastResponse, error) {
	f := &ForecastResponse{
		ForecastID: p.ID, Question: p.Question, Prediction: p.PredictionText,
		Probability: p.Probability, Confidence: p.Confidence, HorizonDays: p.HorizonDays,
		CountryISO: alpha2(p.CountryISO), Category: p.Category, CameoRootCode: p.CameoRootCode,
		ReasoningSummary: p.ReasoningSummary, NarrativeSummary: p.NarrativeSummary, EvidenceCount: p.EvidenceCount,
		CreatedAt: p.CreatedAt.UTC(), ExpiresAt: p.ExpiresAt.UTC(),
	}
	for name, part := range map[string]struct {
		src models.JSON
		dst any
	}{
		"scenarios": {p.Scenarios, &f.Scenarios}, "ensemble_info": {p.EnsembleInfo, &f.EnsembleInfo},
		"calibration": {p.Calibration, &f.Calibration}, "entities": {p.Entities, &f.Entities},
	} {
		if len(part.src) == 0 {
			continue
		}
		if err := json.Unmarshal(part.src, part.dst); err != nil {
			return nil, fmt.Errorf("forecast %s: stored %s is unreadable: %w", p.ID, name, err)
		}
	}
	f.Scenarios = nonNil(f.Scenarios)
	f.Entities = nonNil(f.Entities)
	WalkEvidence(f.Scenarios, "scenarios", func(_ string, e *EvidenceDTO) {
		if e.GdeltEventID != nil {
			link := EventURL(*e.GdeltEventID)
			e.EventURL = &link
		}
	})
	return f, nil
}

// alpha2 turns a stored alpha-3 country code into the alpha-2 code the API answers with.
func alpha2(iso *string) *string {
	if iso == nil {
		return nil
	}
	a2 := codes.Alpha2(*iso)
	return &a2
}

// WalkEvidence calls f for every evidence item of a scenario tree, with its JSON path.
func WalkEvidence(nodes []ScenarioDTO, path string, f func(path string, e *EvidenceDTO)) {
	for i := range nodes {
		p := fmt.Sprintf("%s[%d]", path, i)
		for j := range nodes[i].EvidenceSources {
			f(fmt.Sprintf("%s.evidence_sources[%d]", p, j), &nodes[i].EvidenceSources[j])
		}
		WalkEvidence(nodes[i].ChildScenarios, p+".child_scenarios", f)
	}
}

// countEvidence counts the evidence items in a scenario tree.
func countEvidence(nodes []ScenarioDTO) int {
	n := 0
	for _, s := range nodes {
		n += len(s.EvidenceSources) + countEvidence(s.ChildScenarios)
	}
	return n
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
