package gdelt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path"
	"strings"
	"time"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
)

// DefaultMasterFileList is GDELT 2.0's list of every file it has published.
const DefaultMasterFileList = "http://data.gdeltproject.org/gdeltv2/masterfilelist.txt"

// BackfillOptions configure Backfill.
type BackfillOptions struct {
	Options
	// MasterFileList is the URL of masterfilelist.txt ("size md5 url" lines).
	MasterFileList string
	// From and To bound the exports by the time in their names (YYYYMMDDHHMMSS, UTC),
	// both inclusive.
	From, To time.Time
	// Parallel is how many files are downloaded at once (at least 1) while one writer
	// stores them in order.
	Parallel int
	// Log receives one line per file and a summary (nil: none).
	Log *slog.Logger
	// Terminal, when set, receives a progress line rewritten in place: files done,
	// events/s and the time left.
	Terminal io.Writer
}

// BackfillReport sums up a backfill.
type BackfillReport struct {
	Listed, Skipped, Succeeded, Failed int
	Events, New                        int
	Elapsed                            time.Duration
}

// ExportTime reads the time in an export's name (.../20191024143000.export.CSV.zip).
func ExportTime(url string) (time.Time, bool) {
	name := path.Base(url)
	stamp, _, ok := strings.Cut(name, ".")
	if !ok || len(stamp) != 14 {
		return time.Time{}, false
	}
	t, err := time.Parse("20060102150405", stamp)
	return t, err == nil
}

// Backfill ingests the events exports of masterfilelist.txt published between From and
// To, oldest first. Files already ingested successfully (ingest_runs) are skipped, so a
// backfill that was interrupted or failed part-way resumes where it stopped when run
// again. Up to Parallel files are downloaded at once, each verified against the list's
// size and MD5; one writer stores them in order. A file that fails (download,
// verification or ingest) is a failed run and the backfill goes on; the returned error
// joins the failures, or is the cancellation that stopped it.
func Backfill(ctx context.Context, db *gorm.DB, events *Store, opts BackfillOptions) (*BackfillReport, error) {
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	client := opts.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Minute}
	}
	listURL := opts.MasterFileList
	if listURL == "" {
		listURL = DefaultMasterFileList
	}
	parallel := max(opts.Parallel, 1)
	start := time.Now()
	rep := &BackfillReport{}
	entries, err := fetchList(ctx, client, listURL)
	if err != nil {
		return rep, fmt.Errorf("read %s: %w", listURL, err)
	}
	var todo []FileEntry
	for _, e := range entries {
		t, ok := ExportTime(e.URL)
		if !ok || t.Before(opts.From) || t.After(opts.To) {
			continue
		}
		rep.Listed++
		done, err := alreadyIngested(ctx, db, e.URL)
		if err != nil {
			return rep, err
		}
		if done {
			rep.Skipped++
			continue
		}
		todo = append(todo, e)
	}
	log.Info("backfill planned", "list", listURL, "from", opts.From.Format(time.RFC3339), "to", opts.To.Format(time.RFC3339),
		"files", rep.Listed, "already_ingested", rep.Skipped, "to_ingest", len(todo), "parallel", parallel)

	// Downloads run ahead of the writer, at most parallel at once; each file's result
	// arrives on its own channel so the writer takes them in list order.
	type fetched struct {
		file string
		err  error
	}
	dlCtx, cancelDownloads := context.WithCancel(ctx)
	defer cancelDownloads()
	results := make([]chan fetched, len(todo))
	for i := range todo {
		results[i] = make(chan fetched, 1)
	}
	slots := make(chan struct{}, parallel)
	go func() {
		for i, e := range todo {
			select {
			case slots <- struct{}{}:
			case <-dlCtx.Done():
				for j := i; j < len(todo); j++ {
					results[j] <- fetched{err: dlCtx.Err()}
				}
				return
			}
			go func(i int, e FileEntry) {
				file, err := download(dlCtx, client, e.URL, e.Size, e.MD5)
				results[i] <- fetched{file, err}
			}(i, e)
		}
	}()
	var failures []error
	next := 0 // the first file the writer has not taken
	defer func() {
		// Files downloaded ahead of an interruption are removed once their download ends.
		cancelDownloads()
		for _, ch := range results[next:] {
			go func() {
				if f := <-ch; f.err == nil {
					os.Remove(f.file)
				}
			}()
		}
	}()
	for i, e := range todo {
		next = i + 1
		f := <-results[i]
		<-slots // this file is out of the download window
		if ctx.Err() != nil {
			if f.err == nil {
				os.Remove(f.file)
			}
			break
		}
		var run *models.IngestRun
		if f.err != nil {
			run, err = recordFileFailure(ctx, db, e.URL, f.err)
			if err != nil {
				return rep, err
			}
		} else {
			o := opts.Options
			o.FileURL = e.URL
			run, err = Ingest(ctx, db, events, f.file, o)
			os.Remove(f.file)
			if run == nil {
				return rep, err
			}
		}
		if run.Status == models.IngestSuccess {
			rep.Succeeded++
			rep.Events += run.EventsFetched
			rep.New += run.EventsNew
		} else if run.Status == models.IngestFailed {
			rep.Failed++
			failures = append(failures, fmt.Errorf("%s: %s", e.URL, deref(run.ErrorMessage)))
		}
		elapsed := time.Since(start)
		rate := float64(rep.Events) / elapsed.Seconds()
		doneFiles := rep.Succeeded + rep.Failed
		eta := time.Duration(float64(elapsed) / float64(doneFiles) * float64(len(todo)-doneFiles)).Round(time.Second)
		log.Info("backfill file", "run", run.ID, "file", e.URL, "status", run.Status, "events", run.EventsFetched,
			"new", run.EventsNew, "files_done", doneFiles, "files_total", len(todo), "events_per_s", int(rate), "eta", eta.String())
		if opts.Terminal != nil {
			fmt.Fprintf(opts.Terminal, "\rfiles %d/%d (%d failed), %d events, %.0f events/s, ETA %s   ",
				doneFiles, len(todo), rep.Failed, rep.Events, rate, eta)
		}
		if ctx.Err() != nil {
			break
		}
	}
	if opts.Terminal != nil {
		fmt.Fprintln(opts.Terminal)
	}
	rep.Elapsed = time.Since(start)
	log.Info("backfill done", "files", rep.Listed, "skipped", rep.Skipped, "succeeded", rep.Succeeded, "failed", rep.Failed,
		"events", rep.Events, "new", rep.New, "elapsed", rep.Elapsed.Round(time.Millisecond).String())
	if err := ctx.Err(); err != nil {
		return rep, fmt.Errorf("backfill interrupted (run it again to resume): %w", context.Cause(ctx))
	}
	return rep, errors.Join(failures...)
}

// recordFileFailure records a file that could not be downloaded or verified as a failed
// run of its URL.
func recordFileFailure(ctx context.Context, db *gorm.DB, url string, cause error) (*models.IngestRun, error) {
	now, msg := store.Now(), cause.Error()
	run := &models.IngestRun{Source: "gdelt", StartedAt: now, CompletedAt: &now, Status: models.IngestFailed,
		ErrorMessage: &msg, FileURL: &url}
	if err := db.WithContext(context.WithoutCancel(ctx)).Create(run).Error; err != nil {
		return nil, fmt.Errorf("record ingest run: %w", err)
	}
	return run, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
