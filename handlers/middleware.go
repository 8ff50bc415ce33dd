package handlers

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"

	"geopol/logging"
	"geopol/validate"
)

// RequestIDHeader carries the request id in both directions.
const RequestIDHeader = "X-Request-ID"

// requestIDKey is RequestIDHeader as net/http keys it ("X-Request-Id").
var requestIDKey = http.CanonicalHeaderKey(RequestIDHeader)

// validRequestID bounds what a client may pass as its own request id, so ids are safe
// to echo and to write into logs.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// Request ids this process makes: a random prefix drawn once, then a counter, as 24 hex
// digits. They only need to be unique (they correlate logs), not unguessable, and this
// costs no system call per request.
var (
	requestIDPrefix = func() uint64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		return binary.BigEndian.Uint64(b[:])
	}()
	requestIDCounter atomic.Uint64
)

func newRequestID() string {
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], requestIDPrefix)
	// The counter fills the last six bytes (2^48 requests before it wraps); the prefix
	// keeps the first six of its random bytes.
	n := requestIDCounter.Add(1)
	binary.BigEndian.PutUint32(b[6:10], uint32(n>>16))
	binary.BigEndian.PutUint16(b[10:], uint16(n))
	var h [24]byte
	hex.Encode(h[:], b[:])
	return string(h[:])
}

// reqInfo is what the middleware learns of a request, in one value in its context: its
// id (which every log line below reads, database queries included), the server's logger,
// the client address and, once authenticated, the API client's name and key hash. One
// allocation, where gin's Keys map would cost a table per request and a hash per key.
type reqInfo struct {
	id       string
	log      *slog.Logger
	clientIP string // "" until asked for (clientIP)
	client   string // the API client's name, "" before authentication
	keyHash  string // the authenticated key's SHA-256, which names its rate budget
}

// RequestID names the request in log lines (logging.Identified).
func (r *reqInfo) RequestID() string { return r.id }

// info returns the request's reqInfo; a context made without requestID (a handler
// called on its own in a test) gets an empty one.
func info(c *gin.Context) *reqInfo {
	if r, ok := logging.RequestValue(c.Request.Context()).(*reqInfo); ok {
		return r
	}
	r := &reqInfo{}
	c.Request = c.Request.WithContext(logging.WithRequest(c.Request.Context(), r))
	return r
}

// clientIP is c.ClientIP(), worked out once per request.
func clientIP(c *gin.Context) string {
	r := info(c)
	if r.clientIP == "" {
		r.clientIP = c.ClientIP()
	}
	return r.clientIP
}

// requestID accepts a well-formed X-Request-ID or makes one, and echoes it.
func requestID(c *gin.Context) {
	id := c.GetHeader(RequestIDHeader)
	if id == "" || !validRequestID.MatchString(id) {
		id = newRequestID()
	}
	c.Writer.Header()[requestIDKey] = []string{id}
	c.Request = c.Request.WithContext(logging.WithRequest(c.Request.Context(), &reqInfo{id: id}))
	c.Next()
}

// accessLog writes one structured line per request and puts the server's logger on the
// context (logger adds the request id when a handler logs). Query strings are left out:
// they may carry filters but never need to be in logs, and keys must never be.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	r := info(c)
	r.log = s.Log
	c.Next()
	logging.LogRequest(c.Request.Context(), s.Log, logging.Request{
		ID:       r.id,
		Method:   c.Request.Method,
		Path:     c.Request.URL.Path,
		Status:   c.Writer.Status(),
		Bytes:    c.Writer.Size(),
		Duration: time.Since(start),
		ClientIP: clientIP(c),
		Client:   r.client,
	})
}

// logger returns the request-scoped logger: the server's, with the request id.
func logger(c *gin.Context) *slog.Logger {
	r := info(c)
	base := r.log
	if base == nil {
		base = slog.Default()
	}
	if r.id != "" {
		return base.With("request_id", r.id)
	}
	return base
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
	if c.Request.URL.RawQuery == "" {
		c.Next()
		return
	}
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
	// Canonical keys and shared one-element values (len == cap, so an Add elsewhere
	// copies rather than writes into them): no allocation per request.
	h["X-Content-Type-Options"] = nosniff
	h["Referrer-Policy"] = noReferrer
	h["X-Frame-Options"] = frameDeny
	c.Next()
}

var (
	nosniff    = []string{"nosniff"}
	noReferrer = []string{"no-referrer"}
	frameDeny  = []string{"DENY"}
)
