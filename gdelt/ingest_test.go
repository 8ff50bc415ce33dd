package gdelt_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gorm.io/gorm"

	"geopol/gdelt"
	"geopol/gdelt/gdelttest"
	"geopol/models"
	"geopol/store/storetest"
)

// sample is the real 2,111-row GDELT export in testdata/gdelt; its .zip sits beside it.
func sample(t testing.TB) string {
	t.Helper()
	return storetest.GDELTSample(t, false)
}

// backends runs f on each event store backend with a forecast database beside it: a
// SQLite event file with a SQLite forecast database, and a PostgreSQL event store living
// in the PostgreSQL forecast database (GDELT_DATABASE_URL = DATABASE_URL).
func backends(t *testing.T, f func(t *testing.T, db *gorm.DB, gs *gdelt.Store)) {
	t.Run("sqlite", func(t *testing.T) { f(t, storetest.SQLite(t), gdelttest.SQLite(t)) })
	t.Run("postgres", func(t *testing.T) {
		url := storetest.PostgresURL(t)
		f(t, storetest.Open(t, storetest.Config(t, url)), gdelttest.PostgresAt(t, url))
	})
}

func countBy(t *testing.T, gs *gdelt.Store, query string, args ...any) int {
	t.Helper()
	n, err := gs.QueryInt(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestIngestSample(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx := context.Background()
		for _, src := range []string{sample(t), sample(t) + ".zip"} {
			run, err := gdelt.Ingest(ctx, db, gs, src, gdelt.Options{})
			if err != nil {
				t.Fatalf("%s: %v", src, err)
			}
			first := src == sample(t)
			wantNew, wantDup := 2111, 0
			if !first {
				wantNew, wantDup = 0, 2111 // the zip holds the same events: all duplicates
			}
			if run.Status != models.IngestSuccess || run.EventsFetched != 2111 || run.EventsNew != wantNew || run.EventsDuplicate != wantDup || run.CompletedAt == nil {
				t.Fatalf("%s: run %+v", src, run)
			}
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 2111 {
			t.Fatalf("%d events stored", n)
		}
		for quad, want := range map[int]int{1: 1222, 2: 281, 3: 271, 4: 337} {
			if n := countBy(t, gs, "SELECT count(*) FROM events WHERE quad_class = ?", quad); n != want {
				t.Errorf("QuadClass %d: %d events, want %d", quad, n, want)
			}
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events WHERE actor1_code = ''"); n != 174 {
			t.Errorf("%d events without Actor1Code, want 174", n)
		}
		var runs []models.IngestRun
		db.Order("id").Find(&runs)
		if len(runs) != 2 {
			t.Fatalf("%d ingest runs recorded", len(runs))
		}
		for id, want := range map[int64]string{881990960: "SYR", 881991770: "UKR", 881992170: "MMR"} {
			ev, err := gs.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if ev.ActionGeoCountryISO != want {
				t.Errorf("event %d: ISO %q, want %s (FIPS %s)", id, ev.ActionGeoCountryISO, want, ev.ActionGeoCountryFIPS)
			}
		}
		st, err := gs.Stats(ctx)
		if err != nil || st.Events != 2111 || st.NewestDateAdded != 20191024143000 {
			t.Errorf("stats %+v %v", st, err)
		}
	})
}

// brokenVariant rewrites the sample: CRLF endings, lower-case actor codes, and broken
// rows (wrong column counts, unparsable numbers) at known lines.
func brokenVariant(t *testing.T) (path string, good int) {
	t.Helper()
	raw, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	var out []string
	for i, l := range lines[:100] {
		f := strings.Split(l, "\t")
		switch i {
		case 9: // too few columns
			l = strings.Join(f[:40], "\t")
		case 19: // too many columns
			l = l + "\textra"
		case 29: // GLOBALEVENTID not a number
			f[0] = "12x4"
			l = strings.Join(f, "\t")
		case 39: // Goldstein not a number
			f[30] = "high"
			l = strings.Join(f, "\t")
		default:
			f[5] = strings.ToLower(f[5])
			l = strings.Join(f, "\t")
		}
		out = append(out, l)
	}
	path = filepath.Join(t.TempDir(), "broken.export.CSV")
	if err := os.WriteFile(path, []byte(strings.Join(out, "\r\n")+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, 96
}

func TestMalformedRowsAreSkippedAndReported(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		path, good := brokenVariant(t)
		run, err := gdelt.Ingest(context.Background(), db, gs, path, gdelt.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if run.Status != models.IngestSuccess || run.EventsNew != good || run.ErrorMessage == nil {
			t.Fatalf("run %+v", run)
		}
		msg := *run.ErrorMessage
		for _, want := range []string{"4 malformed rows", "line 10: has 40 columns", "line 20: has 62 columns", "line 30: GLOBALEVENTID", "line 40: GoldsteinScale"} {
			if !strings.Contains(msg, want) {
				t.Errorf("error message lacks %q: %s", want, msg)
			}
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events WHERE actor1_code <> upper(actor1_code)"); n != 0 {
			t.Errorf("%d lower-case actor codes stored", n)
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events WHERE source_url LIKE ?", "%\r"); n != 0 {
			t.Errorf("%d source URLs keep a carriage return", n)
		}
	})
}

func zipOf(t *testing.T, name string, data []byte) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.Create(name)
	w.Write(data)
	zw.Close()
	return buf.Bytes()
}

// lastupdate.txt + the zip from a local HTTP server: verified downloads ingest; a
// mismatched MD5 is a failed run with nothing stored.
func TestIngestLastUpdate(t *testing.T) {
	backends(t, testIngestLastUpdate)
}

func testIngestLastUpdate(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
	zipBytes, err := os.ReadFile(sample(t) + ".zip")
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(zipBytes)
	good := hex.EncodeToString(sum[:])
	md5Published := good
	mux := http.NewServeMux()
	var srv *httptest.Server
	mux.HandleFunc("/gdeltv2/lastupdate.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %s %s/gdeltv2/20191024143000.export.CSV.zip\n", len(zipBytes), md5Published, srv.URL)
		fmt.Fprintf(w, "1234 0123456789abcdef0123456789abcdef %s/gdeltv2/20191024143000.mentions.CSV.zip\n", srv.URL)
	})
	mux.HandleFunc("/gdeltv2/20191024143000.export.CSV.zip", func(w http.ResponseWriter, r *http.Request) { w.Write(zipBytes) })
	srv = httptest.NewServer(mux)
	defer srv.Close()
	ctx := context.Background()

	md5Published = strings.Repeat("0", 32)
	runs, err := gdelt.IngestLastUpdate(ctx, db, gs, srv.URL+"/gdeltv2/lastupdate.txt", gdelt.Options{})
	if err == nil || len(runs) != 1 || runs[0].Status != models.IngestFailed || !strings.Contains(*runs[0].ErrorMessage, "MD5") {
		t.Fatalf("md5 mismatch: runs %+v err %v", runs, err)
	}
	if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 0 {
		t.Fatalf("a failed download stored %d events", n)
	}

	md5Published = good
	runs, err = gdelt.IngestLastUpdate(ctx, db, gs, srv.URL+"/gdeltv2/lastupdate.txt", gdelt.Options{})
	if err != nil || len(runs) != 1 || runs[0].Status != models.IngestSuccess || runs[0].EventsNew != 2111 {
		t.Fatalf("verified download: runs %+v err %v", runs, err)
	}
	// The same file again is skipped: it was ingested successfully.
	runs, err = gdelt.IngestLastUpdate(ctx, db, gs, srv.URL+"/gdeltv2/lastupdate.txt", gdelt.Options{})
	if err != nil || len(runs) != 0 {
		t.Fatalf("second pass should skip: %+v %v", runs, err)
	}
}

