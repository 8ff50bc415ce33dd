package gdelt_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/gdelt"
	"geopol/gdelt/gdelttest"
	"geopol/store/storetest"
)

// sampleLines is the sample's rows, without their line ends.
func sampleLines(t *testing.T) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Split(bytes.TrimRight(raw, "\n"), []byte("\n"))
}

// withID is row l with GLOBALEVENTID id.
func withID(l []byte, id int64) []byte {
	tab := bytes.IndexByte(l, '\t')
	return append([]byte(strconv.FormatInt(id, 10)), l[tab:]...)
}

func writeRows(t *testing.T, name string, rows [][]byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, append(bytes.Join(rows, []byte("\n")), '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// A file whose ids are partly stored already stores exactly the others, on both
// backends: on PostgreSQL its keys no longer go in by COPY alone (a stored id is a
// unique violation) but one by one, and only the rows of new ids are copied.
func TestPartlyStoredFileStoresTheRest(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx := context.Background()
		if _, err := gdelt.Ingest(ctx, db, gs, sample(t), gdelt.Options{}); err != nil {
			t.Fatal(err)
		}
		lines := sampleLines(t)
		// Every other row of the sample (stored), and as many rows under new ids,
		// interleaved, so stored ids sit in the middle of the batch.
		var rows [][]byte
		for i, l := range lines {
			if i%2 == 0 {
				rows = append(rows, l)
			} else {
				rows = append(rows, withID(l, 5_000_000_000+int64(i)))
			}
		}
		run, err := gdelt.Ingest(ctx, db, gs, writeRows(t, "mixed.CSV", rows), gdelt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		half := len(lines) / 2 // odd indexes
		if run.EventsFetched != len(lines) || run.EventsNew != half || run.EventsDuplicate != len(lines)-half {
			t.Fatalf("run %+v, want %d new of %d", run, half, len(lines))
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events"); n != len(lines)+half {
			t.Fatalf("%d events stored, want %d", n, len(lines)+half)
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events WHERE global_event_id >= 5000000000"); n != half {
			t.Fatalf("%d new events stored, want %d", n, half)
		}
	})
}

// A file that repeats an id stores its first row only, even when the repeats fall in
// other months (other partitions on PostgreSQL).
func TestRepeatedIDKeepsTheFirstRow(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx := context.Background()
		lines := sampleLines(t)
		// A row of each of the sample's three months, all under one id; the first is
		// the 2019-10 one.
		firstOf := map[int][]byte{}
		for _, l := range lines {
			d, _ := strconv.Atoi(string(bytes.Split(l, []byte("\t"))[1]))
			if firstOf[d/100] == nil {
				firstOf[d/100] = l
			}
		}
		var picked [][]byte
		var dates []int
		for _, m := range []int{201910, 201810, 201909} {
			if firstOf[m] == nil {
				t.Fatalf("the sample has no row of %d", m)
			}
			d, _ := strconv.Atoi(string(bytes.Split(firstOf[m], []byte("\t"))[1]))
			picked = append(picked, withID(firstOf[m], 42))
			dates = append(dates, d)
		}
		run, err := gdelt.Ingest(ctx, db, gs, writeRows(t, "repeats.CSV", picked), gdelt.Options{})
		if err != nil || run.EventsNew != 1 || run.EventsDuplicate != 2 {
			t.Fatalf("run %+v (%v), want 1 new and 2 duplicates", run, err)
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 1 {
			t.Fatalf("%d rows stored, want 1", n)
		}
		if d := countBy(t, gs, "SELECT sql_date FROM events WHERE global_event_id = 42"); d != dates[0] {
			t.Fatalf("stored the row of %d, want the first (%d)", d, dates[0])
		}
	})
}

// An ingest whose month partition was dropped by another process (retention) since it
// last wrote there creates it again and stores the rows.
func TestIngestAfterAnotherProcessDroppedThePartition(t *testing.T) {
	url := storetest.PostgresURL(t)
	db := storetest.SQLite(t)
	ctx := context.Background()
	writer, pruner := gdelttest.PostgresAt(t, url), gdelttest.PostgresAt(t, url)
	if _, err := gdelt.Ingest(ctx, db, writer, sample(t), gdelt.Options{}); err != nil {
		t.Fatal(err)
	}
	// Everything before 2019-11 goes: all three months of the sample.
	if n, err := pruner.Prune(ctx, time.Date(2019, 11, 2, 0, 0, 0, 0, time.UTC), 24*time.Hour); err != nil || n != 2111 {
		t.Fatalf("prune: %d removed (%v), want 2111", n, err)
	}
	run, err := gdelt.Ingest(ctx, db, writer, sample(t), gdelt.Options{})
	if err != nil || run.EventsNew != 2111 {
		t.Fatalf("re-ingest: %+v (%v), want 2111 new", run, err)
	}
	if n := countBy(t, writer, "SELECT count(*) FROM events"); n != 2111 {
		t.Fatalf("%d events stored, want 2111", n)
	}
}
