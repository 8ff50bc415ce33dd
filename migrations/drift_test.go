package migrations_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"ariga.io/atlas-provider-gorm/gormschema"
	"ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
	"ariga.io/atlas/sql/sqlite"
	"gorm.io/gorm"

	"geopol/models"
	"geopol/store"
	"geopol/store/storetest"
)

// TestMigrationsMatchModels fails when the models and the committed migrations disagree
// (a model changed without `scripts/atlas diff NAME`). For each dialect it builds two
// databases: one from the embedded migrations (what production runs) and one from the
// DDL that atlas-provider-gorm derives from the models (what Atlas diffs against), then
// inspects both with Atlas and requires no difference.
func TestMigrationsMatchModels(t *testing.T) {
	t.Run("postgres", func(t *testing.T) {
		migrated := storetest.Postgres(t)
		fromModels := storetest.Open(t, storetest.Config(t, storetest.PostgresURL(t)))
		// storetest migrates every database it opens; start the models side from empty.
		mustExec(t, fromModels, "DROP SCHEMA public CASCADE; CREATE SCHEMA public")
		ddl, err := gormschema.New("postgres").Load(models.All()...)
		if err != nil {
			t.Fatalf("provider: %v", err)
		}
		stmts, err := migrate.NewLocalFile("models.sql", []byte(ddl)).Stmts()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			mustExec(t, fromModels, s)
		}
		compare(t, "postgres", "public", migrated, fromModels, postgres.Open)
	})
	t.Run("sqlite", func(t *testing.T) {
		migrated := storetest.SQLite(t)
		cfg := storetest.Config(t, "")
		fromModels, err := store.OpenDatabase(context.Background(), cfg, storetest.Logger())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = store.Close(fromModels) })
		// The provider emits foreign keys as ALTER TABLE ... ADD CONSTRAINT, which SQLite
		// cannot run; GORM's own migrator (what the provider records) declares them inline.
		if err := fromModels.AutoMigrate(models.All()...); err != nil {
			t.Fatal(err)
		}
		compare(t, "sqlite", "main", migrated, fromModels, sqlite.Open)
	})
}

// searchObjects are the forecast search objects that migrations/*/20261127063200_forecast_search.sql
// create by hand, per dialect: GORM tags cannot express an FTS5 table or a GIN expression
// index, so the database built from the models never has them and the comparison leaves
// out exactly these (atlas.hcl adds the same objects to the desired schema of diffs).
// Each must be present in the migrated database, so this list cannot go stale.
var searchObjects = map[string]struct {
	tables   []string          // the FTS5 table and the shadow tables FTS5 creates for it
	indexes  map[string]string // index -> table
	triggers map[string]string // trigger -> table (Atlas does not inspect triggers today)
}{
	"postgres": {indexes: map[string]string{"idx_predictions_search": "predictions"}},
	"sqlite": {
		tables: []string{"predictions_fts", "predictions_fts_data", "predictions_fts_idx", "predictions_fts_docsize", "predictions_fts_config"},
		triggers: map[string]string{"predictions_fts_insert": "predictions", "predictions_fts_delete": "predictions",
			"predictions_fts_update": "predictions"},
	},
}

func compare(t *testing.T, dialect, schemaName string, migrated, fromModels *gorm.DB, open func(schema.ExecQuerier) (migrate.Driver, error)) {
	t.Helper()
	want := inspect(t, fromModels, schemaName, open)
	got := inspect(t, migrated, schemaName, open)
	withoutSearch(t, dialect, got)
	drv := driver(t, migrated, open)
	changes, err := drv.SchemaDiff(got, want)
	if err != nil {
		t.Fatal(err)
	}
	if len(changes) == 0 {
		return
	}
	plan, err := drv.PlanChanges(context.Background(), "drift", changes)
	var sqls []string
	if err == nil {
		for _, c := range plan.Changes {
			sqls = append(sqls, c.Cmd)
		}
	}
	t.Fatalf("migrations/%s do not match models/ (%d changes). Generate a migration with `scripts/atlas diff <name>`; it would run:\n%s",
		dialect, len(changes), strings.Join(sqls, ";\n"))
}

func driver(t *testing.T, db *gorm.DB, open func(schema.ExecQuerier) (migrate.Driver, error)) migrate.Driver {
	t.Helper()
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	drv, err := open(sqlDB)
	if err != nil {
		t.Fatal(err)
	}
	return drv
}

// inspect reads the schema, leaving out the migration runner's own bookkeeping table.
func inspect(t *testing.T, db *gorm.DB, name string, open func(schema.ExecQuerier) (migrate.Driver, error)) *schema.Schema {
	t.Helper()
	s, err := driver(t, db, open).InspectSchema(context.Background(), name, nil)
	if err != nil {
		t.Fatal(err)
	}
	kept := s.Tables[:0]
	for _, tbl := range s.Tables {
		if tbl.Name != store.RevisionTable {
			kept = append(kept, tbl)
		}
	}
	s.Tables = kept
	return s
}

// withoutSearch removes the search objects of dialect from the migrated schema s, failing
// the test for each one that is missing.
func withoutSearch(t *testing.T, dialect string, s *schema.Schema) {
	t.Helper()
	objs := searchObjects[dialect]
	missing := map[string]bool{}
	for _, name := range objs.tables {
		missing["table "+name] = true
	}
	for name := range objs.indexes {
		missing["index "+name] = true
	}
	kept := s.Tables[:0]
	for _, tbl := range s.Tables {
		if missing["table "+tbl.Name] {
			delete(missing, "table "+tbl.Name)
			continue
		}
		tbl.Indexes = slices.DeleteFunc(tbl.Indexes, func(idx *schema.Index) bool {
			if objs.indexes[idx.Name] != tbl.Name {
				return false
			}
			delete(missing, "index "+idx.Name)
			return true
		})
		tbl.Triggers = slices.DeleteFunc(tbl.Triggers, func(tr *schema.Trigger) bool { return objs.triggers[tr.Name] == tbl.Name })
		kept = append(kept, tbl)
	}
	s.Tables = kept
	for obj := range missing {
		t.Errorf("the migrated %s database lacks the search %s", dialect, obj)
	}
}

func mustExec(t *testing.T, db *gorm.DB, stmt string) {
	t.Helper()
	if err := db.Exec(stmt).Error; err != nil {
		t.Fatalf("%v\n%s", err, stmt)
	}
}
