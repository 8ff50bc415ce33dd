package gdelt

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pgBatchRows is how many events one PostgreSQL batch transaction carries.
const pgBatchRows = 25_000

// pgWriters is how many connections write batches at once: while one waits for the
// server (key insert, COPY), the other sends, and the parser fills the next batch.
const pgWriters = 2

// partitionLock keys the advisory lock that serialises partition creation.
const partitionLock = "gdelt_events_partitions"

// pgWriter stores events on PostgreSQL. Each batch is one transaction with
// synchronous_commit off: its ids go into event_keys (ON CONFLICT DO NOTHING RETURNING
// tells which are new: exact dedup across partitions and across concurrent ingests),
// then only the new rows are copied into events in the binary COPY format. flush ends the
// file with one synchronous commit, which waits for the WAL of every batch before it.
type pgWriter struct {
	s       *Store
	batch   []Event
	queue   chan []Event
	wg      sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelCauseFunc
	errOnce sync.Once
	err     error
	written atomic.Int64
	new     atomic.Int64
	started bool
	closed  bool
}

func newPGWriter(s *Store) *pgWriter {
	return &pgWriter{s: s, batch: make([]Event, 0, pgBatchRows)}
}

func (w *pgWriter) start(ctx context.Context) {
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	w.queue = make(chan []Event, 1)
	for range pgWriters {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for b := range w.queue {
				if w.ctx.Err() != nil {
					continue // drain after a failure
				}
				if err := w.writeBatch(w.ctx, b); err != nil {
					w.fail(err)
				}
			}
		}()
	}
	w.started = true
}

func (w *pgWriter) fail(err error) {
	w.errOnce.Do(func() { w.err = err; w.cancel(err) })
}

func (w *pgWriter) add(ctx context.Context, e *Event) error {
	if !w.started {
		w.start(ctx)
	}
	w.batch = append(w.batch, *e)
	if len(w.batch) < pgBatchRows {
		return nil
	}
	return w.send()
}

func (w *pgWriter) send() error {
	if len(w.batch) == 0 {
		return w.err
	}
	select {
	case w.queue <- w.batch:
	case <-w.ctx.Done():
		return w.firstErr()
	}
	w.batch = make([]Event, 0, pgBatchRows)
	return nil
}

func (w *pgWriter) firstErr() error {
	if w.err != nil {
		return w.err
	}
	return context.Cause(w.ctx)
}

func (w *pgWriter) pending() int { return len(w.batch) }

func (w *pgWriter) counts() (written, new int) { return int(w.written.Load()), int(w.new.Load()) }

// flush writes what is queued, waits for the writers and makes the batches durable.
func (w *pgWriter) flush(ctx context.Context) error {
	if !w.started {
		return nil
	}
	err := w.send()
	w.closed = true
	close(w.queue)
	w.wg.Wait()
	w.cancel(nil)
	if err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	// One synchronous commit: it assigns a transaction id, so its commit record is
	// flushed, and with it the WAL of every asynchronous commit before it.
	_, err = w.s.pool.Exec(ctx, "SELECT txid_current()")
	return err
}

// abort stops the writers; batches already committed stay (and are counted), the
// others are rolled back, so a re-run stores them (dedup keeps the rest single).
func (w *pgWriter) abort() {
	if !w.started || w.closed {
		return
	}
	w.fail(errors.New("ingest aborted"))
	w.batch = nil
	w.closed = true
	close(w.queue)
	w.wg.Wait()
}

func (w *pgWriter) writeBatch(ctx context.Context, b []Event) error {
	err := w.tryBatch(ctx, b)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.Contains(pgErr.Message, "no partition") {
		// Another process dropped a partition this one still believed in (retention):
		// forget them all and try once more.
		w.s.months.Clear()
		err = w.tryBatch(ctx, b)
	}
	return err
}

