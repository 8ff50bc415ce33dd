package gdelt

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// DefaultHeartbeat is how often a running ingest renews its heartbeat when
// Options.Heartbeat is zero.
const DefaultHeartbeat = 15 * time.Second

// heartbeat renews run's heartbeat_at, with the counts committed so far, every interval
// until stop is called: a process that dies (SIGKILL, power loss) stops renewing it, and
// MarkAbandoned then closes the run with the counts of its last beat.
func heartbeat(ctx context.Context, db *gorm.DB, run *models.IngestRun, interval time.Duration, live *atomic.Pointer[sink]) (stop func()) {
	if interval <= 0 {
		interval = DefaultHeartbeat
	}
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			updates := map[string]any{"heartbeat_at": store.Now()}
			if w := live.Load(); w != nil {
				written, fresh := (*w).counts()
				updates["events_fetched"], updates["events_new"], updates["events_duplicate"] = written, fresh, written-fresh
			}
			beatCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			// A failed beat is retried at the next tick; the run's end is what counts.
			_ = db.WithContext(beatCtx).Model(&models.IngestRun{}).Where("id = ? AND status = ?", run.ID, models.IngestRunning).
				Updates(updates).Error
			cancel()
		}
	}()
	return func() { close(done); <-finished }
}

// MarkAbandoned closes the runs left running whose heartbeat (or start, before the first
// beat) is older than timeout: their process died without recording an end. Each
// becomes abandoned, completed now, with the counts of its last heartbeat and a message
// saying when that was. It returns the runs it closed.
func MarkAbandoned(ctx context.Context, db *gorm.DB, timeout time.Duration) ([]models.IngestRun, error) {
	now := store.Now()
	cutoff := now.Add(-timeout)
	var stale []models.IngestRun
	err := db.WithContext(ctx).Where("status = ? AND COALESCE(heartbeat_at, started_at) < ?", models.IngestRunning, cutoff).
		Order("id").Find(&stale).Error
	if err != nil {
		return nil, err
	}
	var closed []models.IngestRun
	for _, r := range stale {
		last := r.StartedAt
		if r.HeartbeatAt != nil {
			last = *r.HeartbeatAt
		}
		msg := fmt.Sprintf("abandoned: no heartbeat since %s (INGEST_HEARTBEAT_TIMEOUT %s); the ingest process died; %d events committed by then",
			last.UTC().Format(time.RFC3339), timeout, r.EventsFetched)
		res := db.WithContext(ctx).Model(&models.IngestRun{}).
			Where("id = ? AND status = ? AND COALESCE(heartbeat_at, started_at) < ?", r.ID, models.IngestRunning, cutoff).
			Updates(map[string]any{"status": models.IngestAbandoned, "completed_at": now, "error_message": msg})
		if res.Error != nil {
			return closed, res.Error
		}
		if res.RowsAffected == 1 { // another process may have closed it first
			r.Status, r.CompletedAt, r.ErrorMessage = models.IngestAbandoned, &now, &msg
			closed = append(closed, r)
		}
	}
	return closed, nil
}
