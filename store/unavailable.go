package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	sqlite "github.com/glebarez/go-sqlite"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLite primary result codes (the low byte of an extended code) that mean "another
// connection holds the lock": the write did not happen and may be retried.
const (
	sqliteBusy   = 5 // SQLITE_BUSY: the file is locked by another connection
	sqliteLocked = 6 // SQLITE_LOCKED: a table is locked within this connection's shared cache
)

// IsUnavailable reports whether err means that a database could not do the work right
// now, for a reason outside the request and outside geopol's code: the server is down,
// restarting, refusing or out of connections, the connection broke mid-query, a
// connection could not be had from the pool in time, the work took too long, or
// another writer holds the SQLite lock. Such a request was not done (or, for a write
// cut before its acknowledgement, may have been done: retry it with the same
// Idempotency-Key) and may succeed when retried in a few seconds. Everything else a
// database answers, including SQL it rejects, is a fault of the caller or of geopol.
//
// It is the one classification of database failures: the API answers 503 with
// Retry-After for these errors and 500 only for the rest.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	// Any failure to establish a connection, whatever the server said (too many
	// connections, starting up, shutting down, unknown database): no query ran.
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) {
		return true
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pgUnavailable(pg.Code)
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		switch lite.Code() & 0xff {
		case sqliteBusy, sqliteLocked:
			return true
		}
		return false
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		// The request's bound on its database work (DB_QUERY_TIMEOUT) expired: the query
		// was slow or the pool had no free connection in time.
		return true
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		pgconn.SafeToRetry(err):
		// The pool's connection was already broken, or the driver never sent the query.
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		// The server closed the connection mid-conversation.
		return true
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNABORTED),
		errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ETIMEDOUT), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH):
		return true
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}

// pgUnavailable reports whether a PostgreSQL SQLSTATE means the server could not do the
// work now, rather than that the statement is wrong.
func pgUnavailable(code string) bool {
	if len(code) != 5 {
		return false
	}
	switch code[:2] {
	case "08", // connection exception
		"53", // insufficient resources: 53300 too many connections, 53100 disk full, ...
		"57": // operator intervention: 57P01 admin shutdown, 57P02 crash shutdown,
		// 57P03 cannot connect now, 57014 statement timeout or cancel
		return true
	}
	switch code {
	case "40001", // serialization failure: retrying the transaction succeeds
		"40P01", // deadlock detected: one side was rolled back; retrying succeeds
		"55P03", // lock not available (lock_timeout)
		"25006": // read-only transaction: a standby during a failover
		return true
	}
	return false
}
