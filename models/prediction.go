package models

import "time"

// Prediction is one stored forecast: the probability an engine gave a question, with the
// scenario tree, ensemble details, calibration block and entities kept as JSON documents.
// The wire shape (forecast.ForecastResponse) is a nested tree; this row is its storage.
type Prediction struct {
	// ID is a server-assigned UUID string, so ids can be made before the row exists.
	ID             string  `gorm:"primaryKey;type:varchar(36);not null"`
	Question       string  `gorm:"type:text;not null"`
	PredictionText string  `gorm:"column:prediction;type:text;not null"`
	Probability    float64 `gorm:"type:double precision;not null;check:chk_predictions_probability,probability >= 0 AND probability <= 1"`
	Confidence     float64 `gorm:"type:double precision;not null;check:chk_predictions_confidence,confidence >= 0 AND confidence <= 1"`
	HorizonDays    int     `gorm:"type:integer;not null;default:30;check:chk_predictions_horizon_days,horizon_days > 0"`
	// Category is the forecast class ("conflict", "diplomatic", ...); filters and the
	// calibration block key on it.
	Category string `gorm:"type:varchar(32);not null;index:idx_predictions_category"`
	// CameoRootCode ("01".."20") ties the forecast to a CAMEO event class, for automated
	// resolution against GDELT and for per-code calibration weights.
	CameoRootCode    *string `gorm:"type:varchar(4);index:idx_predictions_cameo_root_code"`
	ReasoningSummary string  `gorm:"type:text;not null"`
	// NarrativeSummary is an optional longer, reader-facing account of the forecast.
	NarrativeSummary *string `gorm:"type:text"`
	EvidenceCount    int     `gorm:"type:integer;not null;default:0"`
	Scenarios        JSON    `gorm:"type:json;not null"`
	EnsembleInfo     JSON    `gorm:"type:json;not null"`
	Calibration      JSON    `gorm:"type:json;not null"`
	Entities         JSON    `gorm:"type:json;not null"`
	// CountryISO is stored upper-case ISO 3166-1 alpha-3; forecast validation converts alpha-2.
	// It has no single-column index: the composite below leads with it and serves both.
	// idx_predictions_country_created serves the per-country list and risk summary:
	// WHERE country_iso = ? ORDER BY created_at DESC, id DESC (keyset pagination).
	CountryISO *string   `gorm:"column:country_iso;type:varchar(3);index:idx_predictions_country_created,priority:1"`
	CreatedAt  time.Time `gorm:"not null;index:idx_predictions_created_at;index:idx_predictions_country_created,priority:2"`
	// ExpiresAt ends the forecast's active life (created_at + horizon_days by default);
	// lists, top and country summaries show only rows with expires_at > now.
	ExpiresAt time.Time `gorm:"not null;index:idx_predictions_expires_at"`
}

// TableName pins the table name so a rename of the struct cannot move the table.
func (Prediction) TableName() string { return "predictions" }
