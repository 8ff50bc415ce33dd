package gdelt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
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
// synchronous_commit off: its ids go into event_keys first (exact dedup across
// partitions and across concurrent ingests; tryBatch says how), then only the new rows
// are copied, in the binary COPY format, into their months' partitions. flush ends the
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
	// free holds batch slices and bufs COPY buffers for reuse: allocating (and so
	// zeroing) megabytes per batch cost more than a tenth of the client's time.
	free chan []Event
	bufs chan []byte
}

func newPGWriter(s *Store) *pgWriter {
	return &pgWriter{s: s, batch: make([]Event, 0, pgBatchRows)}
}

func (w *pgWriter) start(ctx context.Context) {
	w.ctx, w.cancel = context.WithCancelCause(ctx)
	w.queue = make(chan []Event, 1)
	w.free = make(chan []Event, pgWriters+2)
	w.bufs = make(chan []byte, pgWriters)
	for range pgWriters {
		w.bufs <- make([]byte, 0, 8<<20)
	}
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
				select {
				case w.free <- b[:0]:
				default:
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
	select {
	case w.batch = <-w.free:
	default:
		w.batch = make([]Event, 0, pgBatchRows)
	}
	return nil
}

// copyBuf takes an empty COPY buffer (one per writer).
func (w *pgWriter) copyBuf() []byte { return (<-w.bufs)[:0] }

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
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "42P01":
		// Another process dropped a partition this one still believed in
		// (retention): forget them all and try once more.
		w.s.months.Clear()
		err = w.tryBatch(ctx, b)
	case errors.As(err, &pgErr) && pgErr.Code == "40P01":
		// A concurrent ingest of the same ids took their keys in another order; the
		// server chose this batch to abort. Its keys are committed or gone now.
		err = w.tryBatch(ctx, b)
	}
	return err
}

func (w *pgWriter) tryBatch(ctx context.Context, b []Event) error {
	// The batch's distinct ids and the first row of each: a file that repeats an id
	// stores its first row, as SQLite's INSERT OR IGNORE does.
	seen := make(map[int64]bool, len(b))
	ids := make([]int64, 0, len(b))
	first := make([]int, 0, len(b))
	for i := range b {
		if id := b[i].GlobalEventID; !seen[id] {
			seen[id] = true
			ids = append(ids, id)
			first = append(first, i)
		}
	}
	if err := w.s.ensurePartitions(ctx, b); err != nil {
		return err
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
	if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off; SAVEPOINT keys"); err != nil {
		return err
	}
	// New files hold new ids, so the keys are first copied in as they are: COPY is
	// several times cheaper for the server than a speculative insert per row. A unique
	// violation means some ids are stored already (a file ingested again, or an
	// overlapping ingest that committed them); then the keys go in with ON CONFLICT DO
	// NOTHING, whose RETURNING names the new ones.
	buf := appendKeysBinary(w.copyBuf(), ids)
	_, err = tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf), "COPY event_keys (global_event_id) FROM STDIN (FORMAT binary)")
	w.bufs <- buf
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == "23505":
		if _, err := tx.Exec(ctx, "ROLLBACK TO SAVEPOINT keys"); err != nil {
			return err
		}
		fresh, err := insertNewKeys(ctx, tx, ids)
		if err != nil {
			return err
		}
		kept := first[:0]
		for _, i := range first {
			if fresh[b[i].GlobalEventID] {
				kept = append(kept, i)
			}
		}
		first = kept
	case err != nil:
		return fmt.Errorf("copy event keys: %w", err)
	}
	// The new rows go straight into their month's partition, one COPY per month,
	// rather than through the partitioned parent, which routes row by row.
	for _, rows := range byMonth(b, first) {
		m := month(b[rows[0]].SQLDate)
		buf := appendCopyBinary(w.copyBuf(), b, rows)
		tag, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(buf),
			"COPY "+partitionName(m)+" ("+columnList+") FROM STDIN (FORMAT binary)")
		w.bufs <- buf
		if err != nil {
			return fmt.Errorf("copy events of %s: %w", partitionName(m), err)
		}
		if int(tag.RowsAffected()) != len(rows) {
			return fmt.Errorf("copy events of %s: wrote %d rows, want %d", partitionName(m), tag.RowsAffected(), len(rows))
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	w.written.Add(int64(len(b)))
	w.new.Add(int64(len(first)))
	return nil
}

