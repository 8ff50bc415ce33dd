package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// SQLiteOpenError explains why the SQLite file at path (the value of setting, e.g.
// SQLITE_PATH) could not be opened or created when the cause is the usual one, a
// directory or file this process may not write (a read-only Docker bind mount, a data
// directory owned by another user): the SQLite driver reports that as "unable to open
// database file: out of memory (14)". It returns err itself when it finds no such
// problem.
func SQLiteOpenError(path, setting string, err error) error {
	return explainSQLiteOpen(path, setting, err, accessCheck)
}

// permission is the permission check explainSQLiteOpen uses: nil when this process may
// write to path (and, for a directory, create files in it), else why not.
type permission func(path string, dir bool) error

// sqliteOpenError is an open failure with its explanation; it wraps the driver's error.
type sqliteOpenError struct {
	msg string
	err error
}

func (e *sqliteOpenError) Error() string { return e.msg }
func (e *sqliteOpenError) Unwrap() error { return e.err }

func explainSQLiteOpen(path, setting string, err error, writable permission) error {
	if err == nil || path == "" {
		return err
	}
	fix := func(what string) string {
		return fmt.Sprintf("set %s to a writable place or fix the owner, mode or mount of %s", setting, what)
	}
	dir := filepath.Dir(path)
	if _, statErr := os.Stat(dir); errors.Is(statErr, fs.ErrNotExist) {
		// The directory must be created: the nearest existing ancestor must be writable.
		parent := dir
		for {
			next := filepath.Dir(parent)
			if _, err := os.Stat(parent); err == nil || next == parent {
				break
			}
			parent = next
		}
		if werr := writable(parent, true); werr != nil {
			return &sqliteOpenError{fmt.Sprintf("cannot create directory %s for %s: directory %s%s is not writable by uid %d (%v); %s",
				dir, path, parent, describe(parent), os.Geteuid(), reason(werr), fix(parent)), err}
		}
		return err
	}
	if werr := writable(dir, true); werr != nil {
		return &sqliteOpenError{fmt.Sprintf("cannot write %s: directory %s%s is not writable by uid %d (%v); %s",
			path, dir, describe(dir), os.Geteuid(), reason(werr), fix(dir)), err}
	}
	// SQLite writes the database and, in WAL mode, its -wal and -shm files beside it.
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if _, statErr := os.Stat(f); statErr != nil {
			continue
		}
		if werr := writable(f, false); werr != nil {
			what := "the file"
			if f != path {
				what = "its file " + f
			}
			return &sqliteOpenError{fmt.Sprintf("cannot write %s: %s%s is not writable by uid %d (%v); %s",
				path, what, describe(f), os.Geteuid(), reason(werr), fix(f)), err}
		}
	}
	return err
}

// reason is the system's words for a permission error ("permission denied",
// "read-only file system"), without the path the error may repeat.
func reason(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
