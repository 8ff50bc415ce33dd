package gdelt_test

import (
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"geopol/gdelt"
	"geopol/models"
	"geopol/store/storetest"
)

// An event file written before the migration sets (PRAGMA user_version = 1, the
// sample's 2,111 events) upgrades in place: every row is kept, the baseline migration
// is recorded, and the sample then ingests as 2,111 duplicates.
func TestUpgradeUserVersion1File(t *testing.T) {
	_, here, _, _ := runtime.Caller(0)
	src, err := os.Open(filepath.Join(filepath.Dir(here), "..", "testdata", "gdelt", "events-user_version1.db.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	zr, err := gzip.NewReader(src)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "gdelt.db")
	dst, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, zr); err != nil {
		t.Fatal(err)
	}
	dst.Close()

	ctx := context.Background()
	gs, err := gdelt.Open(ctx, path, storetest.Logger())
	if err != nil {
		t.Fatalf("open the old file: %v", err)
	}
	defer gs.Close()
	if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 2111 {
		t.Fatalf("%d events after the upgrade, want 2111", n)
	}
	if n := countBy(t, gs, "SELECT count(*) FROM "+gdelt.Migrations.Table); n < 1 {
		t.Fatal("no migration recorded")
	}
	ev, err := gs.Get(ctx, 881990960)
	if err != nil || ev.ActionGeoCountryISO != "SYR" {
		t.Fatalf("event 881990960 after the upgrade: %+v %v", ev, err)
	}
	run, err := gdelt.Ingest(ctx, storetest.SQLite(t), gs, sample(t), gdelt.Options{})
	if err != nil || run.Status != models.IngestSuccess || run.EventsNew != 0 || run.EventsDuplicate != 2111 {
		t.Fatalf("re-ingest into the upgraded file: %+v %v", run, err)
	}
}
