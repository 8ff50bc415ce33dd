package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// readyTimeout bounds the database ping of /readyz: a load balancer polls it every few
// seconds and must get an answer well within its own timeout.
const readyTimeout = time.Second

// ProbeResponse is the body of GET /api/v1/livez and of a ready /api/v1/readyz.
type ProbeResponse struct {
	Status string `json:"status"`
}

// Drain marks the server as shutting down: from now on /api/v1/readyz answers 503 and
// every response asks its client to close the connection, so that load balancers and
// keep-alive clients move to another instance while this one still serves them.
func (s *Server) Drain() { s.draining.Store(true) }

// Draining reports whether Drain was called.
func (s *Server) Draining() bool { return s.draining.Load() }

// closeWhenDraining sends Connection: close on every response once the server drains,
// so that no client keeps an idle connection for the listener's close to cut.
func (s *Server) closeWhenDraining(c *gin.Context) {
	if s.Draining() {
		c.Header("Connection", "close")
	}
	c.Next()
}

// livez answers 200 while the process serves HTTP at all: a liveness probe that fails
// means the process should be restarted, which a database outage never warrants.
func (s *Server) livez(c *gin.Context) {
	writeJSON(c, http.StatusOK, ProbeResponse{Status: "alive"}, "no-store")
}

// readyz answers 200 when this instance should get traffic: it is not shutting down
// and the forecast database answers a ping within readyTimeout. Otherwise it answers
// a 503 problem, at once while draining.
func (s *Server) readyz(c *gin.Context) {
	if s.Draining() {
		fail(c, ErrUnavailable("This instance is shutting down; send requests to another one.", nil))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), readyTimeout)
	defer cancel()
	sqlDB, err := s.DB.DB()
	if err == nil {
		err = sqlDB.PingContext(ctx)
	}
	if err != nil {
		fail(c, ErrUnavailable("The forecast database does not answer.", err))
		return
	}
	writeJSON(c, http.StatusOK, ProbeResponse{Status: "ready"}, "no-store")
}
