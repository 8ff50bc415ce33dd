package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/gdelt"
	"geopol/models"
)

// Health states, best first.
const (
	StatusHealthy   = "healthy"
	StatusDegraded  = "degraded"
	StatusUnhealthy = "unhealthy"
)

// IngestMaxAge is how old the newest successful GDELT ingest may be before last_ingest
// reports unhealthy. GDELT publishes every 15 minutes; an hour allows three misses.
const IngestMaxAge = time.Hour

// healthCheckTimeout bounds each check, so a hung dependency cannot hang /health.
const healthCheckTimeout = 2 * time.Second

// SubsystemStatus is one subsystem's state.
type SubsystemStatus struct {
	Name      string    `json:"name"`
	Healthy   bool      `json:"healthy"`
	Detail    *string   `json:"detail"`
	CheckedAt time.Time `json:"checked_at"`
}

// HealthResponse is the body of GET /api/v1/health, in the shape dashboards read:
// the overall status, every subsystem in a fixed order, when it was computed and the
// version of the running binary.
type HealthResponse struct {
	Status     string            `json:"status"`
	Subsystems []SubsystemStatus `json:"subsystems"`
	Timestamp  time.Time         `json:"timestamp"`
	Version    string            `json:"version"`
}

// Version names the running build: the module version when built from a tagged
// module, else the VCS revision (with "-dirty" for uncommitted changes), else "dev".
var Version = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, kv := range info.Settings {
		switch {
		case kv.Key == "vcs.revision" && len(kv.Value) >= 12:
			rev = kv.Value[:12]
		case kv.Key == "vcs.modified" && kv.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "dev"
	}
	return rev + dirty
})

// healthCheck is one named probe. It returns a detail sentence, or an error when the
// subsystem is not healthy.
type healthCheck struct {
	name string
	run  func(ctx context.Context) (string, error)
}

// health answers 200 when the forecast database is up (healthy, or degraded if anything
// else is not), and 503 only when the database itself is unreachable.
func (s *Server) health(c *gin.Context) {
	// Details (file paths, ids, addresses, errors) help an operator and an attacker alike:
	// only the admin token sees them.
	admin := s.isAdmin(c)
	// Counting the events is for the admin's detail only: a public caller gets the
	// store's state from one indexed probe, not a count of every event it holds.
	gdeltCheck := s.probeGDELTStore
	if admin {
		gdeltCheck = s.checkGDELTStore
	}
	checks := []healthCheck{
		{"database", s.checkDatabase},
		{"cache", s.checkCache},
		{"gdelt_store", gdeltCheck},
		{"last_ingest", s.checkLastIngest},
		{"last_prediction", s.checkLastPrediction},
		{"calibration", s.checkCalibration},
	}
	resp := HealthResponse{Status: StatusHealthy, Subsystems: make([]SubsystemStatus, len(checks)), Version: Version()}
	var wg sync.WaitGroup
	for i, hc := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(c.Request.Context(), healthCheckTimeout)
			defer cancel()
			detail, err := hc.run(ctx)
			if err != nil {
				detail = err.Error()
			}
			resp.Subsystems[i] = SubsystemStatus{Name: hc.name, Healthy: err == nil, CheckedAt: s.now()}
			if admin {
				resp.Subsystems[i].Detail = &detail
			}
		}()
	}
	wg.Wait()
	resp.Timestamp = s.now()

	status := http.StatusOK
	for _, res := range resp.Subsystems {
		switch {
		case res.Healthy:
		case res.Name == "database":
			resp.Status, status = StatusUnhealthy, http.StatusServiceUnavailable
		case resp.Status == StatusHealthy:
			resp.Status = StatusDegraded
		}
	}
	writeJSON(c, status, resp, "no-store")
}

func (s *Server) checkDatabase(ctx context.Context) (string, error) {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return "", err
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return "", fmt.Errorf("%s unreachable: %v", s.DB.Dialector.Name(), err)
	}
	st := sqlDB.Stats()
	return fmt.Sprintf("%s reachable; %d open connections, %d in use", s.DB.Dialector.Name(), st.OpenConnections, st.InUse), nil
}

func (s *Server) checkCache(ctx context.Context) (string, error) {
	if err := s.Cache.Ping(ctx); err != nil {
		return "", fmt.Errorf("%s cache unreachable, serving from the database: %v", s.Cache.Kind(), err)
	}
	if s.Cache.Kind() == "memory" {
		return "in-process cache (no REDIS_URL configured)", nil
	}
	return "redis reachable", nil
}

func (s *Server) checkGDELTStore(ctx context.Context) (string, error) {
	if err := s.gdeltStoreThere(); err != nil {
		return "", err
	}
	st, err := s.GDELT.Stats(ctx)
	if err != nil {
		return "", fmt.Errorf("GDELT store unreadable: %v", err)
	}
	if st.Events == 0 {
		return fmt.Sprintf("%s open; no events ingested yet", s.GDELT.Label()), nil
	}
	return fmt.Sprintf("%s: %d events, newest DATEADDED %d", s.GDELT.Label(), st.Events, st.NewestDateAdded), nil
}

