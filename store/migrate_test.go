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

// MigrateTo stops after the version it is given; Migrate then applies the rest, and an
// unknown version applies nothing.
func TestMigrateTo(t *testing.T) {
	ctx := context.Background()
	db, err := store.OpenDatabase(ctx, storetest.Config(t, ""), storetest.Logger())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(db) })
	st, err := store.Status(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(st) < 2 {
		t.Skip("needs two migrations")
	}
	if _, err := store.MigrateTo(ctx, db, "19700101000000"); err == nil {
		t.Error("an unknown version was accepted")
	}
	applied, err := store.MigrateTo(ctx, db, st[1].Version)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 2 || applied[0] != st[0].Version || applied[1] != st[1].Version {
		t.Fatalf("MigrateTo(%s) applied %v", st[1].Version, applied)
	}
	rest, err := store.Migrate(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(rest) != len(st)-2 {
		t.Fatalf("Migrate then applied %v, want the %d others", rest, len(st)-2)
	}
}
