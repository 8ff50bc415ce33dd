package store_test

import (
	"context"
	"testing"

	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// Migrating twice applies nothing the second time, and status shows every file applied.
func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Dialects(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		applied, err := store.Migrate(ctx, db) // storetest already migrated once
		if err != nil {
			t.Fatal(err)
		}
		if len(applied) != 0 {
			t.Fatalf("second run applied %v", applied)
		}
		st, err := store.Status(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if len(st) == 0 || store.Pending(st) != 0 {
			t.Fatalf("status = %+v", st)
		}
		for _, m := range models.All() {
			if !db.Migrator().HasTable(m) {
				t.Errorf("table for %T missing", m)
			}
		}
	})
}

// Concurrent runners against one fresh database: exactly one applies each file.
func TestConcurrentMigrateOnPostgres(t *testing.T) {
	cfg := storetest.Config(t, storetest.PostgresURL(t))
	ctx := context.Background()
	results := make(chan []string, 3)
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		go func() {
			db, err := store.OpenDatabase(ctx, cfg, storetest.Logger())
			if err != nil {
				errs <- err
				results <- nil
				return
			}
			defer store.Close(db)
			applied, err := store.Migrate(ctx, db)
			errs <- err
			results <- applied
		}()
	}
	total := 0
	for i := 0; i < 3; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 3; i++ {
		total += len(<-results)
	}
	db := storetest.Open(t, cfg)
	st, err := store.Status(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if total != len(st) {
		t.Fatalf("%d applications for %d migrations", total, len(st))
	}
}
