// Package chart draws geopol's figures as self-contained SVG: no scripts, no fonts or
// images loaded from anywhere, text escaped, so a figure can be served as a file or
// inlined in a page.
package chart

import (
	"fmt"
	"html"
	"math"
	"strings"

	"geopol/calibration"
)

// Reliability is what the reliability diagram shows.
type Reliability struct {
	Title    string // e.g. "Reliability: all resolved forecasts"
	Subtitle string // e.g. "412 resolved · Brier 0.198 · ECE 0.041"
	Bins     []calibration.Bin
	// ID prefixes the element ids, so several diagrams can share a page.
	ID string
}

// Geometry of the diagram (viewBox units).
const (
	width, height = 560.0, 630.0
	left, top     = 64.0, 78.0
	side          = 456.0 // the square plot area
	maxRadius     = 18.0
	minRadius     = 4.0
)

// Colours: the curve and sufficient bins, insufficient bins, the diagonal.
const (
	colorCurve        = "#1f5fbf"
	colorInsufficient = "#c2410c"
	colorDiagonal     = "#6b7280"
)

func px(p float64) float64 { return left + p*side }
func py(p float64) float64 { return top + (1-p)*side }

// SVG renders the diagram: the diagonal of perfect calibration, one point per
// non-empty bin at (mean forecast, observed rate) with an area proportional to its
// count, bins with fewer than calibration.MinBinSample forecasts drawn hollow and
// dashed, the curve through the points, and the bins' counts along the bottom.
func SVG(r Reliability) string {
	var b strings.Builder
	id := html.EscapeString(r.ID + "reliability")
	w := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	w(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %g %g" width="%g" height="%g" role="img" aria-labelledby="%s-title %s-desc" class="reliability-diagram" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif">`,
		width, height, width, height, id, id)
	total, maxCount := 0, 0
	for _, bin := range r.Bins {
		total += bin.Count
		maxCount = max(maxCount, bin.Count)
	}
	w(`<title id="%s-title">%s</title>`, id, html.EscapeString(r.Title))
	w(`<desc id="%s-desc">Reliability diagram of %d resolved forecasts in %d bins: observed frequency against mean forecast probability per bin; the diagonal is perfect calibration.</desc>`,
		id, total, len(r.Bins))
	w(`<rect x="0" y="0" width="%g" height="%g" fill="#ffffff"/>`, width, height)
	w(`<text x="%g" y="26" font-size="18" font-weight="600" fill="#111827">%s</text>`, left, html.EscapeString(r.Title))
	w(`<text x="%g" y="48" font-size="13" fill="#374151">%s</text>`, left, html.EscapeString(r.Subtitle))

	// Grid, axes and ticks.
	w(`<g class="grid" stroke="#e5e7eb" stroke-width="1">`)
	for i := 0; i <= 10; i++ {
		p := float64(i) / 10
		w(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, px(p), py(0), px(p), py(1))
		w(`<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`, px(0), py(p), px(1), py(p))
	}
	w(`</g>`)
	w(`<g class="axes" stroke="#111827" stroke-width="1.5" fill="none"><rect x="%g" y="%g" width="%g" height="%g"/></g>`, left, top, side, side)
	w(`<g class="ticks" font-size="12" fill="#374151">`)
	for i := 0; i <= 10; i += 2 {
		p := float64(i) / 10
		w(`<text x="%.1f" y="%.1f" text-anchor="middle">%.1f</text>`, px(p), py(0)+18, p)
		w(`<text x="%.1f" y="%.1f" text-anchor="end" dominant-baseline="middle">%.1f</text>`, px(0)-8, py(p), p)
	}
	w(`</g>`)
	w(`<text x="%.1f" y="%.1f" font-size="13" text-anchor="middle" fill="#111827">Forecast probability (mean of the bin)</text>`, px(0.5), py(0)+40)
	w(`<text transform="translate(%.1f %.1f) rotate(-90)" font-size="13" text-anchor="middle" fill="#111827">Observed frequency</text>`, left-44, py(0.5))

	// Perfect calibration.
	w(`<line class="diagonal" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 5"/>`,
		px(0), py(0), px(1), py(1), colorDiagonal)

	if total == 0 {
		w(`<text class="empty" x="%.1f" y="%.1f" font-size="15" text-anchor="middle" fill="#6b7280">No resolved forecasts match these filters.</text>`, px(0.5), py(0.5))
	} else {
		var pts []string
		for _, bin := range r.Bins {
			if bin.Count > 0 && bin.MeanForecast != nil && bin.ObservedRate != nil {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", px(*bin.MeanForecast), py(*bin.ObservedRate)))
			}
		}
		w(`<polyline class="curve" points="%s" fill="none" stroke="%s" stroke-width="2" stroke-opacity="0.7"/>`, strings.Join(pts, " "), colorCurve)
		for k, bin := range r.Bins {
			if bin.Count == 0 || bin.MeanForecast == nil || bin.ObservedRate == nil {
				continue
			}
			radius := minRadius + (maxRadius-minRadius)*math.Sqrt(float64(bin.Count)/float64(maxCount))
			x, y := px(*bin.MeanForecast), py(*bin.ObservedRate)
			style := fmt.Sprintf(`fill="%s" stroke="#ffffff" stroke-width="1.5"`, colorCurve)
			if bin.InsufficientSample {
				style = fmt.Sprintf(`fill="#ffffff" fill-opacity="0.9" stroke="%s" stroke-width="2" stroke-dasharray="3 2"`, colorInsufficient)
			}
			w(`<circle class="bin" data-bin="%d" data-count="%d" data-insufficient="%t" cx="%.1f" cy="%.1f" r="%.1f" %s><title>%s</title></circle>`,
				k, bin.Count, bin.InsufficientSample, x, y, radius, style, html.EscapeString(binLabel(bin)))
		}
		// Counts per bin along the bottom of the plot.
		w(`<g class="counts" font-size="10" fill="#4b5563" text-anchor="middle">`)
		for _, bin := range r.Bins {
			w(`<text x="%.1f" y="%.1f">%d</text>`, px((bin.Lower+bin.Upper)/2), py(0)-6, bin.Count)
		}
		w(`</g>`)
	}

	// Legend.
	ly := py(0) + 58
	w(`<g class="legend" font-size="12" fill="#111827">`)
	w(`<line x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 5"/><text x="%g" y="%.1f" dominant-baseline="middle">perfect calibration</text>`,
		left, ly, left+26, ly, colorDiagonal, left+32, ly)
	w(`<circle cx="%g" cy="%.1f" r="6" fill="%s"/><text x="%g" y="%.1f" dominant-baseline="middle">bin (area ∝ forecasts)</text>`,
		left+178, ly, colorCurve, left+190, ly)
	w(`<circle cx="%g" cy="%.1f" r="6" fill="#ffffff" stroke="%s" stroke-width="2" stroke-dasharray="3 2"/><text x="%g" y="%.1f" dominant-baseline="middle">fewer than %d: insufficient sample</text>`,
		left+6, ly+22, colorInsufficient, left+18, ly+22, calibration.MinBinSample)
	w(`</g>`)
	w(`</svg>`)
	return b.String()
}

func binLabel(bin calibration.Bin) string {
	s := fmt.Sprintf("[%.1f, %.1f): %d forecasts, mean forecast %.3f, observed %.3f", bin.Lower, bin.Upper, bin.Count,
		*bin.MeanForecast, *bin.ObservedRate)
	if bin.InsufficientSample {
		s += fmt.Sprintf(" (fewer than %d: insufficient sample)", calibration.MinBinSample)
	}
	return s
}
