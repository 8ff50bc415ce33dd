package models

import "time"

// Ingest run states. A run is written as running when it starts and always ends in one
// of the other three; an interrupted process records interrupted, never leaves running.
const (
	IngestRunning     = "running"
	IngestSuccess     = "success"
	IngestFailed      = "failed"
	IngestInterrupted = "interrupted"
)

// IngestRun accounts for one ingest of one source file into the GDELT event store.
type IngestRun struct {
	ID     int64  `gorm:"primaryKey"`
	Source string `gorm:"type:varchar(20);not null;default:'gdelt';index:idx_ingest_runs_source_started,priority:1"`
	// idx_ingest_runs_source_started serves "newest runs of a source" (health's
	// last_ingest and GET /ingest-runs): WHERE source = ? ORDER BY started_at DESC.
	StartedAt       time.Time `gorm:"not null;index:idx_ingest_runs_source_started,priority:2"`
	CompletedAt     *time.Time
	Status          string  `gorm:"type:varchar(20);not null;check:chk_ingest_runs_status,status IN ('running','success','failed','interrupted')"`
	EventsFetched   int     `gorm:"type:integer;not null;default:0"`
	EventsNew       int     `gorm:"type:integer;not null;default:0"`
	EventsDuplicate int     `gorm:"type:integer;not null;default:0"`
	ErrorMessage    *string `gorm:"type:text"`
	FileURL         *string `gorm:"type:text"`
}

// TableName pins the table name.
func (IngestRun) TableName() string { return "ingest_runs" }