func TestInterruptedIngestIsRecorded(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel() // as if SIGINT arrived before the first batch committed
		run, err := gdelt.Ingest(ctx, db, gs, sample(t), gdelt.Options{})
		if err == nil || run == nil {
			t.Fatalf("cancelled ingest: %+v %v", run, err)
		}
		var stored models.IngestRun
		if err := db.First(&stored, run.ID).Error; err != nil {
			t.Fatal(err)
		}
		if stored.Status != models.IngestInterrupted || stored.CompletedAt == nil {
			t.Fatalf("run left as %+v", stored)
		}
	})
}

func TestMissingAndEmpty(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		ctx := context.Background()
		// Open migrated; migrating again must be a harmless no-op.
		if err := gs.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		if empty, err := gs.Empty(ctx); err != nil || !empty {
			t.Fatalf("new store: empty=%v err=%v", empty, err)
		}
		if _, err := gdelt.Ingest(ctx, db, gs, sample(t), gdelt.Options{}); err != nil {
			t.Fatal(err)
		}
		if empty, err := gs.Empty(ctx); err != nil || empty {
			t.Fatalf("after ingest: empty=%v err=%v", empty, err)
		}
		// 1,200 ids (more than one IN chunk): the real ones are found, the rest reported.
		ids := []int64{881990960, 1, 881991770}
		for i := int64(0); i < 1197; i++ {
			ids = append(ids, 5_000_000_000+i)
		}
		missing, err := gs.Missing(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(missing) != 1198 || missing[0] != 1 {
			t.Fatalf("%d missing, first %v", len(missing), missing[:1])
		}
	})
}

