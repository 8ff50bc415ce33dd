package store

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/glebarez/sqlite"
	"gorm.io/gorm"
)

// GDELTStore is the GDELT event store: a SQLite file of its own, separate from the
// forecast database, so that bulk ingest never contends with API writes and the file
// can be rebuilt from GDELT's archive at any time.
type GDELTStore struct {
	DB   *gorm.DB
	Path string
}

// OpenGDELT opens (creating if needed) the event store at path in WAL mode with
// busy_timeout=30000 and synchronous=NORMAL.
func OpenGDELT(ctx context.Context, path string, log *slog.Logger) (*GDELTStore, error) {
	dsn, err := SQLiteDSN(path, false)
	if err != nil {
		return nil, err
	}
	db, err := gorm.Open(sqlite.Open(dsn), gormConfig(log))
	if err != nil {
		return nil, fmt.Errorf("open GDELT store %s: %w", path, err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	// One writer (ingest) and a few API readers.
	sqlDB.SetMaxOpenConns(4)
	if err := sqlDB.PingContext(ctx); err != nil {
		_ = sqlDB.Close()
		return nil, fmt.Errorf("open GDELT store %s: %w", path, err)
	}
	return &GDELTStore{DB: db, Path: path}, nil
}

// Pragmas are the connection settings the store runs with, as SQLite reports them.
type Pragmas struct {
	JournalMode string
	BusyTimeout int
	Synchronous int // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
}

// ReadPragmas asks SQLite for the settings of a pooled connection.
func ReadPragmas(ctx context.Context, db *gorm.DB) (Pragmas, error) {
	var p Pragmas
	conn := db.WithContext(ctx)
	if err := conn.Raw("PRAGMA journal_mode").Scan(&p.JournalMode).Error; err != nil {
		return p, err
	}
	if err := conn.Raw("PRAGMA busy_timeout").Scan(&p.BusyTimeout).Error; err != nil {
		return p, err
	}
	if err := conn.Raw("PRAGMA synchronous").Scan(&p.Synchronous).Error; err != nil {
		return p, err
	}
	return p, nil
}

// Close closes the store.
func (s *GDELTStore) Close() error { return Close(s.DB) }
