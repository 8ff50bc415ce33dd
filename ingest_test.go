package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"geopol/config"
	"geopol/gdelt"
	"geopol/handlers"
	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// childIngestEnv marks the test binary re-run as a geopol process for the SIGINT test.
const childIngestEnv = "GEOPOL_TEST_CHILD_INGEST"

// TestChildIngest is the geopol process of TestIngestSIGINTLeavesInterrupted; it does
// nothing in a normal run.
func TestChildIngest(t *testing.T) {
	src := os.Getenv(childIngestEnv)
	if src == "" {
		t.Skip("runs only as the child process of TestIngestSIGINTLeavesInterrupted")
	}
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, []string{"ingest", src}, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "child ingest:", err)
	}
}

// A real process interrupted with SIGINT mid-download records its run as interrupted,
// never leaves it running.
func TestIngestSIGINTLeavesInterrupted(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { testIngestSIGINT(t, storetest.Config(t, storetest.PostgresURL(t))) })
	t.Run("sqlite", func(t *testing.T) { testIngestSIGINT(t, storetest.Config(t, "")) })
}

// startStalledIngest starts a real `geopol ingest` child process on cfg's databases
// (with extra environment) whose download stalls after its first kilobyte, and returns
// once the download has begun. The stalled server and the child are cleaned up when the
// test ends.
func startStalledIngest(t *testing.T, cfg *config.Config, extra ...string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	started := make(chan struct{}, 1)
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(bytes.Repeat([]byte("x"), 1000))
		w.(http.Flusher).Flush()
		started <- struct{}{}
		select { // stall until the test ends
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })

	cmd := exec.Command(os.Args[0], "-test.run=^TestChildIngest$", "-test.v")
	cmd.Env = append(os.Environ(), childIngestEnv+"="+srv.URL+"/20191024143000.export.CSV",
		"DATABASE_URL="+cfg.DatabaseURL, "SQLITE_PATH="+cfg.SQLitePath, "GDELT_DB_PATH="+cfg.GDELTDBPath,
		"ENVIRONMENT=testing", "CONFIG_FILE=-absent-", "ENV_FILE=-absent-")
	cmd.Env = append(cmd.Env, extra...)
	out := &bytes.Buffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("child never started downloading:\n%s", out.String())
	}
	return cmd, out
}

func testIngestSIGINT(t *testing.T, cfg *config.Config) {
	db := storetest.Open(t, cfg)
	cmd, out := startStalledIngest(t, cfg)
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("child did not stop after SIGINT:\n%s", out.String())
	}
	var runs []models.IngestRun
	if err := db.WithContext(context.Background()).Find(&runs).Error; err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || runs[0].Status != models.IngestInterrupted || runs[0].CompletedAt == nil {
		t.Fatalf("runs after SIGINT: %+v\n%s", runs, out.String())
	}
	if !strings.Contains(*runs[0].ErrorMessage, "interrupted") {
		t.Errorf("error message: %q", *runs[0].ErrorMessage)
	}
}

// A real ingest process killed with SIGKILL mid-run leaves its run running with a
// heartbeat that stops; once INGEST_HEARTBEAT_TIMEOUT has passed, the run is closed as
// abandoned with its counts, and health names it.
func TestIngestSIGKILLIsAbandoned(t *testing.T) {
	t.Run("postgres", func(t *testing.T) { testIngestSIGKILL(t, storetest.Config(t, storetest.PostgresURL(t))) })
	t.Run("sqlite", func(t *testing.T) { testIngestSIGKILL(t, storetest.Config(t, "")) })
}

func testIngestSIGKILL(t *testing.T, cfg *config.Config) {
	db := storetest.Open(t, cfg)
	cmd, out := startStalledIngest(t, cfg, "INGEST_HEARTBEAT_TIMEOUT=1s")
	time.Sleep(700 * time.Millisecond) // a few heartbeats (every 250 ms)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	ctx := context.Background()
	var run models.IngestRun
	if err := db.WithContext(ctx).Take(&run).Error; err != nil {
		t.Fatal(err)
	}
	if run.Status != models.IngestRunning || run.HeartbeatAt == nil || !run.HeartbeatAt.After(run.StartedAt) {
		t.Fatalf("killed run: %+v (want running, with a heartbeat after its start)\n%s", run, out.String())
	}
	// Not yet past the timeout: a live run is never abandoned.
	if closed, err := gdelt.MarkAbandoned(ctx, db, time.Hour); err != nil || len(closed) != 0 {
		t.Fatalf("abandoned within the timeout: %+v %v", closed, err)
	}
	time.Sleep(1100 * time.Millisecond)
	cache, err := store.OpenCache("", "geopol:")
	if err != nil {
		t.Fatal(err)
	}
	h := handlers.Server{Config: cfg, DB: db, Cache: cache, Log: storetest.Logger()}
	h.Config.IngestHeartbeatTimeout = time.Second
	router := handlers.NewRouter(&h)
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/health", nil))
	// Health closed the run (no ingest process is left to do it) and reports it:
	// last_ingest is unhealthy (its detail, naming the run, is for admins).
	if !strings.Contains(rec.Body.String(), `"name":"last_ingest","healthy":false`) {
		t.Errorf("health does not report the abandoned run: %d %s", rec.Code, rec.Body.String())
	}
	if err := db.WithContext(ctx).Take(&run, run.ID).Error; err != nil {
		t.Fatal(err)
	}
	if run.Status != models.IngestAbandoned || run.CompletedAt == nil || run.ErrorMessage == nil ||
		!strings.Contains(*run.ErrorMessage, "no heartbeat since") {
		t.Fatalf("after the timeout: %+v", run)
	}
}
