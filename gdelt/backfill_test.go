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
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"gorm.io/gorm"

	"geopol/gdelt"
	"geopol/models"
)

// gdeltServer serves a masterfilelist.txt and the export zips it lists, made from the
// sample with GLOBALEVENTIDs shifted per file so every file holds new events. The
// export at badStamp is listed with a wrong MD5.
type gdeltServer struct {
	*httptest.Server
	files    map[string][]byte
	requests atomic.Int64
}

func newGDELTServer(t *testing.T, stamps []string, badStamp string) *gdeltServer {
	t.Helper()
	raw, err := os.ReadFile(sample(t))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	g := &gdeltServer{files: map[string][]byte{}}
	var list strings.Builder
	mux := http.NewServeMux()
	g.Server = httptest.NewServer(mux)
	t.Cleanup(g.Close)
	for n, stamp := range stamps {
		var csv strings.Builder
		for i, l := range lines {
			_, rest, _ := strings.Cut(l, "\t")
			csv.WriteString(strconv.Itoa(1_000_000*(n+1)+i) + "\t" + rest + "\n")
		}
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		w, _ := zw.Create(stamp + ".export.CSV")
		w.Write([]byte(csv.String()))
		zw.Close()
		name := "/gdeltv2/" + stamp + ".export.CSV.zip"
		g.files[name] = buf.Bytes()
		sum := md5.Sum(buf.Bytes())
		digest := hex.EncodeToString(sum[:])
		if stamp == badStamp {
			digest = strings.Repeat("0", 32)
		}
		fmt.Fprintf(&list, "%d %s %s%s\n", buf.Len(), digest, g.URL, name)
		fmt.Fprintf(&list, "123 %s %s/gdeltv2/%s.mentions.CSV.zip\n", strings.Repeat("1", 32), g.URL, stamp)
	}
	mux.HandleFunc("/gdeltv2/masterfilelist.txt", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(list.String())) })
	mux.HandleFunc("/gdeltv2/", func(w http.ResponseWriter, r *http.Request) {
		g.requests.Add(1)
		b, ok := g.files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	})
	return g
}

// A backfill takes the exports in its date range only, verifies them, records a bad one
// as a failed run and goes on; run again, it skips what is done and ingests nothing twice.
func TestBackfill(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		stamps := []string{"20191023234500", "20191024000000", "20191024001500", "20191024003000", "20191024004500", "20191025000000"}
		srv := newGDELTServer(t, stamps, "20191024003000")
		ctx := context.Background()
		day := time.Date(2019, 10, 24, 0, 0, 0, 0, time.UTC)
		opts := gdelt.BackfillOptions{MasterFileList: srv.URL + "/gdeltv2/masterfilelist.txt",
			From: day, To: day.Add(24*time.Hour - time.Second), Parallel: 3}
		rep, err := gdelt.Backfill(ctx, db, gs, opts)
		if err == nil || !strings.Contains(err.Error(), "MD5") {
			t.Fatalf("want the bad file's MD5 error, got %v", err)
		}
		if rep.Listed != 4 || rep.Succeeded != 3 || rep.Failed != 1 || rep.New != 3*2111 {
			t.Fatalf("first backfill: %+v", rep)
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 3*2111 {
			t.Fatalf("%d events stored", n)
		}
		var failed models.IngestRun
		if err := db.Where("status = ?", models.IngestFailed).Take(&failed).Error; err != nil || !strings.HasSuffix(*failed.FileURL, "20191024003000.export.CSV.zip") {
			t.Fatalf("failed run %+v %v", failed, err)
		}
		// Again: the three done files are skipped, the failed one is tried again.
		before := srv.requests.Load()
		rep, _ = gdelt.Backfill(ctx, db, gs, opts)
		if rep.Skipped != 3 || rep.Succeeded != 0 || rep.Failed != 1 || srv.requests.Load()-before != 1 {
			t.Fatalf("second backfill: %+v, %d downloads", rep, srv.requests.Load()-before)
		}
	})
}

// A backfill stopped part-way (SIGINT cancels its context) resumes: the next run
// ingests the rest and nothing twice.
func TestBackfillResumes(t *testing.T) {
	backends(t, func(t *testing.T, db *gorm.DB, gs *gdelt.Store) {
		stamps := []string{"20191024000000", "20191024001500", "20191024003000", "20191024004500"}
		srv := newGDELTServer(t, stamps, "")
		day := time.Date(2019, 10, 24, 0, 0, 0, 0, time.UTC)
		ctx, cancel := context.WithCancel(context.Background())
		var logged bytes.Buffer
		opts := gdelt.BackfillOptions{MasterFileList: srv.URL + "/gdeltv2/masterfilelist.txt",
			From: day, To: day.Add(time.Hour), Parallel: 2, Terminal: &stopAfter{w: &logged, n: 1, stop: cancel}}
		rep, err := gdelt.Backfill(ctx, db, gs, opts)
		if err == nil || rep.Succeeded < 1 || rep.Succeeded == 4 {
			t.Fatalf("interrupted backfill: %+v %v", rep, err)
		}
		first := rep.Succeeded
		opts.Terminal = nil
		rep, err = gdelt.Backfill(context.Background(), db, gs, opts)
		if err != nil || rep.Skipped != first || rep.Succeeded != 4-first {
			t.Fatalf("resumed backfill: %+v %v (first run did %d)", rep, err, first)
		}
		if n := countBy(t, gs, "SELECT count(*) FROM events"); n != 4*2111 {
			t.Fatalf("%d events stored", n)
		}
		if !strings.Contains(logged.String(), "files 1/4") || !strings.Contains(logged.String(), "events/s") {
			t.Errorf("progress line: %q", logged.String())
		}
	})
}

// stopAfter cancels after n progress lines, as SIGINT would.
type stopAfter struct {
	w    *bytes.Buffer
	n    int
	stop context.CancelFunc
}

func (s *stopAfter) Write(p []byte) (int, error) {
	s.w.Write(p)
	if bytes.Contains(p, []byte("files")) {
		if s.n--; s.n == 0 {
			s.stop()
		}
	}
	return len(p), nil
}
