package handlers_test

import (
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"geopol/forecast/forecasttest"
	"geopol/handlers"
)

// tourOps covers the routes for operators and analysts: the docs under /api/v1, the
// exports, the scorecard page and diagram, and the live stream.
func tourOps(t *testing.T, e *env, expect expectFunc) {
	expect(200, "GET", "/api/v1/docs", nil)
	expect(200, "GET", "/api/v1/export/forecasts?format=ndjson", nil)
	expect(200, "GET", "/api/v1/export/outcomes?status=resolved", nil)
	expect(422, "GET", "/api/v1/export/forecasts?format=pdf", nil)
	expect(200, "GET", "/api/v1/calibration/reliability.svg?category=conflict", nil)
	expect(422, "GET", "/api/v1/calibration/reliability.svg?from=soon", nil)
	expect(200, "GET", "/scorecard", nil)
	expect(422, "GET", "/scorecard?country=ZZZ", nil)
	e.withStream(time.Second)
	if rec := streamOnce(t, e, "/api/v1/stream?types=forecast.created", 200*time.Millisecond); rec.Code != 200 {
		t.Errorf("stream: %d", rec.Code)
	}
	expect(422, "GET", "/api/v1/stream?types=nope", nil)
}

// svgDoc is the part of the diagram's SVG the structural checks read.
type svgDoc struct {
	XMLName xml.Name `xml:"svg"`
	ViewBox string   `xml:"viewBox,attr"`
	Title   string   `xml:"title"`
	Lines   []struct {
		Class string `xml:"class,attr"`
		X1    string `xml:"x1,attr"`
		Y1    string `xml:"y1,attr"`
		X2    string `xml:"x2,attr"`
		Y2    string `xml:"y2,attr"`
	} `xml:"line"`
	Circles []struct {
		Class        string  `xml:"class,attr"`
		Bin          int     `xml:"data-bin,attr"`
		Count        int     `xml:"data-count,attr"`
		Insufficient bool    `xml:"data-insufficient,attr"`
		R            float64 `xml:"r,attr"`
		Dash         string  `xml:"stroke-dasharray,attr"`
	} `xml:"circle"`
	Polylines []struct {
		Class string `xml:"class,attr"`
	} `xml:"polyline"`
	Scripts []struct{} `xml:"script"`
}

// The diagram is well-formed SVG: the diagonal from (0,0) to (1,1), one point per
// non-empty bin with its count and a radius that grows with it, insufficient bins
// dashed, the curve, no script; and the page inlines the same diagram, without scripts.
func TestReliabilityDiagramStructure(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	forecasttest.Seed(t, e.db, forecasttest.Options{N: 900, Seed: 5, Resolved: 0.8, Overconfidence: 0.3, Exponent: 3})
	rec := e.do("GET", "/api/v1/calibration/reliability.svg", nil)
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "image/svg+xml; charset=utf-8" {
		t.Fatalf("svg: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	var doc svgDoc
	if err := xml.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("not well-formed XML: %v", err)
	}
	if doc.ViewBox == "" || !strings.HasPrefix(doc.Title, "Reliability") || len(doc.Scripts) != 0 {
		t.Errorf("viewBox %q title %q scripts %d", doc.ViewBox, doc.Title, len(doc.Scripts))
	}
	diagonal := 0
	for _, l := range doc.Lines {
		if l.Class == "diagonal" {
			diagonal++
			if l.X1 != "64.0" || l.Y1 != "534.0" || l.X2 != "520.0" || l.Y2 != "78.0" {
				t.Errorf("diagonal %+v does not run from (0,0) to (1,1) of the plot", l)
			}
		}
	}
	if diagonal != 1 {
		t.Errorf("%d diagonals", diagonal)
	}
	card := getOK[handlers.ScorecardResponse](e, "/api/v1/calibration/scorecard")
	var bins, insufficient int
	radius := map[int]float64{}
	for _, c := range doc.Circles {
		if c.Class != "bin" {
			continue
		}
		bins++
		b := card.Overall.Bins[c.Bin]
		if c.Count != b.Count || c.Insufficient != b.InsufficientSample {
			t.Errorf("bin %d drawn with count %d insufficient %v; the scorecard says %d %v", c.Bin, c.Count, c.Insufficient, b.Count, b.InsufficientSample)
		}
		if c.Insufficient {
			insufficient++
			if c.Dash == "" {
				t.Errorf("insufficient bin %d is not dashed", c.Bin)
			}
		}
		radius[c.Count] = c.R
	}
	nonEmpty := 0
	for _, b := range card.Overall.Bins {
		if b.Count > 0 {
			nonEmpty++
		}
	}
	if bins != nonEmpty || insufficient == 0 || insufficient == bins {
		t.Errorf("%d points (%d insufficient) for %d non-empty bins; want both kinds", bins, insufficient, nonEmpty)
	}
	for n1, r1 := range radius {
		for n2, r2 := range radius {
			if n1 > n2 && r1 <= r2 {
				t.Errorf("a bin of %d is drawn no larger (r %v) than one of %d (r %v)", n1, r1, n2, r2)
			}
		}
	}
	if len(doc.Polylines) != 1 || doc.Polylines[0].Class != "curve" {
		t.Errorf("polylines %+v, want the curve", doc.Polylines)
	}
	// No resolved forecast: the diagram says so.
	if body := e.do("GET", "/api/v1/calibration/reliability.svg?category=nothing_here", nil).Body.String(); !strings.Contains(body, "No resolved forecasts match") {
		t.Error("an empty diagram does not say it is empty")
	}

	// The page: keyed unless SCORECARD_PUBLIC, self-contained, the same diagram inline.
	page := e.do("GET", "/scorecard?category=conflict", nil)
	html := page.Body.String()
	if page.Code != 200 || !strings.HasPrefix(page.Header().Get("Content-Type"), "text/html") ||
		!strings.Contains(page.Header().Get("Content-Security-Policy"), "default-src 'none'") {
		t.Fatalf("page: %d %q", page.Code, page.Header().Get("Content-Security-Policy"))
	}
	for _, banned := range []string{"<script", `href="http`, "src=", "<link", "<img", "url("} {
		if strings.Contains(html, banned) {
			t.Errorf("the page contains %q: it must load nothing and run nothing", banned)
		}
	}
	if !strings.Contains(html, `class="reliability-diagram"`) || !strings.Contains(html, "Reliability: category conflict") ||
		!strings.Contains(html, `<option value="conflict" selected>`) {
		t.Error("the page lacks the filtered diagram or the selected filter")
	}
	e.headers.Del(e.cfg.APIKeyHeader)
	if rec := e.do("GET", "/scorecard", nil); rec.Code != 401 {
		t.Errorf("page without a key (SCORECARD_PUBLIC off): %d, want 401", rec.Code)
	}
}
