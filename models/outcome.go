package models

import "time"

// Outcome statuses. Only resolved outcomes are scored; annulled (the question became
// void) and ambiguous (it cannot be decided) are kept for the record, as Metaculus does.
const (
	OutcomeResolved  = "resolved"
	OutcomeAnnulled  = "annulled"
	OutcomeAmbiguous = "ambiguous"
)

// OutcomeRecord is the resolution of one forecast: what happened (outcome 1 = yes,
// 0 = no, in between for partial resolutions), when, how it was decided and the GDELT
// events that show it. A forecast has at most one (unique prediction_id); deleting the
// forecast deletes its outcome.
type OutcomeRecord struct {
	ID           int64       `gorm:"primaryKey"`
	PredictionID string      `gorm:"type:varchar(36);not null;uniqueIndex:uq_outcome_records_prediction_id"`
	Prediction   *Prediction `gorm:"foreignKey:PredictionID;references:ID;constraint:fk_outcome_records_prediction,OnDelete:CASCADE,OnUpdate:NO ACTION"`
	Outcome      float64     `gorm:"type:double precision;not null;check:chk_outcome_records_outcome,outcome >= 0 AND outcome <= 1"`
	// Status is resolved, annulled or ambiguous; scoring reads resolved rows only.
	Status           string    `gorm:"type:varchar(20);not null;default:'resolved';check:chk_outcome_records_status,status IN ('resolved','annulled','ambiguous')"`
	ResolutionDate   time.Time `gorm:"not null"`
	ResolutionMethod string    `gorm:"type:varchar(50);not null"`
	// EvidenceGdeltIDs is a JSON array of GLOBALEVENTID strings from the event store.
	EvidenceGdeltIDs JSON    `gorm:"column:evidence_gdelt_ids;type:json"`
	Notes            *string `gorm:"type:text"`
	// History is a JSON array of the versions an administrator's correction replaced,
	// oldest first, each with the time it was replaced (null until the first correction).
	History JSON `gorm:"type:json"`
}

// TableName pins the table name.
func (OutcomeRecord) TableName() string { return "outcome_records" }