// byMonth groups the rows of b at the indexes rows by the month of their event date,
// in order of month and, within one, of rows.
func byMonth(b []Event, rows []int) [][]int {
	groups := map[int][]int{}
	var months []int
	for _, i := range rows {
		m := month(b[i].SQLDate)
		if _, ok := groups[m]; !ok {
			months = append(months, m)
		}
		groups[m] = append(groups[m], i)
	}
	sort.Ints(months)
	out := make([][]int, len(months))
	for k, m := range months {
		out[k] = groups[m]
	}
	return out
}

// insertNewKeys inserts the ids that event_keys lacks and returns them.
func insertNewKeys(ctx context.Context, tx pgx.Tx, ids []int64) (map[int64]bool, error) {
	rows, err := tx.Query(ctx, "INSERT INTO event_keys (global_event_id) SELECT unnest($1::bigint[]) ON CONFLICT DO NOTHING RETURNING global_event_id", ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fresh := make(map[int64]bool, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		fresh[id] = true
	}
	return fresh, rows.Err()
}

// appendKeysBinary appends to buf the binary COPY stream of one bigint column.
func appendKeysBinary(buf []byte, ids []int64) []byte {
	buf = appendCopyHeader(buf)
	for _, id := range ids {
		buf = binary.BigEndian.AppendUint16(buf, 1)
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(id))
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff) // end of data
}

// appendCopyHeader appends the binary COPY signature, flags and header extension length.
func appendCopyHeader(buf []byte) []byte {
	buf = append(buf, "PGCOPY\n\xff\r\n\x00"...)
	buf = binary.BigEndian.AppendUint32(buf, 0)  // flags
	return binary.BigEndian.AppendUint32(buf, 0) // header extension length
}

// columnList is the events columns in the order appendCopyBinary writes them.
var columnList = strings.Join(columns, ", ")

// appendCopyBinary appends to buf the binary COPY stream of the events of b at the
// indexes rows. Encoding by hand is several times cheaper than pgx's generic value
// encoding, which dominated the client's time.
func appendCopyBinary(buf []byte, b []Event, rows []int) []byte {
	buf = appendCopyHeader(buf)
	i8 := func(v int64) {
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, uint64(v))
	}
	i4 := func(v int) {
		buf = binary.BigEndian.AppendUint32(buf, 4)
		buf = binary.BigEndian.AppendUint32(buf, uint32(int32(v)))
	}
	f8 := func(v *float64) {
		if v == nil {
			buf = binary.BigEndian.AppendUint32(buf, 0xffffffff) // NULL
			return
		}
		buf = binary.BigEndian.AppendUint32(buf, 8)
		buf = binary.BigEndian.AppendUint64(buf, math.Float64bits(*v))
	}
	txt := func(v string) {
		v = validText(v)
		buf = binary.BigEndian.AppendUint32(buf, uint32(len(v)))
		buf = append(buf, v...)
	}
	for _, k := range rows {
		e := &b[k]
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(columns)))
		i8(e.GlobalEventID)
		i4(e.SQLDate)
		i8(e.DateAdded)
		txt(e.Actor1Code)
		txt(e.Actor1Name)
		txt(e.Actor1CountryCode)
		txt(e.Actor2Code)
		txt(e.Actor2Name)
		txt(e.Actor2CountryCode)
		txt(e.EventCode)
		txt(e.EventBaseCode)
		txt(e.EventRootCode)
		i4(e.QuadClass)
		f8(&e.Goldstein)
		i4(e.NumMentions)
		i4(e.NumSources)
		i4(e.NumArticles)
		f8(&e.AvgTone)
		txt(e.ActionGeoFullName)
		txt(e.ActionGeoCountryFIPS)
		txt(e.ActionGeoCountryISO)
		f8(e.ActionGeoLat)
		f8(e.ActionGeoLong)
		txt(e.SourceURL)
	}
	return binary.BigEndian.AppendUint16(buf, 0xffff) // end of data
}

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
