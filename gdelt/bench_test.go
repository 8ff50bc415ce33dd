package gdelt_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"geopol/gdelt"
	"geopol/gdelt/gdelttest"
	"geopol/store/storetest"
)

// dayRows is about one day of GDELT 2.0 events (96 exports of ~2,100 rows).
const dayRows = 200_000

// dayFile derives a day-sized export from the sample by rewriting GLOBALEVENTID, so
// every row is a distinct event.
func dayFile(b *testing.B) (path string, rows int) {
	b.Helper()
	raw, err := os.ReadFile(sample(b))
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
	var buf bytes.Buffer
	id := int64(1_000_000_000)
	for rows < dayRows {
		for _, l := range lines {
			tab := bytes.IndexByte(l, '\t')
			buf.WriteString(strconv.FormatInt(id, 10))
			buf.Write(l[tab:])
			buf.WriteByte('\n')
			id++
			rows++
		}
	}
	path = filepath.Join(b.TempDir(), "day.export.CSV")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	return path, rows
}

// BenchmarkParseOnly is the parser alone over the day file: the ceiling for ingest.
//
//	go test ./gdelt -run '^$' -bench . -benchtime 3x
func BenchmarkParseOnly(b *testing.B) {
	path, rows := dayFile(b)
	b.ResetTimer()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		p := gdelt.NewParser(f)
		var ev gdelt.Event
		n := 0
		for {
			ok, rowErr := p.Next(&ev)
			if !ok {
				break
			}
			if rowErr != nil {
				b.Fatal(rowErr)
			}
			n++
		}
		f.Close()
		if n != rows {
			b.Fatalf("parsed %d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkIngestDay ingests the day file (200,000 distinct events derived from the
// 2,111-row sample) into an empty event store each iteration, with its ingest run
// recorded in a SQLite forecast database, on each backend:
//
//	go test ./gdelt -run '^$' -bench IngestDay -benchtime 5x
func BenchmarkIngestDay(b *testing.B) {
	path, rows := dayFile(b)
	ctx := context.Background()
	b.Run("sqlite", func(b *testing.B) {
		db := storetest.SQLite(b)
		for i := 0; b.Loop(); i++ {
			b.StopTimer()
			gs, err := gdelt.Open(ctx, filepath.Join(b.TempDir(), "gdelt"+strconv.Itoa(i)+".db"), storetest.Logger())
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			run, err := gdelt.Ingest(ctx, db, gs, path, gdelt.Options{Progress: io.Discard})
			if err != nil || run.EventsNew != rows {
				b.Fatalf("run %+v: %v", run, err)
			}
			b.StopTimer()
			gs.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	// On PostgreSQL, new-months drops the months' partitions before each iteration, so
	// ingest creates them (the first file of a month, as in a backfill);
	// existing-months keeps them and empties them (the watcher within a month).
	for _, bc := range []struct {
		name  string
		fresh bool
	}{{"postgres/new-months", true}, {"postgres/existing-months", false}} {
		fresh := bc.fresh
		b.Run(bc.name, func(b *testing.B) {
			db := storetest.SQLite(b)
			gs := gdelttest.Postgres(b)
			if !fresh { // the months' partitions exist before the first iteration
				if _, err := gdelt.Ingest(ctx, db, gs, path, gdelt.Options{Progress: io.Discard}); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				b.StopTimer()
				if fresh {
					if _, err := gs.Prune(ctx, time.Now(), time.Nanosecond); err != nil {
						b.Fatal(err)
					}
				}
				if err := gs.Exec(ctx, "TRUNCATE events, event_keys"); err != nil {
					b.Fatal(err)
				}
				// Each iteration starts after a checkpoint, as a watcher's file does 15
				// minutes after the last one: otherwise a checkpoint falls into some
				// timed iterations and not others.
				if err := gs.Exec(ctx, "CHECKPOINT"); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				run, err := gdelt.Ingest(ctx, db, gs, path, gdelt.Options{Progress: io.Discard})
				if err != nil || run.EventsNew != rows {
					b.Fatalf("run %+v: %v", run, err)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
