package calibration

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"geopol/models"
)

// DefaultMaxChange is the default guardrail (config key calibration_max_change): a
// refit may move a stored alpha by at most 25% (relative) unless forced.
const DefaultMaxChange = 0.25

// LoadEnsembleSamples reads every resolved forecast whose ensemble_info carries both
// llm_probability and tkg_probability, with its CAMEO root code and outcome.
func LoadEnsembleSamples(ctx context.Context, db *gorm.DB) ([]EnsembleSample, error) {
	var rows []struct {
		CameoRootCode *string
		EnsembleInfo  models.JSON
		Outcome       float64
	}
	err := outcomes(ctx, db, Filter{}).Where("o.status = ?", models.OutcomeResolved).
		Select("p.cameo_root_code AS cameo_root_code, p.ensemble_info AS ensemble_info, o.outcome AS outcome").
		Order("o.prediction_id").Scan(&rows).Error
	if err != nil {
		return nil, err
	}
	out := make([]EnsembleSample, 0, len(rows))
	for _, r := range rows {
		var info struct {
			LLM *float64 `json:"llm_probability"`
			TKG *float64 `json:"tkg_probability"`
		}
		if len(r.EnsembleInfo) == 0 || json.Unmarshal(r.EnsembleInfo, &info) != nil || info.LLM == nil || info.TKG == nil {
			continue
		}
		s := EnsembleSample{LLM: *info.LLM, TKG: *info.TKG, Outcome: r.Outcome}
		if r.CameoRootCode != nil {
			s.Code = *r.CameoRootCode
		}
		out = append(out, s)
	}
	return out, nil
}

// CalibrateOptions tune one calibration run.
type CalibrateOptions struct {
	// MaxChange is the guardrail: the largest RelativeChange applied without Force.
	MaxChange float64
	// Force applies every fit, guardrail or not.
	Force bool
	// Now stamps updated_at.
	Now time.Time
}

// CalibrateReport is what a calibration run found and did.
type CalibrateReport struct {
	Samples   int        `json:"samples"`
	Decisions []Decision `json:"decisions"`
	Applied   int        `json:"applied"`
	Refused   int        `json:"refused"`
	// ByCode counts the samples per CAMEO root code ("" for none), so that a run that
	// fitted nothing can say how far each group is from MinGroupSize. The command line
	// prints it; the API's response does not carry it.
	ByCode map[string]int `json:"-"`
}

// Calibrate fits the ensemble weights from the resolved forecasts (Plan), checks them
// against the stored ones (Guard) and upserts the accepted ones into
// calibration_weights, all in one transaction. Refused fits leave the stored weight as
// it is and are reported.
func Calibrate(ctx context.Context, db *gorm.DB, opts CalibrateOptions) (*CalibrateReport, error) {
	if opts.Now.IsZero() {
		opts.Now = time.Now().UTC().Truncate(time.Microsecond)
	}
	if opts.MaxChange <= 0 {
		opts.MaxChange = DefaultMaxChange
	}
	rep := &CalibrateReport{}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		samples, err := LoadEnsembleSamples(ctx, tx)
		if err != nil {
			return err
		}
		stored, err := LoadWeights(ctx, tx)
		if err != nil {
			return err
		}
		current := make(map[string]float64, len(stored))
		for _, w := range stored {
			current[w.CameoCode] = w.Alpha
		}
		rep.Samples = len(samples)
		rep.ByCode = map[string]int{}
		for _, x := range samples {
			rep.ByCode[x.Code]++
		}
		rep.Decisions = Guard(Plan(samples, current), current, opts.MaxChange, opts.Force)
		for _, d := range rep.Decisions {
			if d.Refused {
				rep.Refused++
				continue
			}
			brier := d.BrierScore
			w := models.CalibrationWeight{CameoCode: d.Code, Alpha: d.Alpha, SampleSize: d.SampleSize, BrierScore: &brier, UpdatedAt: opts.Now}
			err := tx.Clauses(clause.OnConflict{
				Columns:   []clause.Column{{Name: "cameo_code"}},
				DoUpdates: clause.AssignmentColumns([]string{"alpha", "sample_size", "brier_score", "updated_at"}),
			}).Create(&w).Error
			if err != nil {
				return fmt.Errorf("store weight %s: %w", d.Code, err)
			}
			rep.Applied++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// LoadWeights returns every stored weight, by cameo_code.
func LoadWeights(ctx context.Context, db *gorm.DB) ([]models.CalibrationWeight, error) {
	var out []models.CalibrationWeight
	err := db.WithContext(ctx).Order("cameo_code").Find(&out).Error
	return out, err
}

// Lookup returns the weight that applies to a CAMEO root code: its own, else its
// super-category's, else global, else the documented prior (PriorAlpha).
func Lookup(ctx context.Context, db *gorm.DB, code string) (Weight, error) {
	var rows []models.CalibrationWeight
	if err := db.WithContext(ctx).Where("cameo_code IN ?", Chain(code)).Find(&rows).Error; err != nil {
		return Weight{}, err
	}
	stored := make(map[string]models.CalibrationWeight, len(rows))
	for _, w := range rows {
		stored[w.CameoCode] = w
	}
	return LookupIn(stored, code), nil
}
