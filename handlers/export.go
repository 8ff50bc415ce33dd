package handlers

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/calibration"
	"geopol/codes"
	"geopol/forecast"
	"geopol/metrics"
	"geopol/models"
)

// exportChunk is how many rows one query of an export reads: an export holds at most
// this many rows in memory, and no connection while it writes them to the client.
const exportChunk = 1000

// exportWriteWait bounds the client's reading of one chunk.
const exportWriteWait = 60 * time.Second

// Export formats and their media types.
var exportTypes = map[string]string{
	"csv":    "text/csv; charset=utf-8",
	"ndjson": "application/x-ndjson",
}

// exportRequest is what an export was asked for.
type exportRequest struct {
	format   string
	filter   calibration.Filter
	status   string // outcomes only
	snapshot time.Time
	maxID    int64 // outcomes only: the newest outcome when the export started
}

// parseExport reads ?format= (csv, the default, or ndjson), the scorecard's filters
// (category, country, from, to) and, for outcomes, ?status=.
func parseExport(c *gin.Context, outcomes bool) (*exportRequest, error) {
	q := c.Request.URL.Query()
	f, _, ferr := parseScorecardFilters(q)
	req := &exportRequest{format: q.Get("format"), filter: f}
	var errs []FieldError
	if ferr != nil {
		if api, ok := ferr.(*APIError); ok {
			errs = append(errs, api.Errors...)
		} else {
			return nil, ferr
		}
	}
	if req.format == "" {
		req.format = "csv"
	}
	if _, ok := exportTypes[req.format]; !ok {
		errs = append(errs, FieldError{Field: "format", Message: "must be csv or ndjson"})
	}
	if st := q.Get("status"); st != "" {
		switch {
		case !outcomes:
			errs = append(errs, FieldError{Field: "status", Message: "filters outcomes only"})
		case st != models.OutcomeResolved && st != models.OutcomeAnnulled && st != models.OutcomeAmbiguous:
			errs = append(errs, FieldError{Field: "status", Message: "must be resolved, annulled or ambiguous"})
		}
		req.status = st
	}
	if len(errs) > 0 {
		return nil, ErrValidation("A query parameter is invalid.", errs...)
	}
	return req, nil
}

// exportSink writes an export: the header once, then rows, flushed per chunk.
type exportSink struct {
	c       *gin.Context
	rc      *http.ResponseController
	w       *bufio.Writer
	csv     *csv.Writer
	dataset string
	format  string
	rows    int
}

