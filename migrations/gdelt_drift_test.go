package migrations_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ariga.io/atlas-provider-gorm/gormschema"
	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	sqlitedrv "github.com/glebarez/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"geopol/gdelt"
	"geopol/gdelt/gdelttest"
	"geopol/store/storetest"
)

// TestGDELTMigrationsMatchModels is TestMigrationsMatchModels for the event store: the
// schema migrations/gdelt builds (gdelt.Open / gdelt.OpenPostgres) must equal the one
// the provider derives from gdelt.Models. On PostgreSQL what partitioning adds is left
// out before comparing: the PARTITION BY clause, sql_date in the events primary key and
// the monthly partitions ingest creates (one is created here, to prove they are ignored
// and nothing else differs).
func TestGDELTMigrationsMatchModels(t *testing.T) {
	ctx := context.Background()
	t.Run("sqlite", func(t *testing.T) {
		migrated := gdelttest.SQLite(t)
		fromModels := openSQLiteFile(t, filepath.Join(t.TempDir(), "models.db"))
		// The provider keeps state between dialects in one process (the forecast drift
		// test does the same): GORM's own migrator, which the provider records, builds
		// the SQLite side.
		gdb, err := gorm.Open(&sqlitedrv.Dialector{Conn: fromModels}, &gorm.Config{Logger: logger.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if err := gdb.AutoMigrate(gdelt.Models("sqlite")...); err != nil {
			t.Fatal(err)
		}
		compareSQL(t, "sqlite", "main", migrated.SQL(), fromModels, sqlite.Open, nil)
	})
	t.Run("postgres", func(t *testing.T) {
		migrated := gdelttest.Postgres(t)
		if _, err := gdelt.Ingest(ctx, storetest.SQLite(t), migrated, storetest.GDELTSample(t, false), gdelt.Options{}); err != nil {
			t.Fatal(err)
		}
		var parts int
		if err := migrated.SQL().QueryRow(`SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass`).Scan(&parts); err != nil || parts == 0 {
			t.Fatalf("%d monthly partitions after an ingest (%v)", parts, err)
		}
		fromModels := gdelttest.Postgres(t).SQL()
		if _, err := fromModels.Exec("DROP SCHEMA public CASCADE; CREATE SCHEMA public"); err != nil {
			t.Fatal(err)
		}
		execDDL(t, fromModels, "postgres", gdelt.Models("postgres"))
		compareSQL(t, "postgres", "public", migrated.SQL(), fromModels, postgres.Open, withoutPartitioning)
	})
}

func openSQLiteFile(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open(sqlitedrv.DriverName, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func execDDL(t *testing.T, db *sql.DB, dialect string, models []any) {
	t.Helper()
	ddl, err := gormschema.New(dialect).Load(models...)
	if err != nil {
		t.Fatalf("provider: %v", err)
	}
	stmts, err := migrate.NewLocalFile("models.sql", []byte(ddl)).Stmts()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stmts {
		// The provider keeps the models of earlier Loads in this process (the forecast
		// drift test's): keep only the statements about the event store's tables.
		if !strings.Contains(s, `"events"`) && !strings.Contains(s, `"event_keys"`) {
			continue
		}
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
}

var monthlyPartition = regexp.MustCompile(`^events_\d{6}$`)

// withoutPartitioning removes from a migrated PostgreSQL event store what partitioning
// adds, failing when it is not there (so the list cannot go stale).
func withoutPartitioning(t *testing.T, s *schema.Schema) {
	t.Helper()
	partitions := 0
	s.Tables = slices.DeleteFunc(s.Tables, func(tbl *schema.Table) bool {
		if monthlyPartition.MatchString(tbl.Name) {
			partitions++
			return true
		}
		return false
	})
	_ = partitions // Atlas lists partitions as tables on some versions and not on others
	events, ok := s.Table("events")
	if !ok {
		t.Fatal("no events table")
	}
	n := len(events.Attrs)
	events.Attrs = slices.DeleteFunc(events.Attrs, func(a schema.Attr) bool {
		_, ok := a.(*postgres.Partition)
		return ok
	})
	if len(events.Attrs) == n {
		t.Error("events is not partitioned")
	}
	pk := events.PrimaryKey
	if pk == nil || len(pk.Parts) != 2 || pk.Parts[1].C == nil || pk.Parts[1].C.Name != "sql_date" {
		t.Fatalf("events primary key is not (global_event_id, sql_date)")
	}
	pk.Parts = pk.Parts[:1]
}

func compareSQL(t *testing.T, dialect, schemaName string, migrated, fromModels *sql.DB,
	open func(schema.ExecQuerier) (migrate.Driver, error), normalise func(*testing.T, *schema.Schema)) {
	t.Helper()
	inspectDB := func(db *sql.DB) (*schema.Schema, migrate.Driver) {
		drv, err := open(db)
		if err != nil {
			t.Fatal(err)
		}
		s, err := drv.InspectSchema(context.Background(), schemaName, nil)
		if err != nil {
			t.Fatal(err)
		}
		s.Tables = slices.DeleteFunc(s.Tables, func(tbl *schema.Table) bool { return tbl.Name == gdelt.Migrations.Table })
		return s, drv
	}
	want, _ := inspectDB(fromModels)
	got, drv := inspectDB(migrated)
	if normalise != nil {
		normalise(t, got)
	}
	changes, err := drv.SchemaDiff(got, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) == 0 {
		return
	}
	var sqls []string
	if plan, err := drv.PlanChanges(context.Background(), "drift", changes); err == nil {
		for _, c := range plan.Changes {
			sqls = append(sqls, c.Cmd)
		}
	}
	t.Fatalf("migrations/gdelt/%s do not match gdelt.Models (%d changes). Generate a migration with `scripts/atlas diff-gdelt <name>`; it would run:\n%s",
		dialect, len(changes), strings.Join(sqls, ";\n"))
}
