package metrics

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"geopol/models"
)

// MaxCategories bounds the category label: the categories with the most resolved
// forecasts keep their name, the rest are pooled under "other" (categories are chosen
// by API clients, so their number is not the API's to bound otherwise).
const MaxCategories = 50

var (
	descIngestRuns = prometheus.NewDesc(namespace+"_ingest_runs_total",
		"Ingest runs recorded in the forecast database (by every ingest process), by status: running, success, failed, interrupted.",
		[]string{"status"}, nil)
	descIngestEvents = prometheus.NewDesc(namespace+"_ingest_events_total",
		"GDELT events processed by ingest runs, by status: new (stored) or duplicate (already in the event store).",
		[]string{"status"}, nil)
	descLastIngest = prometheus.NewDesc(namespace+"_ingest_last_success_timestamp_seconds",
		"Completion time (Unix seconds) of the newest successful ingest run; absent while none succeeded.", nil, nil)
	descLastIngestAge = prometheus.NewDesc(namespace+"_ingest_seconds_since_last_success",
		"Seconds since the newest successful ingest run completed; absent while none succeeded.", nil, nil)
	descResolved = prometheus.NewDesc(namespace+"_forecasts_resolved",
		"Resolved (scored) forecasts, by category (the 50 largest; the rest as other).", []string{"category"}, nil)
	descBrier = prometheus.NewDesc(namespace+"_brier_score",
		"Brier score of the resolved forecasts, by category (0 is perfect, 0.25 always saying 50%).", []string{"category"}, nil)
	descDBUp = prometheus.NewDesc(namespace+"_metrics_database_up",
		"1 when the figures read from the forecast database for this scrape are current, 0 when the last read failed (the figures are then left out).", nil, nil)
)

// dbCollector reads domain figures from the forecast database at scrape time, reusing
// them for cacheFor so scrapes stay cheap.
type dbCollector struct {
	opts Options

	mu      sync.Mutex
	at      time.Time
	figures *dbFigures
	ok      bool
}

type dbFigures struct {
	runs        map[string]float64
	eventsNew   float64
	eventsDup   float64
	lastSuccess *time.Time
	categories  []categoryScore
}

type categoryScore struct {
	Category string
	N        int
	Brier    float64
}

func newDBCollector(opts Options) *dbCollector {
	if opts.CacheFor <= 0 {
		opts.CacheFor = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &dbCollector{opts: opts}
}

// Describe implements prometheus.Collector.
func (c *dbCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descIngestRuns, descIngestEvents, descLastIngest, descLastIngestAge, descResolved, descBrier, descDBUp} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *dbCollector) Collect(ch chan<- prometheus.Metric) {
	f, ok := c.read()
	up := 0.0
	if ok {
		up = 1
	}
	ch <- prometheus.MustNewConstMetric(descDBUp, prometheus.GaugeValue, up)
	if f == nil || !ok {
		return
	}
	for _, st := range []string{models.IngestRunning, models.IngestSuccess, models.IngestFailed, models.IngestInterrupted} {
		ch <- prometheus.MustNewConstMetric(descIngestRuns, prometheus.CounterValue, f.runs[st], st)
	}
	ch <- prometheus.MustNewConstMetric(descIngestEvents, prometheus.CounterValue, f.eventsNew, "new")
	ch <- prometheus.MustNewConstMetric(descIngestEvents, prometheus.CounterValue, f.eventsDup, "duplicate")
	if f.lastSuccess != nil {
		ch <- prometheus.MustNewConstMetric(descLastIngest, prometheus.GaugeValue, float64(f.lastSuccess.UnixMilli())/1000)
		ch <- prometheus.MustNewConstMetric(descLastIngestAge, prometheus.GaugeValue, max(c.opts.Now().Sub(*f.lastSuccess).Seconds(), 0))
	}
	for _, s := range f.categories {
		ch <- prometheus.MustNewConstMetric(descResolved, prometheus.GaugeValue, float64(s.N), s.Category)
		ch <- prometheus.MustNewConstMetric(descBrier, prometheus.GaugeValue, s.Brier, s.Category)
	}
}

// read returns the cached figures, refreshing them when older than CacheFor.
func (c *dbCollector) read() (*dbFigures, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.figures != nil && now.Sub(c.at) < c.opts.CacheFor {
		return c.figures, c.ok
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f, err := loadFigures(ctx, c.opts.DB)
	c.at = now
	if err != nil {
		if c.opts.Log != nil {
			c.opts.Log.Warn("metrics: cannot read the forecast database", "error", err.Error())
		}
		c.ok = false
		return c.figures, false
	}
	c.figures, c.ok = f, true
	return f, true
}

// loadFigures runs the scrape's queries: three aggregates over ingest_runs and one over
// resolved outcomes by category.
func loadFigures(ctx context.Context, db *gorm.DB) (*dbFigures, error) {
	db = db.WithContext(ctx)
	f := &dbFigures{runs: map[string]float64{}}
	var runs []struct {
		Status string
		N      int64
		New    *int64
		Dup    *int64
	}
	if err := db.Model(&models.IngestRun{}).
		Select("status, COUNT(*) AS n, SUM(events_new) AS new, SUM(events_duplicate) AS dup").
		Group("status").Scan(&runs).Error; err != nil {
		return nil, err
	}
	for _, r := range runs {
		f.runs[r.Status] = float64(r.N)
		if r.New != nil {
			f.eventsNew += float64(*r.New)
		}
		if r.Dup != nil {
			f.eventsDup += float64(*r.Dup)
		}
	}
	var last models.IngestRun
	err := db.Select("completed_at").Where("status = ? AND completed_at IS NOT NULL", models.IngestSuccess).
		Order("completed_at DESC").Limit(1).Find(&last).Error
	if err != nil {
		return nil, err
	}
	if last.CompletedAt != nil {
		t := last.CompletedAt.UTC()
		f.lastSuccess = &t
	}
	var cats []categoryScore
	if err := db.Table("outcome_records AS o").Joins("JOIN predictions AS p ON p.id = o.prediction_id").
		Where("o.status = ?", models.OutcomeResolved).
		Select("p.category AS category, COUNT(*) AS n, AVG((p.probability - o.outcome) * (p.probability - o.outcome)) AS brier").
		Group("p.category").Scan(&cats).Error; err != nil {
		return nil, err
	}
	f.categories = boundCategories(cats, MaxCategories)
	return f, nil
}

// boundCategories keeps the max-1 largest categories (ties by name) when there are more
// than max, pooling the rest, with their count-weighted Brier score, under "other".
func boundCategories(cats []categoryScore, max int) []categoryScore {
	sort.Slice(cats, func(i, j int) bool {
		if cats[i].N != cats[j].N {
			return cats[i].N > cats[j].N
		}
		return cats[i].Category < cats[j].Category
	})
	if len(cats) <= max {
		return cats
	}
	var out []categoryScore
	other := categoryScore{Category: "other"}
	var sum float64
	for _, c := range cats {
		if len(out) < max-1 && c.Category != other.Category { // a real "other" joins the pool
			out = append(out, c)
			continue
		}
		other.N += c.N
		sum += c.Brier * float64(c.N)
	}
	if other.N > 0 {
		other.Brier = sum / float64(other.N)
	}
	return append(out, other)
}