// start sends the status and headers. Nothing is sent before the first chunk was read,
// so a failing query is still a problem response.
func (s *Server) startExport(c *gin.Context, dataset string, req *exportRequest) *exportSink {
	h := c.Writer.Header()
	h.Set("Content-Type", exportTypes[req.format])
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="geopol-%s-%s.%s"`, dataset, req.snapshot.Format("20060102T150405Z"), req.format))
	rc := http.NewResponseController(c.Writer)
	// An export may outlast the server's read timeout, whose expiry would cancel the
	// request, and its write timeout: each chunk's write is bounded instead.
	_ = rc.SetReadDeadline(time.Time{})
	c.Status(http.StatusOK)
	sink := &exportSink{c: c, rc: rc, w: bufio.NewWriterSize(c.Writer, 32<<10), dataset: dataset, format: req.format}
	if req.format == "csv" {
		sink.csv = csv.NewWriter(sink.w)
	}
	return sink
}

func (k *exportSink) header(cols []string) {
	if k.csv != nil {
		_ = k.csv.Write(cols)
	}
}

// row writes one record: record for CSV, v for NDJSON.
func (k *exportSink) row(record []string, v any) error {
	k.rows++
	if k.csv != nil {
		return k.csv.Write(record)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = k.w.Write(b)
	return err
}

// flush sends what is buffered, bounding the write.
func (k *exportSink) flush() error {
	_ = k.rc.SetWriteDeadline(time.Now().Add(exportWriteWait))
	if k.csv != nil {
		k.csv.Flush()
		if err := k.csv.Error(); err != nil {
			return err
		}
	}
	if err := k.w.Flush(); err != nil {
		return err
	}
	return k.rc.Flush()
}

// abort ends an export that failed after its headers were sent: the connection is cut,
// so the client sees a failed transfer, never a complete-looking truncated file.
func (k *exportSink) abort(err error) {
	logger(k.c).Warn("export aborted", "dataset", k.dataset, "rows", k.rows, "error", err.Error())
	panic(http.ErrAbortHandler)
}

func (k *exportSink) done() {
	if err := k.flush(); err != nil {
		k.abort(err)
	}
	metrics.ExportRows.WithLabelValues(k.dataset, k.format).Add(float64(k.rows))
	logger(k.c).Info("export", "dataset", k.dataset, "format", k.format, "rows", k.rows)
}

// safeCell keeps a spreadsheet from reading client-written text as a formula (OWASP
// CSV injection): a cell starting with = + - @, tab or carriage return gets a leading
// apostrophe. Only free-text columns go through it.
func safeCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func optString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

var forecastColumns = []string{"forecast_id", "created_at", "expires_at", "country_iso", "category", "cameo_root_code",
	"probability", "confidence", "horizon_days", "evidence_count", "question", "prediction", "reasoning_summary"}

// exportForecasts answers GET /export/forecasts: every forecast the filters select
// (expired ones too), oldest first, as CSV or NDJSON (one forecast, in the API's shape,
// per line), streamed in chunks of exportChunk rows read by keyset.
func (s *Server) exportForecasts(c *gin.Context) {
	req, err := parseExport(c, false)
	if err != nil {
		fail(c, err)
		return
	}
	req.snapshot = s.now()
	next := func(after *models.Prediction) ([]models.Prediction, error) {
		return s.forecastChunk(c, req.filter, req.snapshot, after)
	}
	streamExport(s, c, req, "forecasts", forecastColumns, next, func(sink *exportSink, p *models.Prediction) error {
		if req.format == "csv" {
			return sink.row([]string{p.ID, fmtTime(p.CreatedAt), fmtTime(p.ExpiresAt), codes.Alpha2(optString(p.CountryISO)),
				p.Category, optString(p.CameoRootCode), fmtFloat(p.Probability), fmtFloat(p.Confidence),
				strconv.Itoa(p.HorizonDays), strconv.Itoa(p.EvidenceCount), safeCell(p.Question),
				safeCell(p.PredictionText), safeCell(p.ReasoningSummary)}, nil)
		}
		resp, err := forecast.FromRow(p)
		if err != nil {
			return err
		}
		return sink.row(nil, resp)
	})
}

// streamExport sends an export: it reads chunks of rows with next (given the last row
// sent, nil at first) until one comes back shorter than exportChunk, writing each row
// with write. Nothing is sent before the first chunk was read, so a failing first query
// is still a problem response; a failure after that cuts the connection (abort).
func streamExport[T any](s *Server, c *gin.Context, req *exportRequest, dataset string, columns []string,
	next func(after *T) ([]T, error), write func(sink *exportSink, row *T) error) {
	rows, err := next(nil)
	if err != nil {
		fail(c, err)
		return
	}
	sink := s.startExport(c, dataset, req)
	if c.Request.Method == http.MethodHead {
		return // the headers only
	}
	sink.header(columns)
	for {
		for i := range rows {
			if err := write(sink, &rows[i]); err != nil {
				sink.abort(err)
			}
		}
		if err := sink.flush(); err != nil {
			sink.abort(err)
		}
		if len(rows) < exportChunk {
			break
		}
		if rows, err = next(&rows[len(rows)-1]); err != nil {
			sink.abort(err)
		}
	}
	sink.done()
}

// forecastChunk reads the next chunk of forecasts after the keyset position.
func (s *Server) forecastChunk(c *gin.Context, f calibration.Filter, snapshot time.Time, after *models.Prediction) ([]models.Prediction, error) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	q := s.DB.WithContext(ctx).Where("created_at <= ?", snapshot)
	q = filterForecasts(q, "", f)
	if after != nil {
		q = q.Where("(created_at > ? OR (created_at = ? AND id > ?))", after.CreatedAt, after.CreatedAt, after.ID)
	}
	var rows []models.Prediction
	err := q.Order("created_at, id").Limit(exportChunk).Find(&rows).Error
	return rows, err
}

// filterForecasts applies the scorecard filters to predictions (aliased by prefix).
func filterForecasts(q *gorm.DB, prefix string, f calibration.Filter) *gorm.DB {
	if f.Category != "" {
		q = q.Where(prefix+"category = ?", f.Category)
	}
	if f.CountryISO != "" {
		q = q.Where(prefix+"country_iso = ?", f.CountryISO)
	}
	if f.From != nil {
		q = q.Where(prefix+"created_at >= ?", f.From.UTC())
	}
	if f.To != nil {
		q = q.Where(prefix+"created_at < ?", f.To.UTC())
	}
	return q
}

// ExportOutcome is one row of GET /export/outcomes: the outcome and what scoring needs
// of its forecast.
type ExportOutcome struct {
	ForecastID        string    `json:"forecast_id"`
	Status            string    `json:"status"`
	Outcome           float64   `json:"outcome"`
	ResolutionDate    time.Time `json:"resolution_date"`
	ResolutionMethod  string    `json:"resolution_method"`
	EvidenceGdeltIDs  []string  `json:"evidence_gdelt_ids"`
	Notes             *string   `json:"notes"`
	Corrections       int       `json:"corrections"`
	ForecastCreatedAt time.Time `json:"forecast_created_at"`
	Probability       float64   `json:"probability"`
	Category          string    `json:"category"`
	CountryISO        *string   `json:"country_iso"`
	CameoRootCode     *string   `json:"cameo_root_code"`
}

var outcomeColumns = []string{"forecast_id", "status", "outcome", "resolution_date", "resolution_method",
	"evidence_gdelt_ids", "notes", "corrections", "forecast_created_at", "probability", "category", "country_iso",
	"cameo_root_code"}

// outcomeRow is what a chunk of outcomes reads.
type outcomeRow struct {
	models.OutcomeRecord
	PCreatedAt     time.Time
	PProbability   float64
	PCategory      string
	PCountryISO    *string
	PCameoRootCode *string
}

// exportOutcomes answers GET /export/outcomes: every outcome of the forecasts the
// filters select (?status= narrows them), in the order they were recorded.
func (s *Server) exportOutcomes(c *gin.Context) {
	req, err := parseExport(c, true)
	if err != nil {
		fail(c, err)
		return
	}
	req.snapshot = s.now()
	if err := s.newestOutcome(c, req); err != nil {
		fail(c, err)
		return
	}
	next := func(after *outcomeRow) ([]outcomeRow, error) {
		var last int64
		if after != nil {
			last = after.ID
		}
		return s.outcomeChunk(c, req, last)
	}
	streamExport(s, c, req, "outcomes", outcomeColumns, next, func(sink *exportSink, r *outcomeRow) error {
		o, err := forecast.OutcomeFromRow(&r.OutcomeRecord)
		if err != nil {
			return err
		}
		var country *string
		if a2 := codes.Alpha2(optString(r.PCountryISO)); a2 != "" {
			country = &a2
		}
		e := ExportOutcome{ForecastID: o.ForecastID, Status: o.Status, Outcome: o.Outcome, ResolutionDate: o.ResolutionDate,
			ResolutionMethod: o.ResolutionMethod, EvidenceGdeltIDs: o.EvidenceGdeltIDs, Notes: o.Notes,
			Corrections: len(o.History), ForecastCreatedAt: r.PCreatedAt.UTC(), Probability: r.PProbability,
			Category: r.PCategory, CountryISO: country, CameoRootCode: r.PCameoRootCode}
		if req.format == "csv" {
			return sink.row([]string{e.ForecastID, e.Status, fmtFloat(e.Outcome), fmtTime(e.ResolutionDate),
				safeCell(e.ResolutionMethod), strings.Join(e.EvidenceGdeltIDs, " "), safeCell(optString(e.Notes)),
				strconv.Itoa(e.Corrections), fmtTime(e.ForecastCreatedAt), fmtFloat(e.Probability), e.Category,
				optString(e.CountryISO), optString(e.CameoRootCode)}, nil)
		}
		return sink.row(nil, e)
	})
}

// newestOutcome bounds an outcome export to the outcomes recorded when it started.
func (s *Server) newestOutcome(c *gin.Context, req *exportRequest) error {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	var max *int64
	if err := s.DB.WithContext(ctx).Model(&models.OutcomeRecord{}).Select("MAX(id)").Scan(&max).Error; err != nil {
		return err
	}
	if max != nil {
		req.maxID = *max
	}
	return nil
}

// outcomeChunk reads the next chunk of outcomes after id last, recorded before the
// export started.
func (s *Server) outcomeChunk(c *gin.Context, req *exportRequest, last int64) ([]outcomeRow, error) {
	ctx, cancel := s.queryCtx(c)
	defer cancel()
	q := s.DB.WithContext(ctx).Table("outcome_records AS o").
		Joins("JOIN predictions AS p ON p.id = o.prediction_id").
		Select("o.*, p.created_at AS p_created_at, p.probability AS p_probability, p.category AS p_category, "+
			"p.country_iso AS p_country_iso, p.cameo_root_code AS p_cameo_root_code").
		Where("o.id > ? AND o.id <= ?", last, req.maxID)
	q = filterForecasts(q, "p.", req.filter)
	if req.status != "" {
		q = q.Where("o.status = ?", req.status)
	}
	var rows []outcomeRow
	err := q.Order("o.id").Limit(exportChunk).Scan(&rows).Error
	return rows, err
}
