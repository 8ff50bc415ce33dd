package store

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"path"
	"path/filepath"
	"testing"
	"testing/fstest"

	"ariga.io/atlas/sql/migrate"
	"github.com/glebarez/sqlite"
	"gorm.io/gorm"

	"geopol/migrations"
)

// rebuild is the shape of migration Atlas writes to alter a SQLite table: foreign keys
// off, copy into a new table, drop the old one, rename.
const rebuild = `PRAGMA foreign_keys = off;
CREATE TABLE new_predictions (id varchar NOT NULL PRIMARY KEY, question text NOT NULL, prediction text NOT NULL,
  probability double precision NOT NULL, confidence double precision NOT NULL, horizon_days integer NOT NULL DEFAULT 30,
  category varchar NOT NULL, cameo_root_code varchar NULL, reasoning_summary text NOT NULL, evidence_count integer NOT NULL DEFAULT 0,
  scenarios json NOT NULL, ensemble_info json NOT NULL, calibration json NOT NULL, entities json NOT NULL,
  country_iso varchar NULL, created_at datetime NOT NULL, expires_at datetime NOT NULL);
INSERT INTO new_predictions SELECT id, question, prediction, probability, confidence, horizon_days, category, cameo_root_code,
  reasoning_summary, evidence_count, scenarios, ensemble_info, calibration, entities, country_iso, created_at, expires_at FROM predictions;
DROP TABLE predictions;
ALTER TABLE new_predictions RENAME TO predictions;
PRAGMA foreign_keys = on;
`

// withMigration returns the embedded SQLite migrations plus one more file, with a
// matching atlas.sum.
func withMigration(t *testing.T, name, body string) fs.FS {
	t.Helper()
	out := fstest.MapFS{}
	dir := &migrate.MemDir{}
	entries, err := fs.ReadDir(migrations.FS, SQLite)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() == migrate.HashFileName {
			continue
		}
		b, _ := fs.ReadFile(migrations.FS, path.Join(SQLite, e.Name()))
		_ = dir.WriteFile(e.Name(), b)
	}
	_ = dir.WriteFile(name, []byte(body))
	files, _ := dir.Files()
	sum, err := migrate.NewHashFile(files)
	if err != nil {
		t.Fatal(err)
	}
	sumText, _ := sum.MarshalText()
	for _, f := range files {
		out[path.Join(SQLite, f.Name())] = &fstest.MapFile{Data: f.Bytes()}
	}
	out[path.Join(SQLite, migrate.HashFileName)] = &fstest.MapFile{Data: sumText}
	return out
}

// A table rebuild must not cascade-delete the rows that reference the rebuilt table.
func TestSQLiteRebuildKeepsChildRows(t *testing.T) {
	ctx := context.Background()
	dsn, err := SQLiteDSN(filepath.Join(t.TempDir(), "f.db"), true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := gorm.Open(sqlite.Open(dsn), gormConfig(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	defer Close(db)
	if _, err := Migrate(ctx, db); err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO predictions (id, question, prediction, probability, confidence, category,
		reasoning_summary, scenarios, ensemble_info, calibration, entities, created_at, expires_at)
		VALUES ('p1','q','p',0.5,0.5,'conflict','r','[]','{}','{}','[]','2026-01-01 00:00:00+00:00','2026-02-01 00:00:00+00:00')`).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec(`INSERT INTO outcome_records (prediction_id, outcome, resolution_date, resolution_method)
		VALUES ('p1', 1, '2026-01-15 00:00:00+00:00', 'manual')`).Error; err != nil {
		t.Fatal(err)
	}
	applied, err := migrateFS(ctx, db, withMigration(t, "99990101000000_rebuild.sql", rebuild))
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 1 || applied[0] != "99990101000000" {
		t.Fatalf("applied %v", applied)
	}
	var n int64
	db.Table("outcome_records").Count(&n)
	if n != 1 {
		t.Fatalf("rebuild cascade-deleted outcomes: %d left", n)
	}
	var fk int
	db.Raw("PRAGMA foreign_keys").Scan(&fk)
	if fk != 1 {
		t.Fatalf("foreign_keys left off on a pooled connection")
	}
}

// A migration edited after atlas.sum was written is refused.
func TestTamperedMigrationIsRefused(t *testing.T) {
	fsys := withMigration(t, "99990101000000_x.sql", "CREATE TABLE x (id integer);\n").(fstest.MapFS)
	fsys[path.Join(SQLite, "99990101000000_x.sql")] = &fstest.MapFile{Data: []byte("DROP TABLE predictions;\n")}
	if _, err := loadMigrations(fsys, SQLite); err == nil {
		t.Fatal("tampered migration accepted")
	}
}
