package gdelt

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// FileEntry is one line of GDELT's lastupdate.txt or masterfilelist.txt:
// "size md5 url".
type FileEntry struct {
	Size int64
	MD5  string
	URL  string
}

// fetchList reads a "size md5 url" list and keeps the events exports (*.export.CSV.zip).
func fetchList(ctx context.Context, client *http.Client, url string) ([]FileEntry, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	var out []FileEntry
	sc := bufio.NewScanner(io.LimitReader(resp.Body, 256<<20))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	for line := 1; sc.Scan(); line++ {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return nil, fmt.Errorf("%s line %d: want \"size md5 url\"", url, line)
		}
		size, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || len(f[1]) != 32 {
			return nil, fmt.Errorf("%s line %d: bad size or md5", url, line)
		}
		if strings.HasSuffix(strings.ToLower(f[2]), ".export.csv.zip") {
			out = append(out, FileEntry{Size: size, MD5: f[1], URL: f[2]})
		}
	}
	return out, sc.Err()
}

// alreadyIngested reports whether url has a successful run.
func alreadyIngested(ctx context.Context, db *gorm.DB, url string) (bool, error) {
	var n int64
	err := db.WithContext(ctx).Model(&models.IngestRun{}).
		Where("file_url = ? AND status = ?", url, models.IngestSuccess).Count(&n).Error
	return n > 0, err
}

// IngestLastUpdate reads lastupdate.txt at listURL and ingests its events export unless
// that file was already ingested successfully, verifying size and MD5. It returns the
// runs it made (none when there was nothing new).
func IngestLastUpdate(ctx context.Context, db *gorm.DB, events *Store, listURL string, opts Options) ([]*models.IngestRun, error) {
	return ingestList(ctx, db, events, listURL, 1, opts)
}

// ingestList ingests, oldest first, the newest `newest` exports of a list that are not
// yet ingested.
func ingestList(ctx context.Context, db *gorm.DB, events *Store, listURL string, newest int, opts Options) ([]*models.IngestRun, error) {
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	started := store.Now()
	entries, err := fetchList(ctx, client, listURL)
	if err == nil && len(entries) == 0 {
		err = fmt.Errorf("%s lists no events export", listURL)
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, err
		}
		err = fmt.Errorf("read %s: %w", listURL, err)
		run, recErr := recordListFailure(ctx, db, listURL, started, err)
		if run != nil {
			return []*models.IngestRun{run}, err
		}
		return nil, errors.Join(err, recErr)
	}
	if len(entries) > newest {
		entries = entries[len(entries)-newest:]
	}
	var runs []*models.IngestRun
	for _, e := range entries {
		done, err := alreadyIngested(ctx, db, e.URL)
		if err != nil {
			return runs, err
		}
		if done {
			continue
		}
		o := opts
		o.ExpectedSize, o.ExpectedMD5, o.HTTPClient = e.Size, e.MD5, client
		run, err := Ingest(ctx, db, events, e.URL, o)
		if run != nil {
			runs = append(runs, run)
		}
		if err != nil {
			return runs, err
		}
	}
	return runs, nil
}

// recordListFailure records a list that could not be read (the feed unreachable, a bad
// lastupdate.txt) as a failed ingest run whose file_url is the list's URL, so that
// health's last_ingest sees the outage as it sees a failed file.
func recordListFailure(ctx context.Context, db *gorm.DB, listURL string, started time.Time, cause error) (*models.IngestRun, error) {
	done, msg := store.Now(), cause.Error()
	run := &models.IngestRun{Source: "gdelt", StartedAt: started, CompletedAt: &done, Status: models.IngestFailed,
		ErrorMessage: &msg, FileURL: &listURL}
	if err := db.WithContext(context.WithoutCancel(ctx)).Create(run).Error; err != nil {
		return nil, fmt.Errorf("record ingest run: %w", err)
	}
	return run, nil
}

// WatchOptions configure Watch.
type WatchOptions struct {
	Options
	Interval time.Duration // between polls when all is well (GDELT publishes every 15 min)
	// MasterFileList, when set, fills gaps: each poll also ingests the newest
	// GapFiles exports of masterfilelist.txt that were missed.
	MasterFileList string
	GapFiles       int
	// Log receives one line per poll outcome: INFO when it succeeded, WARN when it
	// failed (nil: no log).
	Log *slog.Logger
	// HeartbeatTimeout, when set, makes each poll first close the runs of dead
	// processes as abandoned (MarkAbandoned).
	HeartbeatTimeout time.Duration
	// Retention, when set, drops events older than it after each poll (Prune).
	Retention time.Duration
}

// Watch polls listURL until ctx ends, one ingest at a time. Every failed poll is a
// failed ingest run (a failed file records its own; an unreadable list is recorded by
// ingestList), so health sees an outage at the first failed poll. After a failure it
// retries with exponential backoff (30 s doubling up to Interval) and full jitter, so
// many watchers do not hammer GDELT in step.
func Watch(ctx context.Context, db *gorm.DB, events *Store, listURL string, opts WatchOptions) error {
	if opts.Interval <= 0 {
		return errors.New("watch interval must be positive")
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	failures := 0
	var lastPrune time.Time // retention runs at most hourly: a scan on a large SQLite file
	for {
		if opts.HeartbeatTimeout > 0 {
			closed, err := MarkAbandoned(ctx, db, opts.HeartbeatTimeout)
			for _, r := range closed {
				log.Warn("ingest run abandoned", "run", r.ID, "events", r.EventsFetched, "message", *r.ErrorMessage)
			}
			if err != nil && ctx.Err() == nil {
				log.Warn("marking abandoned ingest runs failed", "error", err)
			}
		}
		runs, err := IngestLastUpdate(ctx, db, events, listURL, opts.Options)
		if err == nil && opts.MasterFileList != "" {
			var gapRuns []*models.IngestRun
			gapRuns, err = ingestList(ctx, db, events, opts.MasterFileList, max(opts.GapFiles, 1), opts.Options)
			runs = append(runs, gapRuns...)
		}
		if err == nil && opts.Retention > 0 && time.Since(lastPrune) > time.Hour {
			n, perr := events.Prune(ctx, store.Now(), opts.Retention)
			if perr != nil && ctx.Err() == nil {
				log.Warn("retention failed", "error", perr)
			} else if perr == nil {
				lastPrune = time.Now()
				log.Info("retention done", "events_removed", n, "keep", opts.Retention)
			}
		}
		wait := opts.Interval
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			failures++
			backoff := min(30*time.Second<<min(failures-1, 10), opts.Interval)
			wait = time.Duration(rand.Int64N(int64(backoff)) + 1)
			log.Warn("ingest poll failed", "error", err, "retry_in", wait.Round(time.Second), "failures", failures)
		} else {
			failures = 0
			log.Info("ingest poll done", "runs", len(runs))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}
