package models

import "time"

// CalibrationWeight is the learned ensemble weight for one CAMEO grouping: the share
// alpha of the LLM probability in alpha*llm + (1-alpha)*tkg. CameoCode is a root code
// ("01".."20"), a QuadClass pool ("super:<quad>") or "global".
type CalibrationWeight struct {
	ID         int64     `gorm:"primaryKey"`
	CameoCode  string    `gorm:"type:varchar(30);not null;uniqueIndex:uq_calibration_weights_cameo_code"`
	Alpha      float64   `gorm:"type:double precision;not null;check:chk_calibration_weights_alpha,alpha >= 0 AND alpha <= 1"`
	SampleSize int       `gorm:"type:integer;not null;default:0"`
	BrierScore *float64  `gorm:"type:double precision"`
	UpdatedAt  time.Time `gorm:"not null"`
}

// TableName pins the table name.
func (CalibrationWeight) TableName() string { return "calibration_weights" }