func (w *pgWriter) tryBatch(ctx context.Context, b []Event) error {
	if err := w.s.ensurePartitions(ctx, b); err != nil {
		return err
	}
	ids := make([]int64, len(b))
	for i := range b {
		ids[i] = b[i].GlobalEventID
	}
	conn, err := w.s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, "INSERT INTO event_keys (global_event_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING RETURNING global_event_id", ids)
	if err != nil {
		return err
	}
	fresh := make(map[int64]bool, len(b))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return err
		}
		fresh[id] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	newRows := len(fresh)
	if newRows > 0 {
		src := &eventSource{events: b, fresh: fresh}
		n, err := tx.CopyFrom(ctx, pgx.Identifier{"events"}, columns, src)
		if err != nil {
			return fmt.Errorf("copy events: %w", err)
		}
		if int(n) != newRows {
			return fmt.Errorf("copy events: wrote %d rows, want %d", n, newRows)
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	w.written.Add(int64(len(b)))
	w.new.Add(int64(newRows))
	return nil
}

// eventSource feeds COPY the events whose id is fresh, each id once (a file that repeats
// an id stores its first row, as SQLite's INSERT OR IGNORE does).
type eventSource struct {
	events []Event
	fresh  map[int64]bool
	i      int
	cur    *Event
	vals   [24]any
}

func (src *eventSource) Next() bool {
	for src.i < len(src.events) {
		e := &src.events[src.i]
		src.i++
		if src.fresh[e.GlobalEventID] {
			delete(src.fresh, e.GlobalEventID)
			src.cur = e
			return true
		}
	}
	return false
}

func (src *eventSource) Values() ([]any, error) {
	e := src.cur
	v := &src.vals
	v[0], v[1], v[2] = e.GlobalEventID, int32(e.SQLDate), e.DateAdded
	v[3], v[4], v[5], v[6], v[7], v[8] = e.Actor1Code, e.Actor1Name, e.Actor1CountryCode, e.Actor2Code, e.Actor2Name, e.Actor2CountryCode
	v[9], v[10], v[11] = e.EventCode, e.EventBaseCode, e.EventRootCode
	v[12], v[13], v[14], v[15], v[16], v[17] = int32(e.QuadClass), e.Goldstein, int32(e.NumMentions), int32(e.NumSources), int32(e.NumArticles), e.AvgTone
	v[18], v[19], v[20] = validText(e.ActionGeoFullName), e.ActionGeoCountryFIPS, e.ActionGeoCountryISO
	v[21], v[22], v[23] = e.ActionGeoLat, e.ActionGeoLong, validText(e.SourceURL)
	for i := 3; i <= 11; i++ {
		v[i] = validText(v[i].(string))
	}
	return v[:], nil
}

func (src *eventSource) Err() error { return nil }

// month is the partition key of an event date: YYYYMM of a YYYYMMDD SQLDATE.
func month(sqlDate int) int { return sqlDate / 100 }

// partitionName is the monthly partition of events holding month m (YYYYMM).
func partitionName(m int) string { return fmt.Sprintf("events_%06d", m) }

// ensurePartitions creates the monthly partitions the batch's events fall in that do not
// exist yet. Creation is serialised across processes by an advisory lock and is
// idempotent (IF NOT EXISTS), so concurrent ingests of the same month agree.
func (s *Store) ensurePartitions(ctx context.Context, b []Event) error {
	var missing []int
	seen := map[int]bool{}
	for i := range b {
		m := month(b[i].SQLDate)
		if seen[m] {
			continue
		}
		seen[m] = true
		if _, ok := s.months.Load(m); !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Ints(missing)
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", partitionLock); err != nil {
			return err
		}
		for _, m := range missing {
			// Bounds are whole months of SQLDATE values: [YYYYMM00, (YYYYMM+1)00).
			stmt := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF events FOR VALUES FROM (%d) TO (%d)`,
				partitionName(m), m*100, (m+1)*100)
			if _, err := tx.Exec(ctx, stmt); err != nil {
				return fmt.Errorf("create partition %s: %w", partitionName(m), err)
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, m := range missing {
		s.months.Store(m, struct{}{})
	}
	return nil
}

// validText is s as PostgreSQL text accepts it: invalid UTF-8 becomes U+FFFD (as the
// SQLite writer's JSON does) and NUL bytes, which text cannot hold, are dropped.
func validText(s string) string {
	if utf8.ValidString(s) && strings.IndexByte(s, 0) < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\ufffd"), "\x00", "")
}
