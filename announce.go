package main

import (
	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/models"
	"geopol/stream"
)

// publisher returns what a command announces its results through: the API processes'
// live stream, by Redis, when REDIS_URL is set; nil (nothing announced) otherwise, since
// another process's in-process stream cannot be reached. It is flushed when the app
// closes, so a command that ends at once still delivers its events.
func (a *app) publisher() stream.Publisher {
	if a.cfg.RedisURL == "" {
		return nil
	}
	client, err := stream.OpenRedis(a.cfg.RedisURL)
	if err != nil {
		a.log.Warn("results will not be announced on the live stream", "error", err.Error())
		return nil
	}
	pub := stream.NewRedisPublisher(client, a.cfg.CachePrefix, 0, a.log)
	a.closers = append(a.closers, func() { client.Close() }, pub.Close) // publish, then close the client
	return pub
}

// announceIngestRuns publishes ingest.completed for every ingest run this app's database
// handle finishes (records with a final status: success, failed or interrupted), from a
// GORM callback on ingest_runs, so every way a run ends (a file, a feed poll, a list
// that cannot be read, an interruption) is announced without the ingest code knowing.
func (a *app) announceIngestRuns() {
	pub := a.publisher()
	if pub == nil {
		return
	}
	announce := func(tx *gorm.DB) {
		if tx.Error != nil || tx.RowsAffected == 0 || tx.Statement.Table != (models.IngestRun{}).TableName() {
			return
		}
		run, ok := tx.Statement.Model.(*models.IngestRun)
		if !ok || run.ID == 0 || run.Status == models.IngestRunning {
			return
		}
		pub.Publish(stream.IngestCompleted, stream.IngestCompletedData{RunID: run.ID, Source: run.Source, Status: run.Status,
			FileURL: run.FileURL, EventsFetched: run.EventsFetched, EventsNew: run.EventsNew, EventsDuplicate: run.EventsDuplicate,
			StartedAt: run.StartedAt.UTC(), CompletedAt: run.CompletedAt, URL: "/api/v1/ingest-runs"})
	}
	_ = a.db.Callback().Create().After("gorm:create").Register("geopol:announce_ingest_create", announce)
	_ = a.db.Callback().Update().After("gorm:update").Register("geopol:announce_ingest_update", announce)
}

// announceCalibration publishes calibration.updated for a run of `geopol calibrate`.
func (a *app) announceCalibration(rep *calibration.CalibrateReport) {
	if pub := a.publisher(); pub != nil {
		pub.Publish(stream.CalibrationUpdated, stream.CalibrationUpdatedData{Trigger: "cli", Samples: rep.Samples,
			Applied: rep.Applied, Refused: rep.Refused, URL: "/api/v1/calibration/weights"})
	}
}
