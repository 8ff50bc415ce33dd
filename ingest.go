package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"geopol/gdelt"
	"geopol/models"
	"geopol/store"
)

const ingestUsage = `usage: geopol ingest FILE|URL...
       geopol ingest --lastupdate URL [--watch [--interval 15m] [--masterfilelist URL]]
       geopol ingest --from DATE --to DATE [--parallel N] [--masterfilelist URL]

Loads GDELT 2.0 events exports (.export.CSV or .export.CSV.zip, local or http(s)) into
the event store: PostgreSQL at GDELT_DATABASE_URL when set, else the SQLite file at
GDELT_DB_PATH. Each file becomes an ingest run (success, failed, interrupted, or
abandoned when its process died); events are deduplicated by GLOBALEVENTID, so
re-running is safe. Malformed rows are skipped and named in the run; a file with no
valid row is a failed run. Files saved by other tools load too: CRLF or CR line ends,
a UTF-8 or UTF-16 byte order mark, a header line, double-quoted fields.

--from and --to backfill: every events export that masterfilelist.txt (default
http://data.gdeltproject.org/gdeltv2/masterfilelist.txt) lists with a time in the
range (DATE is YYYY-MM-DD, both days included, or YYYYMMDDHHMMSS, UTC). --parallel
files download at once (default 4), each checked against the list's size and MD5,
while one writer stores them in order. Files already ingested are skipped, so a
backfill that was interrupted resumes when run again. A terminal shows files done,
events/s and the time left; otherwise one log line per file.

--lastupdate and --masterfilelist take http:// or https:// URLs (GDELT's are
http://data.gdeltproject.org/gdeltv2/lastupdate.txt and .../masterfilelist.txt); give a
local export as FILE instead. With --watch, a poll that fails (feed unreachable, bad
list) is recorded as a failed run and logged at WARN, then retried with backoff.

Exit status: 0 when every file (or the latest export) was ingested or already was, 1
when any run failed, 2 for a usage error.`

