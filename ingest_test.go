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
	"geopol/models"
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

func testIngestSIGINT(t *testing.T, cfg *config.Config) {
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
	defer srv.Close()
	defer close(release)

	db := storetest.Open(t, cfg)
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildIngest$", "-test.v")
	cmd.Env = append(os.Environ(), childIngestEnv+"="+srv.URL+"/20191024143000.export.CSV",
		"DATABASE_URL="+cfg.DatabaseURL, "SQLITE_PATH="+cfg.SQLitePath, "GDELT_DB_PATH="+cfg.GDELTDBPath,
		"ENVIRONMENT=testing", "CONFIG_FILE=-absent-", "ENV_FILE=-absent-")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("child never started downloading:\n%s", out.String())
	}
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
