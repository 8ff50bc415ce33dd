package gdelt_test

import (
	"context"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/gdelt"
)

// GDELT_RETENTION drops events older than the period by event date: whole months on
// PostgreSQL (a month stays while any of its days is kept), rows on SQLite; zero keeps
// all. The sample's events fall in 2018-10 (24), 2019-09 (20) and 2019-10 (2,067).
func TestRetention(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx := context.Background()
		if _, err := gdelt.Ingest(ctx, db, gs, sample(t), gdelt.Options{}); err != nil {
			t.Fatal(err)
		}
		now := time.Date(2019, 10, 25, 12, 0, 0, 0, time.UTC)
		if n, err := gs.Prune(ctx, now, 0); err != nil || n != 0 {
			t.Fatalf("keep everything: removed %d (%v)", n, err)
		}
		// 30 days back from 2019-10-25 is 2019-09-25: 2018-10 goes on both backends.
		n, err := gs.Prune(ctx, now, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		left := countBy(t, gs, "SELECT count(*) FROM events")
		if gs.Dialect() == "postgres" {
			if n != 24 || left != 2087 {
				t.Fatalf("removed %d, %d left: want the 2018-10 partition (24) gone", n, left)
			}
			if k := countBy(t, gs, "SELECT count(*) FROM event_keys"); k != 2087 {
				t.Errorf("%d event keys left, want 2087", k)
			}
		} else {
			old := countBy(t, gs, "SELECT count(*) FROM events WHERE sql_date < 20190925")
			if old != 0 || int(n)+left != 2111 || n < 24 {
				t.Fatalf("removed %d, %d left, %d older than the cutoff", n, left, old)
			}
		}
		// The removed events can be ingested again (their ids are forgotten too).
		run, err := gdelt.Ingest(ctx, db, gs, sample(t), gdelt.Options{})
		if err != nil || run.EventsNew != int(n) {
			t.Fatalf("re-ingest after retention: %+v %v, want %d new", run, err, n)
		}
	})
}