// probeGDELTStore is checkGDELTStore without the count: whether the store is open,
// its file there and a read answers (detail is left to the admin's check).
func (s *Server) probeGDELTStore(ctx context.Context) (string, error) {
	if err := s.gdeltStoreThere(); err != nil {
		return "", err
	}
	if _, err := s.GDELT.Empty(ctx); err != nil {
		return "", fmt.Errorf("GDELT store unreadable: %v", err)
	}
	return s.GDELT.Label() + " open", nil
}

// gdeltStoreThere reports a store that is not open or whose file is gone.
func (s *Server) gdeltStoreThere() error {
	if s.GDELT == nil {
		return errors.New("GDELT event store is not open")
	}
	if s.GDELT.Path() != "" {
		if _, err := os.Stat(s.GDELT.Path()); err != nil {
			return fmt.Errorf("GDELT store file: %v", err)
		}
	}
	return nil
}

// checkLastIngest is unhealthy when no ingest run ever succeeded, when the newest
// success is older than IngestMaxAge, or when the newest finished run failed (a file
// with no valid row, or a --watch poll that could not read the feed): an outage shows
// at the first failed poll, and clears with the next success.
func (s *Server) checkLastIngest(ctx context.Context) (string, error) {
	db := s.DB.WithContext(ctx)
	// A run whose process died (no heartbeat for INGEST_HEARTBEAT_TIMEOUT) is closed
	// as abandoned here too, so health names it even when no ingest runs any more.
	if s.Config != nil && s.Config.IngestHeartbeatTimeout > 0 {
		if _, err := gdelt.MarkAbandoned(ctx, s.DB, s.Config.IngestHeartbeatTimeout); err != nil {
			return "", err
		}
	}
	var abandoned models.IngestRun
	abandonedErr := db.Where("status = ? AND started_at > ?", models.IngestAbandoned, s.now().Add(-24*time.Hour)).
		Order("started_at DESC").Take(&abandoned).Error
	if abandonedErr != nil && !errors.Is(abandonedErr, gorm.ErrRecordNotFound) {
		return "", abandonedErr
	}
	var failed int64
	if err := db.Model(&models.IngestRun{}).Where("status = ? AND started_at > ?", models.IngestFailed,
		s.now().Add(-24*time.Hour)).Count(&failed).Error; err != nil {
		return "", err
	}
	var run models.IngestRun
	err := db.Where("status = ?", models.IngestSuccess).Order("started_at DESC").Take(&run).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "", fmt.Errorf("no successful ingest run recorded; %d failed in the last 24 h", failed)
	}
	if err != nil {
		return "", err
	}
	at := run.StartedAt
	if run.CompletedAt != nil {
		at = *run.CompletedAt
	}
	age := s.now().Sub(at).Truncate(time.Second)
	if age > IngestMaxAge {
		return "", fmt.Errorf("newest successful ingest finished %s ago (limit %s); %d failed in the last 24 h", age, IngestMaxAge, failed)
	}
	if abandonedErr == nil && abandoned.StartedAt.After(run.StartedAt) {
		msg := ""
		if abandoned.ErrorMessage != nil {
			msg = ": " + *abandoned.ErrorMessage
		}
		return "", fmt.Errorf("newest ingest run %d was abandoned%s; newest successful ingest finished %s ago; %d failed in the last 24 h",
			abandoned.ID, msg, age, failed)
	}
	var last models.IngestRun
	err = db.Where("status = ? AND started_at > ?", models.IngestFailed, run.StartedAt).Order("started_at DESC").Take(&last).Error
	if err == nil {
		msg := ""
		if last.ErrorMessage != nil {
			msg = ": " + *last.ErrorMessage
		}
		return "", fmt.Errorf("newest ingest run %d failed %s ago%s; newest successful ingest finished %s ago; %d failed in the last 24 h",
			last.ID, s.now().Sub(last.StartedAt).Truncate(time.Second), msg, age, failed)
	}
	if !errors.Is(err, gorm.ErrRecordNotFound) {
		return "", err
	}
	return fmt.Sprintf("newest successful ingest finished %s ago; %d failed in the last 24 h", age, failed), nil
}

func (s *Server) checkLastPrediction(ctx context.Context) (string, error) {
	var p models.Prediction
	err := s.DB.WithContext(ctx).Select("id", "created_at").Order("created_at DESC").Take(&p).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return "no forecasts stored yet", nil
	}
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("newest forecast %s stored %s ago", p.ID, s.now().Sub(p.CreatedAt).Truncate(time.Second)), nil
}

func (s *Server) checkCalibration(ctx context.Context) (string, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&models.CalibrationWeight{}).Count(&n).Error; err != nil {
		return "", err
	}
	if n == 0 {
		return "no learned weights yet; documented priors in use", nil
	}
	return fmt.Sprintf("%d learned weights", n), nil
}
