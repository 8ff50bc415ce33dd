package store_test

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/glebarez/sqlite"
	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"geopol/store"
	"geopol/store/storetest"
)

// classify fails the test unless store.IsUnavailable says want for err, which must be
// an error (a case that produced none tests nothing).
func classify(t *testing.T, what string, err error, want bool) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: no error to classify", what)
		return
	}
	if got := store.IsUnavailable(err); got != want {
		t.Errorf("%s: IsUnavailable(%T %q) = %v, want %v", what, err, err, got, want)
	}
}

// sqlState returns the SQLSTATE of a PostgreSQL error, or "" for another error.
func sqlState(err error) string {
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		return pg.Code
	}
	return ""
}

// quietGORM is GORM as the store configures it (driver errors translated), without
// logging the errors these tests cause on purpose.
func quietGORM() *gorm.Config {
	return &gorm.Config{TranslateError: true, Logger: logger.Default.LogMode(logger.Silent)}
}

// vRow is a row of the table v the GORM case creates.
type vRow struct{ ID int }

func (vRow) TableName() string { return "v" }

// Errors the PostgreSQL driver really returns when the server cannot serve: each must be
// classified as unavailable (503), and errors of the statement itself must not be (500).
func TestIsUnavailablePostgres(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	ctx := context.Background()
	open := func(t *testing.T, dsn string) *sql.DB {
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db := open(t, dbURL)

	t.Run("refused", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close() // nothing listens there now
		err = open(t, "postgres://postgres@"+addr+"/none?sslmode=disable&connect_timeout=2").PingContext(ctx)
		classify(t, "connection refused", err, true)
		if !strings.Contains(err.Error(), "refused") {
			t.Errorf("expected a refused connection, got %v", err)
		}
	})

	t.Run("cut mid-query", func(t *testing.T) {
		u, proxy := storetest.ProxiedPostgresURL(t)
		pdb := open(t, u)
		errc := make(chan error, 1)
		go func() { _, err := pdb.ExecContext(ctx, "SELECT pg_sleep(10)"); errc <- err }()
		time.Sleep(300 * time.Millisecond) // the query is running on the server
		proxy.Cut()
		select {
		case err := <-errc:
			classify(t, "connection reset mid-query", err, true)
		case <-time.After(10 * time.Second):
			t.Fatal("the query outlived the cut connection")
		}
		// While cut, a new connection is reset during its start-up.
		classify(t, "connection reset at connect", pdb.PingContext(ctx), true)
		proxy.Restore()
		if err := pdb.PingContext(ctx); err != nil {
			t.Fatalf("after Restore: %v", err)
		}
	})

	t.Run("admin shutdown 57P01", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var pid int
		if err := conn.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		// What a server restart does to every session: terminate this one backend.
		if _, err := open(t, dbURL).ExecContext(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond) // the FATAL message reaches the client socket
		_, err = conn.ExecContext(ctx, "SELECT 1")
		classify(t, "terminated session", err, true)
		t.Logf("terminated session: %T %v (SQLSTATE %q)", err, err, sqlState(err))
	})

	t.Run("too many connections 53300", func(t *testing.T) {
		role := storetest.Name("geopol_test_role_")
		if _, err := db.ExecContext(ctx, "CREATE ROLE "+role+" LOGIN CONNECTION LIMIT 0"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _, _ = open(t, dbURL).Exec("DROP ROLE IF EXISTS " + role) })
		u, _ := url.Parse(dbURL)
		u.User = url.User(role)
		err := open(t, u.String()).PingContext(ctx)
		classify(t, "connection limit", err, true)
		if sqlState(err) != "53300" {
			t.Errorf("expected SQLSTATE 53300, got %v", err)
		}
	})

	t.Run("pool wait timeout", func(t *testing.T) {
		small := open(t, dbURL)
		small.SetMaxOpenConns(1)
		held, err := small.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer held.Close()
		wait, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		_, err = small.ExecContext(wait, "SELECT 1")
		classify(t, "no free connection in time", err, true)
	})

	t.Run("statement timeout 57014", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// The connection goes back to the pool: leave no timeout on it for later statements.
		defer func() {
			_, _ = conn.ExecContext(context.Background(), "RESET statement_timeout")
			conn.Close()
		}()
		if _, err := conn.ExecContext(ctx, "SET statement_timeout = 50"); err != nil {
			t.Fatal(err)
		}
		_, err = conn.ExecContext(ctx, "SELECT pg_sleep(1)")
		classify(t, "statement timeout", err, true)
		if sqlState(err) != "57014" {
			t.Errorf("expected SQLSTATE 57014, got %v", err)
		}
	})

	t.Run("connection done", func(t *testing.T) {
		conn, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		_, err = conn.ExecContext(ctx, "SELECT 1")
		classify(t, "closed connection", err, true)
	})

	t.Run("statement faults are not", func(t *testing.T) {
		_, err := db.ExecContext(ctx, "SELEC 1")
		classify(t, "syntax error", err, false)
		_, err = db.ExecContext(ctx, "SELECT * FROM no_such_table")
		classify(t, "undefined table", err, false)
		_, err = db.ExecContext(ctx, "SELECT 1/0")
		classify(t, "division by zero", err, false)
		if _, err := db.ExecContext(ctx, "CREATE TABLE u (id int PRIMARY KEY)"); err != nil {
			t.Fatal(err)
		}
		_, err = db.ExecContext(ctx, "INSERT INTO u VALUES (1), (1)")
		classify(t, "duplicate key", err, false)
	})

	t.Run("through GORM", func(t *testing.T) {
		// The handlers see errors after GORM (TranslateError on): the classification
		// must survive it, and the translated ones stay what they were.
		u, proxy := storetest.ProxiedPostgresURL(t)
		gdb, err := gorm.Open(postgres.Open(u), quietGORM())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close(gdb) })
		if err := gdb.Exec("CREATE TABLE v (id int PRIMARY KEY)").Error; err != nil {
			t.Fatal(err)
		}
		dup := gdb.Exec("INSERT INTO v VALUES (1), (1)").Error
		if !errors.Is(dup, gorm.ErrDuplicatedKey) {
			t.Fatalf("duplicate: %v", dup)
		}
		classify(t, "gorm duplicate key", dup, false)
		classify(t, "gorm record not found", gdb.Take(&vRow{}, "id = 42").Error, false)
		proxy.Cut()
		defer proxy.Restore()
		classify(t, "gorm insert while cut", gdb.Exec("INSERT INTO v VALUES (2)").Error, true)
		classify(t, "gorm transaction while cut", gdb.Transaction(func(tx *gorm.DB) error {
			return tx.Exec("INSERT INTO v VALUES (3)").Error
		}), true)
	})
}

