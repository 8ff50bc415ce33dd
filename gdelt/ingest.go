package gdelt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// Options tune one ingest.
type Options struct {
	// ExpectedSize and ExpectedMD5 verify a downloaded file (from lastupdate.txt).
	ExpectedSize int64
	ExpectedMD5  string
	// Progress, when set, receives a progress line every ProgressEvery events.
	Progress io.Writer
	// HTTPClient fetches URLs; nil means a client with a 2-minute timeout.
	HTTPClient *http.Client
	// TxRows is the number of events per transaction (default 20,000).
	TxRows int
	// FileURL, when set, is recorded as the run's file_url instead of the source: a
	// backfill ingests downloaded copies under the URLs they came from.
	FileURL string
	// Heartbeat is how often the running run's heartbeat_at (and counts) is renewed
	// (default DefaultHeartbeat); keep it well under INGEST_HEARTBEAT_TIMEOUT.
	Heartbeat time.Duration
}

// maxReportedRowErrors is how many rejected rows an ingest run names in its message.
const maxReportedRowErrors = 5

// ProgressEvery is how often (in events) a progress line is written.
const ProgressEvery = 50_000

// Ingest reads one export file (a local path or an http(s) URL; .CSV or .CSV.zip) into
// the event store and accounts for it in ingest_runs: the row is written as running
// first and always ends as success, failed or interrupted (a cancelled ctx, such as
// SIGINT), with the counts of what was committed. Rows that do not parse are skipped,
// counted and named (the first few, with line numbers) in error_message; they do not
// fail the file, unless no row at all is a valid event: a file without one (empty, or
// not a GDELT events export) is a failed run. The returned error is non-nil unless the
// run succeeded.
func Ingest(ctx context.Context, db *gorm.DB, events *Store, source string, opts Options) (*models.IngestRun, error) {
	started := store.Now()
	fileURL := source
	if opts.FileURL != "" {
		fileURL = opts.FileURL
	}
	run := &models.IngestRun{Source: "gdelt", StartedAt: started, Status: models.IngestRunning, FileURL: &fileURL, HeartbeatAt: &started}
	// Bookkeeping ignores cancellation: a run cancelled at any point is still recorded.
	if err := db.WithContext(context.WithoutCancel(ctx)).Create(run).Error; err != nil {
		return nil, fmt.Errorf("record ingest run: %w", err)
	}
	var live atomic.Pointer[sink]
	stopBeat := heartbeat(ctx, db, run, opts.Heartbeat, &live)
	res, ingestErr := ingest(ctx, events, source, opts, &live)
	stopBeat()
	status := models.IngestSuccess
	var msg *string
	switch {
	case ingestErr != nil && ctx.Err() != nil:
		status = models.IngestInterrupted
		m := "interrupted: " + context.Cause(ctx).Error()
		msg = &m
	case ingestErr != nil:
		status = models.IngestFailed
		m := ingestErr.Error()
		msg = &m
	case res.rejected > 0:
		m := res.rowReport()
		msg = &m
	}
	done := store.Now()
	run.Status, run.CompletedAt, run.ErrorMessage = status, &done, msg
	run.EventsFetched, run.EventsNew, run.EventsDuplicate = res.written, res.new, res.written-res.new
	// The run must be closed even when ctx was cancelled: that is the point of
	// "interrupted".
	closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := db.WithContext(closeCtx).Model(run).Updates(map[string]any{
		"status": run.Status, "completed_at": done, "error_message": msg,
		"events_fetched": run.EventsFetched, "events_new": run.EventsNew, "events_duplicate": run.EventsDuplicate,
	}).Error; err != nil {
		return run, errors.Join(ingestErr, fmt.Errorf("record ingest result: %w", err))
	}
	if ingestErr != nil {
		return run, ingestErr
	}
	return run, nil
}

// result is what one ingest committed and rejected.
type result struct {
	written, new, rejected int
	rowErrors              []RowError
}

func (r *result) rowReport() string {
	parts := make([]string, len(r.rowErrors))
	for i, e := range r.rowErrors {
		parts[i] = e.Error()
	}
	more := ""
	if r.rejected > len(r.rowErrors) {
		more = fmt.Sprintf("; and %d more", r.rejected-len(r.rowErrors))
	}
	return fmt.Sprintf("%d malformed rows skipped: %s%s", r.rejected, strings.Join(parts, "; "), more)
}

// ingest returns named results so the deferred count update reaches the caller.
func ingest(ctx context.Context, events *Store, source string, opts Options, live *atomic.Pointer[sink]) (res result, err error) {
	file := source
	if isURL(source) {
		client := opts.HTTPClient
		if client == nil {
			client = &http.Client{Timeout: 2 * time.Minute}
		}
		if file, err = download(ctx, client, source, opts.ExpectedSize, opts.ExpectedMD5); err != nil {
			return res, err
		}
		defer os.Remove(file)
	}
	rc, err := openExport(file)
	if err != nil {
		return res, err
	}
	defer rc.Close()

	txRows := opts.TxRows
	if txRows <= 0 {
		txRows = 20_000
	}
	w := events.newSink(txRows)
	live.Store(&w)
	defer func() { res.written, res.new = w.counts() }()
	p := NewParser(rc)
	var ev Event
	rows := 0
	for {
		ok, rowErr := p.Next(&ev)
		if !ok {
			break
		}
		if rowErr != nil {
			res.rejected++
			if len(res.rowErrors) < maxReportedRowErrors {
				res.rowErrors = append(res.rowErrors, *rowErr)
			}
			continue
		}
		if err := w.add(ctx, &ev); err != nil {
			w.abort()
			return res, err
		}
		if rows++; opts.Progress != nil && rows%ProgressEvery == 0 {
			fmt.Fprintf(opts.Progress, "\r%s: %d events", source, rows)
		}
	}
	if err := p.Err(); err != nil {
		w.abort()
		return res, fmt.Errorf("read %s at line %d: %w", source, p.Line(), err)
	}
	if err := ctx.Err(); err != nil {
		w.abort()
		return res, err
	}
	if err := w.flush(ctx); err != nil {
		w.abort()
		return res, err
	}
	written, _ := w.counts()
	if opts.Progress != nil {
		fmt.Fprintf(opts.Progress, "\r%s: %d events\n", source, written)
	}
	if written == 0 {
		if res.rejected == 0 {
			return res, errors.New("no GDELT event row: the file is empty")
		}
		return res, errors.New("no valid GDELT event row (is it a GDELT 2.0 events export?): " + res.rowReport())
	}
	return res, nil
}

// sink is where ingest puts events: the SQLite writer or PostgreSQL's COPY writers.
type sink interface {
	add(ctx context.Context, e *Event) error
	// flush writes what is queued and commits it.
	flush(ctx context.Context) error
	// abort gives up what is not committed.
	abort()
	// counts are the events committed so far (written, and new among them); safe to
	// call from another goroutine.
	counts() (written, new int)
}

func (s *Store) newSink(txRows int) sink {
	if s.dialect == store.Postgres {
		return newPGWriter(s)
	}
	return newWriter(s.db, txRows)
}
