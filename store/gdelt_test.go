package store_test

import (
	"context"
	"path/filepath"
	"testing"

	"geopol/store"
	"geopol/store/storetest"
)

func TestGDELTStorePragmas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "gdelt.db")
	gs, err := store.OpenGDELT(ctx, path, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	// Read from several pooled connections: each must have run the pragmas.
	for i := 0; i < 4; i++ {
		p, err := store.ReadPragmas(ctx, gs.DB)
		if err != nil {
			t.Fatal(err)
		}
		if p.JournalMode != "wal" || p.BusyTimeout != 30000 || p.Synchronous != 1 {
			t.Fatalf("pragmas = %+v, want journal_mode=wal busy_timeout=30000 synchronous=1 (NORMAL)", p)
		}
	}
}

func TestSQLiteForecastDatabaseSettings(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	p, err := store.ReadPragmas(ctx, db)
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
