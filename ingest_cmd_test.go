package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"geopol/config"
	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

// lastIngestHealth returns health's last_ingest check against the test's database.
func lastIngestHealth(t *testing.T, cfg *config.Config) handlers.SubsystemStatus {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	db := storetest.Open(t, cfg)
	rec := httptest.NewRecorder()
	s := &handlers.Server{Config: cfg, DB: db, Cache: store.NewMemoryCache("", 10), Log: storetest.Logger()}
	handlers.NewRouter(s).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/health", nil))
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
