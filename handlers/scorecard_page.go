package handlers

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"geopol/calibration"
	"geopol/chart"
	"geopol/models"
)

//go:embed templates/scorecard.html.tmpl
var pageTemplates embed.FS

var scorecardPageTmpl = template.Must(template.New("scorecard.html.tmpl").Funcs(template.FuncMap{
	"num": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.3f", *p)
	},
	"pct": func(p *float64) string {
		if p == nil {
			return "–"
		}
		return fmt.Sprintf("%.1f%%", 100**p)
	},
}).ParseFS(pageTemplates, "templates/scorecard.html.tmpl"))

// pageCSP: the page loads nothing from anywhere and runs no script; its form submits
// to itself.
const pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// loadScorecard is the scorecard the query's filters select, as the JSON route answers
// it (from the same cache entry).
func (s *Server) loadScorecard(c *gin.Context) (*ScorecardResponse, error) {
	b, err := s.cachedScorecard(c)
	if err != nil {
		return nil, err
	}
	var resp ScorecardResponse
	if err := json.Unmarshal(b.body, &resp); err != nil {
		return nil, err
	}
	return &resp, nil
}

// diagramTitles names a diagram after its filters.
func diagramTitles(card *ScorecardResponse) (title, subtitle string) {
	title = "Reliability: " + filterText(card.Filters)
	if filterText(card.Filters) == "" {
		title = "Reliability: all resolved forecasts"
	}
	o := card.Overall
	subtitle = fmt.Sprintf("%d resolved", o.Count)
	if o.BrierScore != nil {
		subtitle += fmt.Sprintf(" · Brier %.3f · log score %.3f · ECE %.3f", *o.BrierScore, *o.LogScore, *o.ECE)
	}
	return title, subtitle
}

func filterText(f ScorecardFilters) string {
	var parts []string
	if f.Category != nil {
		parts = append(parts, "category "+*f.Category)
	}
	if f.Country != nil {
		parts = append(parts, "country "+*f.Country)
	}
	if f.From != nil {
		parts = append(parts, "from "+*f.From)
	}
	if f.To != nil {
		parts = append(parts, "to "+*f.To)
	}
	if f.Source != nil {
		parts = append(parts, "source "+*f.Source)
	}
	return strings.Join(parts, ", ")
}

// reliabilitySVG answers GET /calibration/reliability.svg: the reliability diagram of
// the scorecard the filters select, as a standalone SVG.
func (s *Server) reliabilitySVG(c *gin.Context) {
	card, err := s.loadScorecard(c)
	if err != nil {
		fail(c, err)
		return
	}
	title, subtitle := diagramTitles(card)
	svg := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" + chart.SVG(chart.Reliability{Title: title, Subtitle: subtitle, Bins: card.Overall.Bins})
	c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
	sendDocument(c, []byte(svg), "image/svg+xml; charset=utf-8", cacheRevalidate)
}

// sendDocument sends a non-JSON body with its ETag, answering 304 when the client
// has it.
func sendDocument(c *gin.Context, body []byte, contentType, cacheControl string) {
	etag := etagOf(body)
	c.Header("ETag", etag)
	c.Header("Cache-Control", cacheControl)
	if etagMatches(c.GetHeader("If-None-Match"), etag) {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, contentType, body)
}

// categoryRow is a line of the page's table by category.
type categoryRow struct {
	calibration.Group
	Link         string
	Insufficient int
}

// scorecardPage answers GET /scorecard: the scorecard as a page people read, with the
// reliability diagram inline, the scores by category and a filter form that works
// without JavaScript (a plain GET form).
func (s *Server) scorecardPage(c *gin.Context) {
	card, err := s.loadScorecard(c)
	if err != nil {
		fail(c, err)
		return
	}
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	var categories []string
	if err := s.DB.WithContext(ctx).Model(&models.Prediction{}).Distinct("category").Order("category").
		Limit(200).Pluck("category", &categories).Error; err != nil {
		fail(c, err)
		return
	}
	q := c.Request.URL.Query()
	str := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	filters := map[string]string{"Category": str(card.Filters.Category), "Country": q.Get("country"),
		"From": str(card.Filters.From), "To": str(card.Filters.To), "Source": str(card.Filters.Source)}
	var rows []categoryRow
	for _, g := range card.ByCategory {
		link := url.Values{}
		for _, k := range []string{"country", "from", "to", "source"} {
			if v := q.Get(k); v != "" {
				link.Set(k, v)
			}
		}
		link.Set("category", g.Key)
		n := 0
		for _, b := range g.Bins {
			if b.Count > 0 && b.InsufficientSample {
				n++
			}
		}
		rows = append(rows, categoryRow{Group: g, Link: "?" + link.Encode(), Insufficient: n})
	}
	title, subtitle := diagramTitles(card)
	query := ""
	if enc := scorecardQuery(q); enc != "" {
		query = "?" + enc
	}
	var buf bytes.Buffer
	err = scorecardPageTmpl.Execute(&buf, map[string]any{
		"FilterText": filterText(card.Filters),
		"Filters":    filters,
		"Categories": categories,
		// chart.SVG escapes every text it draws.
		"Diagram":    template.HTML(chart.SVG(chart.Reliability{Title: title, Subtitle: subtitle, Bins: card.Overall.Bins})),
		"Overall":    card.Overall,
		"Unscored":   card.Unscored,
		"ByCategory": rows,
		"VsBaseline": card.VsBaseline,
		"MinBin":     calibration.MinBinSample,
		"JSONLink":   "/api/v1/calibration/scorecard" + query,
		"SVGLink":    "/api/v1/calibration/reliability.svg" + query,
		"Computed":   s.now().Format("2006-01-02 15:04 UTC"),
	})
	if err != nil {
		fail(c, err)
		return
	}
	c.Header("Content-Security-Policy", pageCSP)
	sendDocument(c, buf.Bytes(), "text/html; charset=utf-8", cacheRevalidate)
}

// scorecardQuery keeps the scorecard's filters of q, encoded.
func scorecardQuery(q url.Values) string {
	out := url.Values{}
	for _, k := range []string{"category", "country", "from", "to", "source"} {
		if v := q.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}
