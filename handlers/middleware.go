package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/logging"
	"geopol/validate"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-ID"

const ctxLogger = "geopol.logger"

// validRequestID bounds what a client may pass as its own request id, so ids are safe
// to echo and to write into logs.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// requestID accepts a well-formed X-Request-ID or makes one, and echoes it.
func requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if !validRequestID.MatchString(id) {
		var b [12]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(RequestIDHeader, id)
	c.Header(RequestIDHeader, id)
	// In the request's context too, so every line written under it (database queries
	// included) names the request.
	c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
	c.Next()
}

// accessLog writes one structured line per request and puts a request-scoped logger on
// the context. Query strings are left out: they may carry filters but never need to be
// in logs, and keys must never be.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	log := s.Log.With("request_id", c.GetString(RequestIDHeader))
	c.Set(ctxLogger, log)
	c.Next()
	attrs := []any{
		"method", c.Request.Method,
		"path", c.Request.URL.Path,
		"status", c.Writer.Status(),
		"bytes", c.Writer.Size(),
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000,
		"client_ip", c.ClientIP(),
	}
	if client := c.GetString(ctxClient); client != "" {
		attrs = append(attrs, "client", client)
	}
	log.Info("request", attrs...)
}

// ctxClient is where authentication puts the API client's name.
const ctxClient = "geopol.client"

// logger returns the request-scoped logger.
func logger(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

// recoverPanic turns a panic into a logged 500 problem, without internals in the body.
func (s *Server) recoverPanic(c *gin.Context) {
	defer func() {
		if rec := recover(); rec != nil {
			if rec == http.ErrAbortHandler {
				panic(rec) // the client went away; let net/http handle it
			}
			writeProblem(c, fmt.Errorf("panic: %v", rec))
		}
	}()
	c.Next()
}

// strictQuery refuses a query string that does not parse: Go would silently drop the
// malformed pairs, and a mangled cursor or limit must be an error, never page one. Every
// parameter name and value but the cursor's must then follow the text rules (valid UTF-8,
// no control characters but tab, LF and CR): 422 naming the parameter, whichever route
// reads it.
func strictQuery(c *gin.Context) {
	params, err := url.ParseQuery(c.Request.URL.RawQuery)
	if err != nil {
		fail(c, ErrBadRequest("The query string is malformed: "+err.Error()+"."))
		return
	}
	// A cursor is opaque and authenticated: whatever it holds, one the server did not make
	// is the cursor's 400 (decodeCursor), not a text error.
	delete(params, "cursor")
	v := &validate.Collector{}
	v.Query(params)
	if err := v.Err("A query parameter is invalid."); err != nil {
		fail(c, err)
		return
	}
	c.Next()
}

// securityHeaders sets headers that cost nothing and close common browser attacks.
func securityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	c.Next()
}
