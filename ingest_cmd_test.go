package main

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/config"
	"geopol/handlers"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// lastIngestHealth returns health's last_ingest check against the test's database, as
// an operator with the admin token sees it (details included).
func lastIngestHealth(t *testing.T, cfg *config.Config) handlers.SubsystemStatus {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	db := storetest.Open(t, cfg)
	rec := httptest.NewRecorder()
	withToken := *cfg
	withToken.AdminToken = "health-admin-token-0123456789abcdef"
	s := &handlers.Server{Config: &withToken, DB: db, Cache: store.NewMemoryCache("", 10), Log: storetest.Logger()}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/health", nil)
	req.Header.Set("Authorization", "Bearer "+withToken.AdminToken)
	handlers.NewRouter(s).ServeHTTP(rec, req)
	var body handlers.HealthResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	for _, sub := range body.Subsystems {
		if sub.Name == "last_ingest" {
			return sub
		}
	}
	t.Fatalf("no last_ingest in %s", rec.Body)
	return handlers.SubsystemStatus{}
}

// A file with no valid GDELT row is a failed run (exit 1), and health's last_ingest
// degrades even right after a successful ingest.
func TestIngestWithoutValidRowFails(t *testing.T) {
	cfg := cliEnv(t, false)
	if _, errOut, err := runCLI(t, "ingest", storetest.GDELTSample(t, false)); err != nil {
		t.Fatalf("sample: %v\n%s", err, errOut)
	}
	if li := lastIngestHealth(t, cfg); !li.Healthy {
		t.Fatalf("after a successful ingest: %+v", li)
	}
	readme := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(readme, []byte("# geopol\n\nNot an export.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := runCLI(t, "ingest", readme)
	if err == nil || exitCode(err) != exitFailure || !strings.Contains(err.Error(), "no valid GDELT event row") {
		t.Fatalf("ingest README.md: %v (exit %d)\n%s", err, exitCode(err), out)
	}
	if !regexp.MustCompile(`(?m)^run \d+ failed: .*README\.md fetched=0 new=0 duplicate=0\n  no valid GDELT event row .*2 malformed rows skipped`).MatchString(out) {
		t.Errorf("report:\n%s", out)
	}
	if li := lastIngestHealth(t, cfg); li.Healthy || !strings.Contains(*li.Detail, "failed") {
		t.Fatalf("after a failed ingest health still says: %+v", li)
	}
}

// With the feed unreachable, `ingest --watch` records the failed poll at once, logs it
// at WARN, and health's last_ingest degrades within that first poll.
func TestWatchOutageShowsInHealth(t *testing.T) {
	cfg := cliEnv(t, false)
	if _, errOut, err := runCLI(t, "ingest", storetest.GDELTSample(t, false)); err != nil {
		t.Fatalf("sample: %v\n%s", err, errOut)
	}
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errOut strings.Builder
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"ingest", "--lastupdate", down.URL + "/lastupdate.txt", "--watch", "--interval", "1h"}, &out, &errOut)
	}()
	db := storetest.Open(t, cfg)
	var failed int64
	for deadline := time.Now().Add(20 * time.Second); failed == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		db.Model(&models.IngestRun{}).Where("status = ?", models.IngestFailed).Count(&failed)
	}
	li := lastIngestHealth(t, cfg)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("watch: %v", err)
	}
	if failed == 0 {
		t.Fatal("the unreachable feed recorded no failed run")
	}
	if li.Healthy || !strings.Contains(*li.Detail, "connection refused") {
		t.Errorf("last_ingest during the outage: %+v", li)
	}
	if !strings.Contains(errOut.String(), `level=WARN msg="ingest poll failed"`) {
		t.Errorf("the failed poll was not logged at WARN:\n%s", errOut.String())
	}
}

// geopol ingest --from/--to backfills from a masterfilelist.txt (a local server here),
// prints what it did, and skips everything when run again; bad ranges are usage errors.
func TestIngestBackfillCommand(t *testing.T) {
	cliEnv(t, false)
	zipBytes, err := os.ReadFile(storetest.GDELTSample(t, true))
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(zipBytes)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	defer srv.Close()
	mux.HandleFunc("/masterfilelist.txt", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%d %s %s/20191024143000.export.CSV.zip\n", len(zipBytes), hex.EncodeToString(sum[:]), srv.URL)
		fmt.Fprintf(w, "%d %s %s/20191025143000.export.CSV.zip\n", len(zipBytes), hex.EncodeToString(sum[:]), srv.URL)
	})
	mux.HandleFunc("/20191024143000.export.CSV.zip", func(w http.ResponseWriter, r *http.Request) { w.Write(zipBytes) })
	args := []string{"ingest", "--from", "2019-10-24", "--to", "2019-10-24", "--parallel", "2", "--masterfilelist", srv.URL + "/masterfilelist.txt"}
	out, errOut, err := runCLI(t, args...)
	if err != nil || !strings.Contains(out, "backfill: 1 files listed, 0 already ingested, 1 ingested, 0 failed; 2111 events (2111 new)") {
		t.Fatalf("backfill: %v\n%s%s", err, out, errOut)
	}
	if !strings.Contains(errOut, "backfill file") {
		t.Errorf("no structured progress line off a terminal:\n%s", errOut)
	}
	out, errOut, err = runCLI(t, args...)
	if err != nil || !strings.Contains(out, "1 already ingested, 0 ingested") {
		t.Fatalf("second backfill: %v\n%s%s", err, out, errOut)
	}

	for _, bad := range [][]string{
		{"ingest", "--from", "2019-10-24"},
		{"ingest", "--from", "2019-10-25", "--to", "2019-10-24"},
		{"ingest", "--from", "yesterday", "--to", "2019-10-24"},
		{"ingest", "--from", "2019-10-24", "--to", "2019-10-24", "--parallel", "0"},
		{"ingest", "--from", "2019-10-24", "--to", "2019-10-24", "file.CSV"},
	} {
		_, _, err := runCLI(t, bad...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err %v, want a usage error", bad, err)
		}
	}
}
