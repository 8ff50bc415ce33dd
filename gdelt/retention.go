package gdelt

import (
	"context"
	"fmt"
	"sort"
	"time"

	"geopol/store"
)

// pruneBatch is how many rows one SQLite delete removes, so the write lock is never held
// for long and API readers keep answering.
const pruneBatch = 10_000

// Prune removes the events whose event date (SQLDATE) is older than keep before now,
// and returns how many it removed. On PostgreSQL it drops whole monthly partitions (and
// their ids in event_keys, so GDELT's files could be ingested again), keeping a month
// while any of its days is within keep; on SQLite it deletes in batches of 10,000 rows.
// keep <= 0 keeps everything.
func (s *Store) Prune(ctx context.Context, now time.Time, keep time.Duration) (int64, error) {
	if keep <= 0 {
		return 0, nil
	}
	cutoff := now.UTC().Add(-keep)
	cutDate := cutoff.Year()*10000 + int(cutoff.Month())*100 + cutoff.Day() // events before this day go
	if s.dialect == store.Postgres {
		return s.dropPartitions(ctx, cutDate/100)
	}
	var total int64
	for {
		res, err := s.db.ExecContext(ctx, `DELETE FROM events WHERE rowid IN
			(SELECT rowid FROM events WHERE sql_date < ? LIMIT ?)`, cutDate, pruneBatch)
		if err != nil {
			return total, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, err
		}
		total += n
		if n < pruneBatch {
			return total, nil
		}
	}
}

// dropPartitions drops the monthly partitions of months before firstKept (YYYYMM).
func (s *Store) dropPartitions(ctx context.Context, firstKept int) (int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass`)
	if err != nil {
		return 0, err
	}
	var months []int
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return 0, err
		}
		var m int
		if _, err := fmt.Sscanf(name, "events_%d", &m); err == nil && name == partitionName(m) && m < firstKept {
			months = append(months, m)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	sort.Ints(months)
	var total int64
	for _, m := range months {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return total, err
		}
		// Serialised with partition creation, so an ingest never routes rows into a
		// partition being dropped.
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", partitionLock); err != nil {
			tx.Rollback()
			return total, err
		}
		name := partitionName(m)
		res, err := tx.ExecContext(ctx, "DELETE FROM event_keys k USING "+name+" e WHERE k.global_event_id = e.global_event_id")
		if err != nil {
			tx.Rollback()
			return total, err
		}
		n, _ := res.RowsAffected()
		if _, err := tx.ExecContext(ctx, "DROP TABLE "+name); err != nil {
			tx.Rollback()
			return total, err
		}
		if err := tx.Commit(); err != nil {
			return total, err
		}
		s.months.Delete(m)
		total += n
	}
	return total, nil
}
