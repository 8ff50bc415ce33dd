package handlers

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/calibration"
	"geopol/forecast"
	"geopol/models"
	"geopol/stream"
)

// LastEventIDHeader is the header EventSource sends when it reconnects.
const LastEventIDHeader = "Last-Event-ID"

// streamWriteWait bounds each write to a stream client: one that does not read for this
// long is disconnected (the hub has already dropped it if events piled up).
const streamWriteWait = 10 * time.Second

// streamRetryMillis is the reconnection delay the stream asks EventSource to use.
const streamRetryMillis = 2000

// streamEvents answers GET /stream: Server-Sent Events of forecast.created,
// outcome.recorded, calibration.updated and ingest.completed (?types= narrows them),
// resuming after Last-Event-ID (header, or ?last_event_id= for a first connection)
// from the hub's buffer, with a comment line as heartbeat.
func (s *Server) streamEvents(c *gin.Context) {
	if s.Stream == nil {
		fail(c, ErrUnavailable("The live stream is not enabled on this server.", nil))
		return
	}
	types, lastID, err := parseStreamQuery(c)
	if err != nil {
		fail(c, err)
		return
	}
	h := c.Writer.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no") // proxies such as nginx must not buffer the stream
	if c.Request.Method == http.MethodHead {
		c.Status(http.StatusOK)
		return
	}
	sub, err := s.Stream.Subscribe(lastID, types)
	switch {
	case errors.Is(err, stream.ErrTooManyClients):
		h.Del("Content-Type")
		c.Header("Retry-After", "5")
		fail(c, ErrUnavailable("This server has as many stream clients as it takes; retry shortly (or on another replica).", err))
		return
	case err != nil:
		h.Del("Content-Type")
		c.Header("Retry-After", "1")
		fail(c, ErrUnavailable("The live stream is shutting down on this server; reconnect.", err))
		return
	}
	defer s.Stream.Unsubscribe(sub)

	// The server's read and write timeouts bound ordinary requests; a stream lives on,
	// with each write bounded instead. Clearing the read deadline matters: when it
	// passes, net/http cancels the request.
	rc := http.NewResponseController(c.Writer)
	_ = rc.SetReadDeadline(time.Time{})
	w := &sseWriter{c: c, rc: rc}
	c.Status(http.StatusOK)
	w.write("retry: " + strconv.Itoa(streamRetryMillis) + "\n\n")
	if sub.Reset {
		reset := stream.Event{ID: sub.NewestID, Type: stream.Reset, Time: s.now(),
			Data: []byte(`{"reason":"events after your Last-Event-ID are no longer buffered here; reload from the REST API"}`)}
		w.event(reset)
	}
	for _, ev := range sub.Replay {
		w.event(ev)
	}
	if !w.flush() {
		return
	}
	beat := time.NewTicker(s.Stream.Heartbeat())
	defer beat.Stop()
	ctx := c.Request.Context()
	for {
		select {
		case <-ctx.Done():
			return
		case ev, ok := <-sub.C:
			if !ok {
				return // dropped (too slow) or shutting down: the client reconnects and resumes
			}
			w.event(ev)
			// Send what else is already queued in the same write.
			for more := true; more; {
				select {
				case ev, ok := <-sub.C:
					if !ok {
						w.flush()
						return
					}
					w.event(ev)
				default:
					more = false
				}
			}
		case <-beat.C:
			w.write(": heartbeat\n\n")
		}
		if !w.flush() {
			return
		}
	}
}

// sseWriter buffers one batch of SSE lines and sends it with a bounded write.
type sseWriter struct {
	c   *gin.Context
	rc  *http.ResponseController
	buf strings.Builder
}

func (w *sseWriter) write(s string) { w.buf.WriteString(s) }

func (w *sseWriter) event(ev stream.Event) {
	fmt.Fprintf(&w.buf, "id: %d\nevent: %s\ndata: %s\n\n", ev.ID, ev.Type, ev.JSON())
}

func (w *sseWriter) flush() bool {
	_ = w.rc.SetWriteDeadline(time.Now().Add(streamWriteWait))
	_, err := w.c.Writer.WriteString(w.buf.String())
	w.buf.Reset()
	if err != nil {
		return false
	}
	return w.rc.Flush() == nil
}

// parseStreamQuery reads ?types= (comma-separated event types) and the resume point:
// the Last-Event-ID header, or ?last_event_id=.
func parseStreamQuery(c *gin.Context) ([]string, *uint64, error) {
	var errs []FieldError
	var types []string
	if raw := c.Query("types"); raw != "" {
		for _, t := range strings.Split(raw, ",") {
			t = strings.TrimSpace(t)
			if !slices.Contains(stream.Types, t) {
				errs = append(errs, FieldError{Field: "types", Message: "must list event types among " + strings.Join(stream.Types, ", ")})
				break
			}
			types = append(types, t)
		}
	}
	var lastID *uint64
	field, raw := LastEventIDHeader, c.GetHeader(LastEventIDHeader)
	if raw == "" {
		field, raw = "last_event_id", c.Query("last_event_id")
	}
	if raw != "" {
		id, err := strconv.ParseUint(strings.TrimSpace(raw), 10, 64)
		if err != nil {
			errs = append(errs, FieldError{Field: field, Message: "must be an event id this stream sent (a whole number)"})
		} else {
			lastID = &id
		}
	}
	if len(errs) > 0 {
		return nil, nil, ErrValidation("A stream parameter is invalid.", errs...)
	}
	return types, lastID, nil
}

// publish announces an event on the live stream, when the server has one. It never
// blocks the request: the hub drops slow clients and queues Redis publishes.
func (s *Server) publish(typ string, data any) {
	if s.Stream != nil {
		s.Stream.Publish(typ, data)
	}
}

// announceForecast publishes forecast.created for a stored forecast.
func (s *Server) announceForecast(f *forecast.ForecastResponse) {
	s.publish(stream.ForecastCreated, stream.ForecastCreatedData{
		ForecastID: f.ForecastID, Question: f.Question, Probability: f.Probability, Confidence: f.Confidence,
		Category: f.Category, CountryISO: f.CountryISO, CameoRootCode: f.CameoRootCode,
		CreatedAt: f.CreatedAt, ExpiresAt: f.ExpiresAt, URL: "/api/v1/forecasts/" + f.ForecastID,
	})
}

// announceOutcome publishes outcome.recorded for a stored (or corrected) outcome.
func (s *Server) announceOutcome(row *models.OutcomeRecord, corrected bool) {
	d := stream.OutcomeRecordedData{ForecastID: row.PredictionID, Status: row.Status,
		ResolutionDate: row.ResolutionDate.UTC(), ResolutionMethod: row.ResolutionMethod, Corrected: corrected,
		URL: "/api/v1/forecasts/" + row.PredictionID + "/outcome"}
	d.Outcome = row.Outcome
	s.publish(stream.OutcomeRecorded, d)
}

// announceCalibration publishes calibration.updated after a calibration run.
func (s *Server) announceCalibration(rep *calibration.CalibrateReport) {
	s.publish(stream.CalibrationUpdated, stream.CalibrationUpdatedData{Trigger: "api", Samples: rep.Samples,
		Applied: rep.Applied, Refused: rep.Refused, URL: "/api/v1/calibration/weights"})
}
