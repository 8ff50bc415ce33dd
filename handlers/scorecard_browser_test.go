package handlers_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"geopol/forecast/forecasttest"
	"geopol/handlers"
)

// chromium finds Debian's chromium. Without one the browser test is skipped, unless
// GEOPOL_TEST_BROWSER=required (CI), where that is a failure.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("GEOPOL_TEST_BROWSER") == "required" {
		t.Fatal("no chromium on PATH (apt-get install chromium), and GEOPOL_TEST_BROWSER=required")
	}
	t.Skip("no chromium on PATH (apt-get install chromium; GEOPOL_TEST_BROWSER=required makes this a failure)")
	return ""
}

// headless runs chromium headless (no display, no sandbox as root, nothing fetched from
// the network) on url with extra flags, and returns its stdout.
func headless(t *testing.T, bin, url string, flags ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
		"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
		"--disable-extensions", "--hide-scrollbars", "--user-data-dir=" + t.TempDir()}, flags...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, stderr.String())
	}
	return stdout.Bytes()
}

// The scorecard page (it has no script, and its CSP allows none), loaded by a real
// browser, shows the
// reliability diagram: the screenshot is kept (GEOPOL_ARTIFACTS names the directory;
// CI keeps ci-artifacts/scorecard.png) and checked for the diagram's colours.
func TestScorecardPageInBrowser(t *testing.T) {
	bin := chromium(t)
	cfg := sqliteConfig(t)
	cfg.ScorecardPublic = true
	e := newEnv(t, cfg, memCache())
	forecasttest.Seed(t, e.db, forecasttest.Options{N: 1000, Seed: 42, Resolved: 0.8, Overconfidence: 0.35, Exponent: 3})
	srv := httptest.NewServer(handlers.NewRouter(e.server))
	defer srv.Close()

	dom := string(headless(t, bin, srv.URL+"/scorecard", "--dump-dom"))
	for _, want := range []string{`class="reliability-diagram"`, `class="diagonal"`, `class="bin"`, `data-insufficient="true"`,
		"By category", "conflict", "Brier score"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page as the browser built it lacks %q:\n%.2000s", want, dom)
		}
	}

	dir := os.Getenv("GEOPOL_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "scorecard.png")
	_ = os.Remove(shot)
	headless(t, bin, srv.URL+"/scorecard", "--window-size=1200,900", "--screenshot="+shot)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", shot, err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 900 {
		t.Errorf("screenshot is %v, want 1200x900", b)
	}
	// The diagram's points (#1f5fbf) and the hollow insufficient bins (#c2410c) are on screen.
	if n := countColour(img, 0x1f, 0x5f, 0xbf); n < 500 {
		t.Errorf("screenshot %s: %d pixels of the bins' blue, want the diagram's points", shot, n)
	}
	if n := countColour(img, 0xc2, 0x41, 0x0c); n < 20 {
		t.Errorf("screenshot %s: %d pixels of the insufficient bins' orange", shot, n)
	}
	t.Logf("screenshot: %s", shot)
}

// countColour counts the pixels within a small distance of an RGB colour.
func countColour(img image.Image, r, g, b uint8) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			pr, pg, pb, _ := img.At(x, y).RGBA()
			if near(pr>>8, r) && near(pg>>8, g) && near(pb>>8, b) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8) bool {
	d := int(v) - int(want)
	return d > -12 && d < 12
}
