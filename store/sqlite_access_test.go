//go:build unix

package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// The explanation names the path, the directory or file that is not writable, the
// uid and the setting to change, and keeps the driver's error underneath. The
// permission check is injected, so the test means the same as root (for whom every
// mode is writable) and as anyone else; TestReadOnlyDataDirIsExplained in package main
// runs the real check against a real directory.
func TestExplainSQLiteOpen(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(dir, "old.db")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	driver := errors.New("unable to open database file: out of memory (14)")
	deny := func(denied string, errno syscall.Errno) permission {
		return func(path string, _ bool) error {
			if path == denied {
				return &os.PathError{Op: "access", Path: path, Err: errno}
			}
			return nil
		}
	}
	uid := fmt.Sprint(os.Geteuid())
	for _, c := range []struct {
		name, path string
		check      permission
		want       string // "" means err comes back unchanged
	}{
		{"directory not writable", filepath.Join(data, "geopol.db"), deny(data, syscall.EACCES),
			"cannot write " + filepath.Join(data, "geopol.db") + ": directory " + data + " (mode drwxr-xr-x, owner uid " + uid + ") is not writable by uid " + uid +
				" (permission denied); set SQLITE_PATH to a writable place or fix the owner, mode or mount of " + data},
		{"read-only mount", filepath.Join(data, "geopol.db"), deny(data, syscall.EROFS),
			"is not writable by uid " + uid + " (read-only file system); set SQLITE_PATH"},
		{"directory to create", filepath.Join(data, "a", "b", "geopol.db"), deny(data, syscall.EACCES),
			"cannot create directory " + filepath.Join(data, "a", "b") + " for " + filepath.Join(data, "a", "b", "geopol.db") + ": directory " + data + " (mode"},
		{"file not writable", existing, deny(existing, syscall.EACCES),
			"cannot write " + existing + ": the file (mode -rw-r--r--, owner uid " + uid + ") is not writable by uid " + uid + " (permission denied)"},
		{"everything writable", filepath.Join(data, "geopol.db"), deny("", 0), ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := explainSQLiteOpen(c.path, "SQLITE_PATH", driver, c.check)
			if c.want == "" {
				if err != driver {
					t.Fatalf("got %v, want the driver's error unchanged", err)
				}
				return
			}
			if !strings.Contains(err.Error(), c.want) || !errors.Is(err, driver) {
				t.Fatalf("got  %v\nwant %s (wrapping the driver's error)", err, c.want)
			}
		})
	}
	if err := explainSQLiteOpen(filepath.Join(data, "x.db"), "SQLITE_PATH", nil, deny(data, syscall.EACCES)); err != nil {
		t.Fatalf("no error to explain: %v", err)
	}
}