// A file in which no row is a valid event (not an events export at all, or empty) is a
// failed run that names the skipped rows, not a success with 0 new events.
func TestFileWithoutValidRowFails(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		dir := t.TempDir()
		notExport := filepath.Join(dir, "README.md")
		if err := os.WriteFile(notExport, []byte("# geopol\n\nA forecasting engine.\n\n## Commands\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		empty := filepath.Join(dir, "empty.export.CSV")
		if err := os.WriteFile(empty, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		for src, want := range map[string][]string{
			notExport: {"no valid GDELT event row", "3 malformed rows skipped", "line 1: has 1 columns"},
			empty:     {"no GDELT event row: the file is empty"},
		} {
			run, err := gdelt.Ingest(context.Background(), db, gs, src, gdelt.Options{})
			if err == nil || run == nil {
				t.Fatalf("%s: run %+v, err %v: want a failed run", src, run, err)
			}
			var stored models.IngestRun
			if err := db.First(&stored, run.ID).Error; err != nil {
				t.Fatal(err)
			}
			if stored.Status != models.IngestFailed || stored.CompletedAt == nil || stored.ErrorMessage == nil {
				t.Fatalf("%s: stored as %+v", src, stored)
			}
			for _, w := range want {
				if !strings.Contains(*stored.ErrorMessage, w) || !strings.Contains(err.Error(), w) {
					t.Errorf("%s: message %q (err %v) lacks %q", src, *stored.ErrorMessage, err, w)
				}
			}
		}
	})
}

// A lastupdate.txt that cannot be read (the feed down or unreachable, or not a list) is
// a failed run whose file_url is the list, so health sees the outage.
func TestUnreadableListIsAFailedRun(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/garbage.txt" {
				fmt.Fprintln(w, "<html>not found</html>")
				return
			}
			http.Error(w, "down", http.StatusBadGateway)
		}))
		closed := httptest.NewServer(http.NotFoundHandler())
		closed.Close()
		defer srv.Close()
		for listURL, want := range map[string]string{
			srv.URL + "/lastupdate.txt":    "502 Bad Gateway",
			srv.URL + "/garbage.txt":       `want "size md5 url"`,
			closed.URL + "/lastupdate.txt": "connection refused",
		} {
			runs, err := gdelt.IngestLastUpdate(context.Background(), db, gs, listURL, gdelt.Options{})
			if err == nil || len(runs) != 1 {
				t.Fatalf("%s: runs %+v, err %v: want one failed run", listURL, runs, err)
			}
			var stored models.IngestRun
			if err := db.First(&stored, runs[0].ID).Error; err != nil {
				t.Fatal(err)
			}
			if stored.Status != models.IngestFailed || stored.FileURL == nil || *stored.FileURL != listURL || stored.Source != "gdelt" ||
				stored.CompletedAt == nil || stored.ErrorMessage == nil || !strings.Contains(*stored.ErrorMessage, want) {
				t.Errorf("%s: stored as %+v (message %v), want failed with %q", listURL, stored, stored.ErrorMessage, want)
			}
		}
	})
}
