package gdelt

import (
	"context"
	"database/sql"
	"math"
	"strconv"
	"strings"
	"sync/atomic"
	"unicode/utf8"
)

// rowsPerStatement is how many events one INSERT carries. The rows travel as a single
// JSON array parameter expanded by json_each: SQLite parses the statement once per batch
// and binds one value, where per-row statements spend most of their time in the SQL
// parser and in binding 24 parameters each (measured: BenchmarkIngestDay). The driver
// (glebarez/go-sqlite) re-prepares a statement at every Exec and binds parameters in
// quadratic time, so a multi-row VALUES list of 24 parameters a row is far slower
// still (2,500 events/s for 500 rows a statement). The MATERIALIZED CTE renders each
// row's JSON once: without it json_each re-rendered the row for each of the 24 ->>
// extractions (a quarter faster with it).
const rowsPerStatement = 1000

// insertSQL is INSERT OR IGNORE: GLOBALEVENTID is the dedup key, and RowsAffected
// counts the new events.
var insertSQL = func() string {
	sel := make([]string, len(columns))
	for i := range columns {
		sel[i] = "v->>" + strconv.Itoa(i)
	}
	return "WITH r(v) AS MATERIALIZED (SELECT value FROM json_each(?)) INSERT OR IGNORE INTO events (" +
		strings.Join(columns, ", ") + ") SELECT " + strings.Join(sel, ", ") + " FROM r"
}()

// writer inserts events in transactions of txRows rows. SQLite transactions start
// IMMEDIATE (store DSN), so the ingest holds the write lock only while it writes a batch.
type writer struct {
	db      *sql.DB
	txRows  int
	conn    *sql.Conn // one connection for the whole file, with bulk-load settings
	tx      *sql.Tx
	stmt    *sql.Stmt
	buf     []byte // the JSON array of pending rows
	pending int
	inTx    int
	newInTx int
	New     int
	Written int
	// done mirrors Written and New for readers on other goroutines (the heartbeat).
	doneWritten, doneNew atomic.Int64
}

func newWriter(db *sql.DB, txRows int) *writer {
	return &writer{db: db, txRows: txRows, buf: make([]byte, 0, 1<<20)}
}

// add queues one event, writing a statement's worth at a time.
func (w *writer) add(ctx context.Context, e *Event) error {
	if w.pending == 0 {
		w.buf = append(w.buf[:0], '[')
	} else {
		w.buf = append(w.buf, ',')
	}
	w.buf = e.appendJSON(w.buf)
	w.pending++
	if w.pending < rowsPerStatement {
		return nil
	}
	return w.flushPending(ctx)
}

func (w *writer) flushPending(ctx context.Context) error {
	if w.pending == 0 {
		return nil
	}
	if w.conn == nil {
		conn, err := w.db.Conn(ctx)
		if err != nil {
			return err
		}
		w.conn = conn
		// Bulk-load settings on this connection only: a 128 MiB page cache keeps a
		// transaction's dirty index pages in memory instead of spilling them to the WAL
		// mid-transaction, and automatic checkpoints wait until the file is in (one
		// passive checkpoint at the end copies each page once, not once per commit).
		for _, p := range []string{"PRAGMA cache_size = -131072", "PRAGMA wal_autocheckpoint = 0"} {
			if _, err := conn.ExecContext(ctx, p); err != nil {
				return err
			}
		}
	}
	if w.tx == nil {
		tx, err := w.conn.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		w.tx = tx
		if w.stmt, err = tx.PrepareContext(ctx, insertSQL); err != nil {
			return err
		}
	}
	w.buf = append(w.buf, ']')
	res, err := w.stmt.ExecContext(ctx, string(w.buf))
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	w.New += int(n)
	w.newInTx += int(n)
	w.Written += w.pending
	w.inTx += w.pending
	w.pending = 0
	if w.inTx >= w.txRows {
		return w.commit()
	}
	return nil
}

// flush writes what is queued and commits.
func (w *writer) flush(ctx context.Context) error {
	if err := w.flushPending(ctx); err != nil {
		return err
	}
	err := w.commit()
	w.release()
	return err
}

// release checkpoints the WAL the file wrote, restores the connection's settings and
// returns it to the pool.
func (w *writer) release() {
	if w.conn == nil {
		return
	}
	ctx := context.Background()
	_, _ = w.conn.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)")
	_, _ = w.conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 1000")
	_, _ = w.conn.ExecContext(ctx, "PRAGMA cache_size = -2000")
	_ = w.conn.Close()
	w.conn = nil
}

func (w *writer) commit() error {
	if w.tx == nil {
		return nil
	}
	w.stmt.Close()
	err := w.tx.Commit()
	w.tx, w.stmt, w.inTx, w.newInTx = nil, nil, 0, 0
	if err == nil {
		w.doneWritten.Store(int64(w.Written))
		w.doneNew.Store(int64(w.New))
	}
	return err
}

func (w *writer) queued() int { return w.pending }

// counts are the events of committed transactions; safe from any goroutine.
func (w *writer) counts() (written, new int) {
	return int(w.doneWritten.Load()), int(w.doneNew.Load())
}

// abort rolls back the open transaction: the events of that batch are not counted as
// written, and a re-run ingests them (dedup keeps earlier batches single).
func (w *writer) abort() {
	w.pending = 0
	if w.tx != nil {
		w.stmt.Close()
		_ = w.tx.Rollback()
		w.Written -= w.inTx
		w.New -= w.newInTx
		w.tx, w.stmt, w.inTx, w.newInTx = nil, nil, 0, 0
	}
	w.release()
}

// appendJSON appends the event as a JSON array in columns order.
func (e *Event) appendJSON(b []byte) []byte {
	b = append(b, '[')
	b = strconv.AppendInt(b, e.GlobalEventID, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.SQLDate), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, e.DateAdded, 10)
	for _, s := range [...]string{e.Actor1Code, e.Actor1Name, e.Actor1CountryCode, e.Actor2Code, e.Actor2Name,
		e.Actor2CountryCode, e.EventCode, e.EventBaseCode, e.EventRootCode} {
		b = appendJSONString(append(b, ','), s)
	}
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(e.QuadClass), 10)
	b = appendJSONFloat(append(b, ','), &e.Goldstein)
	for _, n := range [...]int{e.NumMentions, e.NumSources, e.NumArticles} {
		b = strconv.AppendInt(append(b, ','), int64(n), 10)
	}
	b = appendJSONFloat(append(b, ','), &e.AvgTone)
	for _, s := range [...]string{e.ActionGeoFullName, e.ActionGeoCountryFIPS, e.ActionGeoCountryISO} {
		b = appendJSONString(append(b, ','), s)
	}
	b = appendJSONFloat(append(b, ','), e.ActionGeoLat)
	b = appendJSONFloat(append(b, ','), e.ActionGeoLong)
	b = appendJSONString(append(b, ','), e.SourceURL)
	return append(b, ']')
}

// appendJSONFloat writes a finite number, or null for nil, NaN and infinities (which
// JSON cannot carry).
func appendJSONFloat(b []byte, f *float64) []byte {
	if f == nil || math.IsNaN(*f) || math.IsInf(*f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, *f, 'g', -1, 64)
}

// appendJSONString writes s as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c < utf8.RuneSelf {
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\t':
				b = append(b, '\\', 't')
			case '\r':
				b = append(b, '\\', 'r')
			default:
				b = append(b, `\u00`...)
				b = append(b, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&0xf])
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, "\ufffd"...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
