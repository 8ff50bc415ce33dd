package gdelt_test

import (
	"context"
	"path/filepath"
	"testing"

	"geopol/gdelt"
	"geopol/store/storetest"
)

func TestGDELTStorePragmas(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "nested", "gdelt.db")
	gs, err := gdelt.Open(ctx, path, storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	defer gs.Close()
	// Read from several pooled connections: each must have run the pragmas.
	for i := 0; i < 4; i++ {
		p, err := gs.ReadPragmas(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if p.JournalMode != "wal" || p.BusyTimeout != 30000 || p.Synchronous != 1 {
			t.Fatalf("pragmas = %+v, want journal_mode=wal busy_timeout=30000 synchronous=1 (NORMAL)", p)
		}
	}
}

// Open migrates the schema; opening the same file again finds it current and keeps it.
func TestOpenMigratesOnce(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "gdelt.db")
	for i := range 2 {
		gs, err := gdelt.Open(ctx, path, storetest.Logger())
		if err != nil {
			t.Fatalf("open %d: %v", i+1, err)
		}
		if gs.Path() != path {
			t.Errorf("Path() = %q, want %q", gs.Path(), path)
		}
		if n, err := gs.QueryInt(ctx, "SELECT count(*) FROM "+gdelt.Migrations.Table); err != nil || n < 1 {
			t.Errorf("open %d: %d revisions recorded (%v)", i+1, n, err)
		}
		if empty, err := gs.Empty(ctx); err != nil || !empty {
			t.Errorf("open %d: empty=%v err=%v", i+1, empty, err)
		}
		if err := gs.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
