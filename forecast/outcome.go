package forecast

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"geopol/models"
	"geopol/validate"
)

// Outcome limits.
const (
	maxOutcomeEvidence = 100
	maxOutcomeNotes    = 10000
	// resolutionSkew tolerates clients whose clocks run a little ahead of ours.
	resolutionSkew = 5 * time.Minute
)

var resolutionMethodPattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,49}$`)

// OutcomeRequest is the body of POST /forecasts/{id}/outcome and of the admin PUT that
// corrects an outcome. Status defaults to resolved, resolution_date to now and
// resolution_method to "manual"; outcome is required when the status is resolved.
type OutcomeRequest struct {
	Outcome          *float64   `json:"outcome"`
	Status           string     `json:"status"`
	ResolutionDate   *time.Time `json:"resolution_date"`
	ResolutionMethod string     `json:"resolution_method"`
	EvidenceGdeltIDs []string   `json:"evidence_gdelt_ids"`
	Notes            *string    `json:"notes"`
}

// OutcomeVersion is one version of an outcome: the current one, or (with ReplacedAt)
// one an administrator's correction replaced.
type OutcomeVersion struct {
	Outcome          float64    `json:"outcome"`
	Status           string     `json:"status"`
	ResolutionDate   time.Time  `json:"resolution_date"`
	ResolutionMethod string     `json:"resolution_method"`
	EvidenceGdeltIDs []string   `json:"evidence_gdelt_ids"`
	Notes            *string    `json:"notes"`
	ReplacedAt       *time.Time `json:"replaced_at,omitempty"`
}

// OutcomeResponse is a forecast's outcome as the API returns it. Scored says whether
// the scorecard and the weights count it (only resolved outcomes are scored); History
// lists corrected versions, oldest first.
type OutcomeResponse struct {
	ForecastID string `json:"forecast_id"`
	OutcomeVersion
	Scored  bool             `json:"scored"`
	History []OutcomeVersion `json:"history"`
}

// Validate checks r for a forecast created at created and returns the version to store,
// or a *validate.Error listing every invalid field.
func (r *OutcomeRequest) Validate(created, now time.Time) (*OutcomeVersion, error) {
	v := &validate.Collector{}
	out := &OutcomeVersion{Status: r.Status, ResolutionMethod: r.ResolutionMethod, ResolutionDate: now,
		EvidenceGdeltIDs: nonNil(r.EvidenceGdeltIDs), Notes: r.Notes}
	switch out.Status {
	case "":
		out.Status = models.OutcomeResolved
	case models.OutcomeResolved, models.OutcomeAnnulled, models.OutcomeAmbiguous:
	default:
		v.Add("status", "must be resolved, annulled or ambiguous")
	}
	switch {
	case r.Outcome != nil:
		v.Unit("outcome", *r.Outcome)
		out.Outcome = *r.Outcome
	case out.Status == models.OutcomeResolved:
		v.Add("outcome", "is required when status is resolved (1 = yes, 0 = no)")
	}
	if r.ResolutionDate != nil {
		v.Time("resolution_date", *r.ResolutionDate)
		out.ResolutionDate = r.ResolutionDate.UTC()
	}
	if out.ResolutionDate.Before(created) {
		v.Add("resolution_date", "must not be before the forecast was created (%s)", created.UTC().Format(time.RFC3339))
	} else if out.ResolutionDate.After(now.Add(resolutionSkew)) {
		v.Add("resolution_date", "must not be in the future")
	}
	if out.ResolutionMethod == "" {
		out.ResolutionMethod = "manual"
	} else if !resolutionMethodPattern.MatchString(out.ResolutionMethod) {
		v.Add("resolution_method", "must be a lower-case word such as manual or gdelt_rule (at most 50 characters)")
	}
	if len(out.EvidenceGdeltIDs) > maxOutcomeEvidence {
		v.Add("evidence_gdelt_ids", "must have at most %d items", maxOutcomeEvidence)
	} else {
		for i, id := range out.EvidenceGdeltIDs {
			if !ValidGdeltID(id) {
				v.Add(fmt.Sprintf("evidence_gdelt_ids[%d]", i), "must be a GDELT GLOBALEVENTID (digits)")
			}
		}
	}
	if r.Notes != nil {
		v.Text("notes", *r.Notes, 0, maxOutcomeNotes)
	}
	if err := v.Err(fmt.Sprintf("The outcome has %d invalid field(s).", v.Len())); err != nil {
		return nil, err
	}
	return out, nil
}

// Record maps a version to the columns of an outcome row.
func (o *OutcomeVersion) Record(forecastID string) (*models.OutcomeRecord, error) {
	ids, err := models.EncodeJSON(o.EvidenceGdeltIDs)
	if err != nil {
		return nil, err
	}
	return &models.OutcomeRecord{PredictionID: forecastID, Outcome: positiveZero(o.Outcome), Status: o.Status,
		ResolutionDate: o.ResolutionDate, ResolutionMethod: o.ResolutionMethod, EvidenceGdeltIDs: ids, Notes: o.Notes}, nil
}

// OutcomeFromRow maps a stored outcome to its wire form.
func OutcomeFromRow(r *models.OutcomeRecord) (*OutcomeResponse, error) {
	resp := &OutcomeResponse{ForecastID: r.PredictionID, Scored: r.Status == models.OutcomeResolved,
		OutcomeVersion: OutcomeVersion{Outcome: r.Outcome, Status: r.Status, ResolutionDate: r.ResolutionDate.UTC(),
			ResolutionMethod: r.ResolutionMethod, Notes: r.Notes}}
	for name, part := range map[string]struct {
		src models.JSON
		dst any
	}{"evidence_gdelt_ids": {r.EvidenceGdeltIDs, &resp.EvidenceGdeltIDs}, "history": {r.History, &resp.History}} {
		if len(part.src) > 0 {
			if err := json.Unmarshal(part.src, part.dst); err != nil {
				return nil, fmt.Errorf("outcome of %s: stored %s is unreadable: %w", r.PredictionID, name, err)
			}
		}
	}
	resp.EvidenceGdeltIDs, resp.History = nonNil(resp.EvidenceGdeltIDs), nonNil(resp.History)
	return resp, nil
}
