package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"ariga.io/atlas/sql/migrate"
	"gorm.io/gorm"

	"geopol/migrations"
)

// RevisionTable records which migration files of the forecast database have been
// applied. It is not a model: it belongs to the migration runner, not to the schema
// Atlas diffs.
const RevisionTable = "geopol_schema_revisions"

// MigrationSet is one schema's versioned migrations: an Atlas directory per dialect
// (FS holds postgres/ and sqlite/, each with atlas.sum) and the table that records which
// of them a database has applied. The forecast database and the GDELT event store each
// have one, so either can live in the same PostgreSQL database as the other without
// their revisions mixing. On PostgreSQL a transaction-scoped advisory lock keyed on
// Table serialises concurrent runners of the same set.
type MigrationSet struct {
	// Name is the directory named in errors, e.g. "migrations" or "migrations/gdelt".
	Name  string
	FS    fs.FS
	Table string
}

// Forecast is the forecast database's migration set (migrations/postgres, migrations/sqlite).
var Forecast = MigrationSet{Name: "migrations", FS: migrations.FS, Table: RevisionTable}

// Revision is one row of RevisionTable.
type Revision struct {
	Version     string `gorm:"primaryKey"`
	Description string
	Hash        string
	AppliedAt   time.Time
}

// MigrationStatus describes one migration file and whether it has been applied.
type MigrationStatus struct {
	Version     string
	Description string
	AppliedAt   *time.Time
	// Modified is set when the applied file's hash differs from the embedded one.
	Modified bool
}

// migration is one embedded file, parsed into statements.
type migration struct {
	version, description, hash string
	stmts                      []string
}

// loadMigrations reads the embedded Atlas directory for a dialect, checks it against
// atlas.sum (so a hand-edited migration is refused) and splits each file into statements.
func loadMigrations(fsys fs.FS, dialect string) ([]migration, error) {
	return Forecast.load(fsys, dialect)
}

