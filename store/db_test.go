package store_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"geopol/store/storetest"
)

// pragmas are the connection settings a SQLite database runs with, as SQLite reports
// them.
type pragmas struct {
	JournalMode string
	BusyTimeout int
	Synchronous int // 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA
}

// readPragmas asks SQLite for the settings of a pooled connection.
func readPragmas(ctx context.Context, db *gorm.DB) (pragmas, error) {
	var p pragmas
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

func TestSQLiteForecastDatabaseSettings(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	p, err := readPragmas(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if p.JournalMode != "wal" || p.BusyTimeout != 30000 || p.Synchronous != 1 {
		t.Fatalf("pragmas = %+v", p)
	}
	var fk int
	if err := db.Raw("PRAGMA foreign_keys").Scan(&fk).Error; err != nil || fk != 1 {
		t.Fatalf("foreign_keys = %d (%v), want 1", fk, err)
	}
}