// Errors no real server is easily made to return: the SQLSTATEs of a crash, of a server
// that is starting or shutting down and of a broken connection, and the errors of
// database/sql and pgconn for a connection that is gone.
func TestIsUnavailableDriverErrors(t *testing.T) {
	for _, code := range []string{"57P01", "57P02", "57P03", "53300", "08006", "08001", "08003", "40001", "40P01"} {
		err := fmt.Errorf("create forecast: %w", &pgconn.PgError{Severity: "FATAL", Code: code})
		classify(t, "SQLSTATE "+code, err, true)
	}
	for _, code := range []string{"23505", "23503", "23514", "42601", "42P01", "22P02", "XX000"} {
		classify(t, "SQLSTATE "+code, &pgconn.PgError{Severity: "ERROR", Code: code}, false)
	}
	classify(t, "driver.ErrBadConn", fmt.Errorf("query: %w", driver.ErrBadConn), true)
	classify(t, "sql.ErrConnDone", sql.ErrConnDone, true)
	classify(t, "pgconn.ErrConnClosed", pgconn.ErrConnClosed, true)
	classify(t, "deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), true)
	classify(t, "a bug", errors.New("unexpected nil scenario tree"), false)
	classify(t, "not found", gorm.ErrRecordNotFound, false)
	classify(t, "canceled by the client", context.Canceled, false)
	if store.IsUnavailable(nil) {
		t.Error("IsUnavailable(nil) = true")
	}
}

// SQLite's lock errors, really returned by the driver: SQLITE_BUSY when another
// connection holds the write lock past busy_timeout, SQLITE_LOCKED when a table is in
// use by the same connection. Other SQLite errors are not unavailability.
func TestIsUnavailableSQLite(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "busy.db")
	// No busy_timeout: a writer that finds the lock taken fails at once.
	dsn := path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(0)&_txlock=immediate"
	open := func() *gorm.DB {
		db, err := gorm.Open(sqlite.Open(dsn), quietGORM())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close(db) })
		return db
	}
	a, b := open(), open()
	if err := a.Exec("CREATE TABLE t (id INTEGER PRIMARY KEY)").Error; err != nil {
		t.Fatal(err)
	}
	if err := a.Exec("INSERT INTO t VALUES (1), (2)").Error; err != nil {
		t.Fatal(err)
	}

	// BUSY: a holds the write lock; b writes.
	tx := a.Begin()
	if err := tx.Exec("INSERT INTO t VALUES (3)").Error; err != nil {
		t.Fatal(err)
	}
	busy := b.Exec("INSERT INTO t VALUES (4)").Error
	tx.Rollback()
	classify(t, "SQLITE_BUSY", busy, true)
	if busy == nil || !strings.Contains(busy.Error(), "SQLITE_BUSY") {
		t.Errorf("expected SQLITE_BUSY, got %v", busy)
	}

	// LOCKED: one connection drops a table its own open statement still reads.
	sqlDB, err := a.DB()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT id FROM t")
	if err != nil {
		t.Fatal(err)
	}
	rows.Next()
	_, locked := conn.ExecContext(ctx, "DROP TABLE t")
	rows.Close()
	classify(t, "SQLITE_LOCKED", locked, true)
	if locked == nil || !strings.Contains(locked.Error(), "locked") {
		t.Errorf("expected SQLITE_LOCKED, got %v", locked)
	}

	classify(t, "SQLite syntax error", b.Exec("SELEC 1").Error, false)
	classify(t, "SQLite no such table", b.Exec("SELECT * FROM none").Error, false)
	classify(t, "SQLite constraint", b.Exec("INSERT INTO t VALUES (1)").Error, false)
}