// ingestCmd loads GDELT 2.0 events exports into the event store, recording each file as
// an ingest run in the forecast database.
func ingestCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("ingest", ingestUsage, stderr)
	lastUpdate := fs.String("lastupdate", "", "URL of GDELT's lastupdate.txt: ingest its events export unless already ingested")
	watch := fs.Bool("watch", false, "with --lastupdate: keep polling until interrupted")
	interval := fs.Duration("interval", 15*time.Minute, "with --watch: time between polls")
	master := fs.String("masterfilelist", "", "with --watch: URL of masterfilelist.txt, to fill gaps")
	gapFiles := fs.Int("gap-files", 96, "with --masterfilelist: how many of the newest exports to check for gaps (96 = one day)")
	from := fs.String("from", "", "backfill from this day (YYYY-MM-DD, UTC) or time (YYYYMMDDHHMMSS)")
	to := fs.String("to", "", "backfill up to this day (included) or time")
	parallel := fs.Int("parallel", 4, "with --from/--to: files downloaded at once")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	backfill := *from != "" || *to != ""
	var fromT, toT time.Time
	if backfill {
		if *from == "" || *to == "" || *lastUpdate != "" || fs.NArg() > 0 {
			fs.Usage()
			return usagef("a backfill takes both --from and --to, and no files or --lastupdate")
		}
		var err error
		if fromT, err = parseBackfillTime(*from, false); err != nil {
			fs.Usage()
			return usagef("--from: %v", err)
		}
		if toT, err = parseBackfillTime(*to, true); err != nil {
			fs.Usage()
			return usagef("--to: %v", err)
		}
		if toT.Before(fromT) {
			fs.Usage()
			return usagef("--to %s is before --from %s", *to, *from)
		}
		if *parallel < 1 || *parallel > 64 {
			fs.Usage()
			return usagef("--parallel must be 1 to 64")
		}
		if *master == "" {
			*master = gdelt.DefaultMasterFileList
		}
	} else if (*lastUpdate == "") == (fs.NArg() == 0) || (*watch && *lastUpdate == "") {
		fs.Usage()
		return usagef("give files/URLs, --lastupdate URL, or --from DATE --to DATE")
	}
	if *master != "" && !*watch && !backfill {
		fs.Usage()
		return usagef("--masterfilelist works only with --lastupdate URL --watch, or --from/--to")
	}
	for _, f := range []struct{ name, url string }{{"lastupdate", *lastUpdate}, {"masterfilelist", *master}} {
		if f.url != "" && !isHTTPURL(f.url) {
			fs.Usage()
			return usagef("--%s %q: want an http:// or https:// URL such as http://data.gdeltproject.org/gdeltv2/%s.txt (to load a local export, give it as FILE: geopol ingest FILE)",
				f.name, f.url, f.name)
		}
	}
	if *interval <= 0 || *gapFiles < 1 {
		fs.Usage()
		return usagef("--interval must be positive and --gap-files at least 1")
	}
	a, err := openApp(ctx, stderr, appOptions{})
	if err != nil {
		return err
	}
	defer a.close()
	db, log := a.db, a.log
	a.announceIngestRuns() // ingest.completed on the API's live stream, with REDIS_URL
	events, err := a.openEvents(ctx)
	if err != nil {
		return err
	}
	// Runs of processes that died (no heartbeat for INGEST_HEARTBEAT_TIMEOUT) are
	// closed as abandoned before this one starts.
	if closed, err := gdelt.MarkAbandoned(ctx, db, a.cfg.IngestHeartbeatTimeout); err != nil {
		return err
	} else {
		for _, r := range closed {
			log.Warn("ingest run abandoned", "run", r.ID, "file", *r.FileURL, "events", r.EventsFetched, "message", *r.ErrorMessage)
		}
	}
	opts := gdelt.Options{Heartbeat: heartbeatInterval(a.cfg.IngestHeartbeatTimeout)}
	terminal := false
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		terminal = true
		if !backfill {
			opts.Progress = stderr // a terminal: show progress on long files
		}
	}
	report := func(run *models.IngestRun) {
		fmt.Fprintf(stdout, "run %d %s: %s fetched=%d new=%d duplicate=%d\n", run.ID, run.Status, *run.FileURL,
			run.EventsFetched, run.EventsNew, run.EventsDuplicate)
		if run.ErrorMessage != nil {
			fmt.Fprintf(stdout, "  %s\n", *run.ErrorMessage)
		}
	}
	switch {
	case backfill:
		bo := gdelt.BackfillOptions{Options: opts, MasterFileList: *master, From: fromT, To: toT, Parallel: *parallel, Log: log}
		if terminal {
			bo.Terminal = stderr
		}
		rep, err := gdelt.Backfill(ctx, db, events, bo)
		fmt.Fprintf(stdout, "backfill: %d files listed, %d already ingested, %d ingested, %d failed; %d events (%d new) in %s\n",
			rep.Listed, rep.Skipped, rep.Succeeded, rep.Failed, rep.Events, rep.New, rep.Elapsed.Round(time.Millisecond))
		return err
	case *watch:
		log.Info("watching GDELT", "lastupdate", *lastUpdate, "interval", *interval)
		return gdelt.Watch(ctx, db, events, *lastUpdate, gdelt.WatchOptions{Options: opts, Interval: *interval,
			MasterFileList: *master, GapFiles: *gapFiles, Log: log,
			HeartbeatTimeout: a.cfg.IngestHeartbeatTimeout, Retention: a.cfg.GDELTRetention})
	case *lastUpdate != "":
		runs, err := gdelt.IngestLastUpdate(ctx, db, events, *lastUpdate, opts)
		for _, r := range runs {
			report(r)
		}
		if err == nil && len(runs) == 0 {
			fmt.Fprintln(stdout, "nothing new: the latest export was already ingested")
		}
		return err
	}
	defer func() {
		// GDELT_RETENTION: once per command, after the files (a scan on large SQLite files).
		if a.cfg.GDELTRetention > 0 && ctx.Err() == nil {
			if n, err := events.Prune(ctx, store.Now(), a.cfg.GDELTRetention); err != nil {
				log.Warn("retention failed", "error", err)
			} else {
				log.Info("retention done", "events_removed", n, "keep", a.cfg.GDELTRetention)
			}
		}
	}()
	var failed error
	for _, src := range fs.Args() {
		run, err := gdelt.Ingest(ctx, db, events, src, opts)
		if run != nil {
			report(run)
		}
		if err != nil {
			failed = errors.Join(failed, fmt.Errorf("%s: %w", src, err))
			if ctx.Err() != nil {
				break
			}
		}
	}
	return failed
}

// isHTTPURL reports whether s is an absolute http:// or https:// URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// heartbeatInterval renews a running ingest's heartbeat four times per
// INGEST_HEARTBEAT_TIMEOUT, so a slow beat or two never makes a live run look dead.
func heartbeatInterval(timeout time.Duration) time.Duration {
	return max(timeout/4, 100*time.Millisecond)
}

// parseBackfillTime reads --from/--to: a day (YYYY-MM-DD; for --to, its last second) or
// an export time (YYYYMMDDHHMMSS), UTC.
func parseBackfillTime(s string, end bool) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		if end {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	if t, err := time.Parse("20060102150405", s); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%q is not a day (YYYY-MM-DD) or a time (YYYYMMDDHHMMSS)", s)
}
