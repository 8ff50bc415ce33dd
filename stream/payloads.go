package stream

import "time"

// The payloads (the "data" member of each event). They carry what a dashboard needs to
// update a view and the URL to read the full resource; they are not the resources.

// ForecastCreatedData is the payload of forecast.created.
type ForecastCreatedData struct {
	ForecastID    string    `json:"forecast_id"`
	Question      string    `json:"question"`
	Probability   float64   `json:"probability"`
	Confidence    float64   `json:"confidence"`
	Category      string    `json:"category"`
	CountryISO    *string   `json:"country_iso"` // ISO alpha-2, like every output
	CameoRootCode *string   `json:"cameo_root_code"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	URL           string    `json:"url"`
}

// OutcomeRecordedData is the payload of outcome.recorded: a forecast was resolved, or
// (Corrected) an administrator replaced its outcome.
type OutcomeRecordedData struct {
	ForecastID       string    `json:"forecast_id"`
	Status           string    `json:"status"`
	Outcome          float64   `json:"outcome"`
	ResolutionDate   time.Time `json:"resolution_date"`
	ResolutionMethod string    `json:"resolution_method"`
	Corrected        bool      `json:"corrected"`
	URL              string    `json:"url"`
}

// CalibrationUpdatedData is the payload of calibration.updated: a calibration run
// (admin route or `geopol calibrate`) finished.
type CalibrationUpdatedData struct {
	Trigger string `json:"trigger"` // "api" or "cli"
	Samples int    `json:"samples"`
	Applied int    `json:"applied"`
	Refused int    `json:"refused"`
	URL     string `json:"url"`
}

// IngestCompletedData is the payload of ingest.completed: an ingest run ended
// (success, failed or interrupted).
type IngestCompletedData struct {
	RunID           int64      `json:"run_id"`
	Source          string     `json:"source"`
	Status          string     `json:"status"`
	FileURL         *string    `json:"file_url"`
	EventsFetched   int        `json:"events_fetched"`
	EventsNew       int        `json:"events_new"`
	EventsDuplicate int        `json:"events_duplicate"`
	StartedAt       time.Time  `json:"started_at"`
	CompletedAt     *time.Time `json:"completed_at"`
	URL             string     `json:"url"`
}
