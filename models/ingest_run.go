package models

import "time"

// Ingest run states. A run is written as running when it starts and ends as success,
// failed or interrupted (an interrupted process records interrupted). A process that
// dies without a word (SIGKILL, power loss) leaves its run running; once its heartbeat
// is older than INGEST_HEARTBEAT_TIMEOUT, the next ingest, watcher poll or health check
// marks it abandoned, with the counts of its last heartbeat.
const (
	IngestRunning     = "running"
	IngestSuccess     = "success"
	IngestFailed      = "failed"
	IngestInterrupted = "interrupted"
	IngestAbandoned   = "abandoned"
)

// IngestRun accounts for one ingest of one source file into the GDELT event store.
type IngestRun struct {
	ID     int64  `gorm:"primaryKey"`
	Source string `gorm:"type:varchar(20);not null;default:'gdelt';index:idx_ingest_runs_source_started,priority:1"`
	// idx_ingest_runs_source_started serves "newest runs of a source" (health's
	// last_ingest and GET /ingest-runs): WHERE source = ? ORDER BY started_at DESC.
	StartedAt       time.Time `gorm:"not null;index:idx_ingest_runs_source_started,priority:2"`
	CompletedAt     *time.Time
	Status          string  `gorm:"type:varchar(20);not null;check:chk_ingest_runs_status,status IN ('running','success','failed','interrupted','abandoned')"`
	EventsFetched   int     `gorm:"type:integer;not null;default:0"`
	EventsNew       int     `gorm:"type:integer;not null;default:0"`
	EventsDuplicate int     `gorm:"type:integer;not null;default:0"`
	ErrorMessage    *string `gorm:"type:text"`
	FileURL         *string `gorm:"type:text"`
	// HeartbeatAt is renewed (with the counts committed so far) while the run works.
	HeartbeatAt *time.Time
}

// TableName pins the table name.
func (IngestRun) TableName() string { return "ingest_runs" }
