package forecast

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/models"
)

// ErrIdempotencyConflict is a retry whose Idempotency-Key already names another forecast.
var ErrIdempotencyConflict = errors.New("this Idempotency-Key was already used for a different forecast")

// IdempotencyID derives a forecast id from the client and its Idempotency-Key, so that a
// retry maps to the same primary key and can never insert a second row.
func IdempotencyID(client, key string) string {
	return uuid.NewSHA1(idempotencyNamespace, []byte(client+"\x00"+key)).String()
}

var idempotencyNamespace = uuid.MustParse("6f1c3d1e-8b7a-4f59-9a4e-3c2b1d0e9f87")

// Create validates req and stores it as a new forecast: the one path POST and the seed
// command share. With a non-empty id (derived from an Idempotency-Key), a forecast
// already stored under that id is returned when it carries the same content, and
// ErrIdempotencyConflict when it does not; no second row is ever written. An invalid
// request is a *validate.Error.
func Create(ctx context.Context, db *gorm.DB, req *ForecastRequest, id string, now time.Time) (*models.Prediction, error) {
	if err := req.Validate(now); err != nil {
		return nil, err
	}
	idempotent := id != ""
	if !idempotent {
		id = uuid.NewString()
	}
	row, err := req.Row(id, now)
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
		return nil, ErrIdempotencyConflict
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
		stored.ReasoningSummary == retry.ReasoningSummary && eqPtr(stored.NarrativeSummary, retry.NarrativeSummary) &&
		stored.EvidenceCount == retry.EvidenceCount &&
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

// eqPtr reports whether two optional values are both absent or equal.
func eqPtr[T comparable](a, b *T) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// trackRecordBlock is the calibration block of a forecast posted without one: the
// category's track record from the scorecard's definitions (sample_size resolved
// forecasts, their Brier score, and historical_accuracy = the share whose rounded
// probability matched the outcome), with temperature 1 (no tempering reported).
func trackRecordBlock(ctx context.Context, db *gorm.DB, category string) (models.JSON, error) {
	tr, err := calibration.LoadTrackRecord(ctx, db, category)
	if err != nil {
		return nil, err
	}
	return models.EncodeJSON(CalibrationDTO{Category: category, Temperature: 1, HistoricalAccuracy: tr.HistoricalAccuracy,
		BrierScore: tr.BrierScore, SampleSize: tr.SampleSize})
}