func (set MigrationSet) load(fsys fs.FS, dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, dialect)
	if err != nil {
		return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
	}
	dir := &migrate.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(fsys, path.Join(dialect, e.Name()))
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	if err := migrate.Validate(dir); err != nil {
		return nil, fmt.Errorf("%s/%s does not match its atlas.sum (run `atlas migrate hash` after editing a migration): %w", set.Name, dialect, err)
	}
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(files))
	for _, f := range files {
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("migration %s: %w", f.Name(), err)
		}
		sum := sha256.Sum256(f.Bytes())
		out = append(out, migration{version: f.Version(), description: f.Desc(), hash: hex.EncodeToString(sum[:]), stmts: stmts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// Migrate applies every embedded migration the database has not seen, each file in its
// own transaction together with its revision row, so a failure leaves the database at the
// last complete version. Concurrent runners (an API replica and the migrate job) are
// safe: on PostgreSQL an advisory lock serialises them, on SQLite the write lock does.
// It returns the versions it applied.
func Migrate(ctx context.Context, db *gorm.DB) ([]string, error) {
	return Forecast.Migrate(ctx, db)
}

// Migrate applies the set's migrations that db has not seen, as the package-level
// Migrate does for the forecast database.
func (set MigrationSet) Migrate(ctx context.Context, db *gorm.DB) ([]string, error) {
	return set.migrateUpTo(ctx, db, set.FS, "")
}

// MigrateTo is the set's Migrate stopped after version.
func (set MigrationSet) MigrateTo(ctx context.Context, db *gorm.DB, version string) ([]string, error) {
	return set.migrateUpTo(ctx, db, set.FS, version)
}

// prepare loads the migrations of db's dialect from fsys and makes sure the revision
// table exists; it returns db bound to ctx.
func (set MigrationSet) prepare(ctx context.Context, db *gorm.DB, fsys fs.FS) ([]migration, *gorm.DB, error) {
	files, err := set.load(fsys, Dialect(db))
	if err != nil {
		return nil, nil, err
	}
	db = db.WithContext(ctx)
	if err := set.ensureRevisionTable(db); err != nil {
		return nil, nil, err
	}
	return files, db, nil
}

// MigrateTo is Migrate stopped after version: it applies the embedded migrations up to
// and including that version, none after it, so a database can be brought to the state an
// earlier release left (tests load data there before the later migrations run).
func MigrateTo(ctx context.Context, db *gorm.DB, version string) ([]string, error) {
	return Forecast.MigrateTo(ctx, db, version)
}

func migrateFS(ctx context.Context, db *gorm.DB, fsys fs.FS) ([]string, error) {
	return Forecast.migrateUpTo(ctx, db, fsys, "")
}

// migrateUpTo applies the migrations of fsys in version order, stopping after version last
// ("" applies them all).
func (set MigrationSet) migrateUpTo(ctx context.Context, db *gorm.DB, fsys fs.FS, last string) ([]string, error) {
	files, db, err := set.prepare(ctx, db, fsys)
	if err != nil {
		return nil, err
	}
	if last != "" && !slices.ContainsFunc(files, func(m migration) bool { return m.version == last }) {
		return nil, fmt.Errorf("no migration has version %q", last)
	}
	var applied []string
	for _, m := range files {
		if last != "" && m.version > last {
			break
		}
		done, err := set.applyOne(db, m)
		if err != nil {
			return applied, fmt.Errorf("migration %s_%s: %w", m.version, m.description, err)
		}
		if done {
			applied = append(applied, m.version)
		}
	}
	return applied, nil
}

func (set MigrationSet) ensureRevisionTable(db *gorm.DB) error {
	ts := "timestamptz"
	if Dialect(db) == SQLite {
		ts = "datetime"
	}
	return db.Transaction(func(tx *gorm.DB) error {
		// Concurrent CREATE TABLE IF NOT EXISTS can still collide on PostgreSQL's catalog;
		// the same advisory lock as the migrations serialises it.
		if err := set.lock(tx); err != nil {
			return err
		}
		return tx.Exec(`CREATE TABLE IF NOT EXISTS ` + set.Table + ` (
		version varchar(64) PRIMARY KEY,
		description varchar(255) NOT NULL,
		hash char(64) NOT NULL,
		applied_at ` + ts + ` NOT NULL)`).Error
	})
}

// lockMigrations takes PostgreSQL's transaction-scoped advisory lock for migrations: it
// is released at COMMIT/ROLLBACK, even if the process dies. SQLite needs none: its
// transactions start IMMEDIATE and so already hold the single write lock.
func (set MigrationSet) lock(tx *gorm.DB) error {
	if Dialect(tx) != Postgres {
		return nil
	}
	return tx.Exec("SELECT pg_advisory_xact_lock(hashtext(?))", set.Table).Error
}

// applyOne runs one file unless its version is already recorded, and reports whether it ran.
func (set MigrationSet) applyOne(db *gorm.DB, m migration) (bool, error) {
	if Dialect(db) != SQLite {
		return set.applyInTx(db, m)
	}
	// SQLite rebuilds tables to alter them (create new, copy, drop old, rename). With
	// foreign keys on, dropping the old parent table would cascade-delete child rows, and
	// `PRAGMA foreign_keys` is a no-op inside a transaction, so it is switched off on one
	// dedicated connection around the transaction and the result checked before commit
	// (the procedure the SQLite documentation gives for schema changes).
	var ran bool
	err := db.Connection(func(conn *gorm.DB) error {
		if err := conn.Exec("PRAGMA foreign_keys = off").Error; err != nil {
			return err
		}
		defer conn.Exec("PRAGMA foreign_keys = on")
		var err error
		ran, err = set.applyInTx(conn, m)
		return err
	})
	return ran, err
}

// isForeignKeyPragma matches the PRAGMA lines Atlas writes around SQLite table rebuilds;
// applyOne does their work itself.
func isForeignKeyPragma(stmt string) bool {
	s := strings.ToLower(strings.Join(strings.Fields(stmt), " "))
	return strings.HasPrefix(s, "pragma foreign_keys")
}

func (set MigrationSet) applyInTx(db *gorm.DB, m migration) (bool, error) {
	ran := false
	err := db.Transaction(func(tx *gorm.DB) error {
		if err := set.lock(tx); err != nil {
			return err
		}
		var rev Revision
		err := tx.Table(set.Table).Where("version = ?", m.version).Take(&rev).Error
		if err == nil {
			if rev.Hash != m.hash {
				return fmt.Errorf("already applied with different content (hash %s, file %s): migrations must not be edited once applied", rev.Hash, m.hash)
			}
			return nil
		}
		if !errors.Is(err, gorm.ErrRecordNotFound) {
			return err
		}
		for _, stmt := range m.stmts {
			if Dialect(tx) == SQLite && isForeignKeyPragma(stmt) {
				continue
			}
			if err := tx.Exec(stmt).Error; err != nil {
				return fmt.Errorf("%w\n  in statement: %s", err, firstLine(stmt))
			}
		}
		if Dialect(tx) == SQLite {
			var violations []map[string]any
			if err := tx.Raw("PRAGMA foreign_key_check").Scan(&violations).Error; err != nil {
				return err
			}
			if len(violations) > 0 {
				return fmt.Errorf("leaves %d foreign key violations, first: %v", len(violations), violations[0])
			}
		}
		ran = true
		return tx.Table(set.Table).Create(&Revision{Version: m.version, Description: m.description, Hash: m.hash, AppliedAt: Now()}).Error
	})
	return ran, err
}

// Status lists the embedded migrations with the time each was applied, plus any
// recorded version that this binary does not know (a newer binary applied it).
func Status(ctx context.Context, db *gorm.DB) ([]MigrationStatus, error) {
	return Forecast.Status(ctx, db)
}

// Status is the package-level Status for the set's migrations.
func (set MigrationSet) Status(ctx context.Context, db *gorm.DB) ([]MigrationStatus, error) {
	files, db, err := set.prepare(ctx, db, set.FS)
	if err != nil {
		return nil, err
	}
	var revs []Revision
	if err := db.Table(set.Table).Order("version").Find(&revs).Error; err != nil {
		return nil, err
	}
	byVersion := map[string]Revision{}
	for _, r := range revs {
		byVersion[r.Version] = r
	}
	var out []MigrationStatus
	for _, m := range files {
		st := MigrationStatus{Version: m.version, Description: m.description}
		if r, ok := byVersion[m.version]; ok {
			at := r.AppliedAt.UTC()
			st.AppliedAt = &at
			st.Modified = r.Hash != m.hash
			delete(byVersion, m.version)
		}
		out = append(out, st)
	}
	for _, r := range revs {
		if _, unknown := byVersion[r.Version]; unknown {
			at := r.AppliedAt.UTC()
			out = append(out, MigrationStatus{Version: r.Version, Description: r.Description + " (not in this binary)", AppliedAt: &at})
		}
	}
	return out, nil
}

// Pending counts embedded migrations not yet applied.
func Pending(st []MigrationStatus) int {
	n := 0
	for _, s := range st {
		if s.AppliedAt == nil {
			n++
		}
	}
	return n
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " ..."
	}
	return s
}

// LatestApplied returns the newest version recorded as applied, or "none".
func LatestApplied(ctx context.Context, db *gorm.DB) (string, error) {
	st, err := Status(ctx, db)
	if err != nil {
		return "", err
	}
	latest := "none"
	for _, m := range st {
		if m.AppliedAt != nil && (latest == "none" || m.Version > latest) {
			latest = m.Version
		}
	}
	return latest, nil
}
