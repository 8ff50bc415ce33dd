package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// nobody is the unprivileged uid and gid the read-only test runs geopol as when the
// tests run as root (root may write anywhere, whatever the modes say).
const nobody = 65534

// A data directory the process may not write (a read-only or root-owned Docker bind
// mount) is named, with the problem and the setting to change, instead of SQLite's
// "unable to open database file: out of memory (14)". As root, geopol runs as nobody:
// root may write anywhere.
func TestReadOnlyDataDirIsExplained(t *testing.T) {
	uid := -1
	if os.Geteuid() == 0 {
		uid = nobody
	}
	who := os.Geteuid()
	if uid >= 0 {
		who = uid
	}
	dir := openDir(t)
	ro := filepath.Join(dir, "data")
	if err := os.Mkdir(ro, 0o555); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(ro, 0o555); err != nil { // whatever the umask
		t.Fatal(err)
	}
	writable := filepath.Join(dir, "rw")
	if err := os.Mkdir(writable, 0o777); err != nil || os.Chmod(writable, 0o777) != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, setting string
		env           map[string]string
		args          []string
		want          string
	}{
		{"forecast database", "SQLITE_PATH",
			map[string]string{"SQLITE_PATH": filepath.Join(ro, "geopol.db"), "GDELT_DB_PATH": filepath.Join(writable, "gdelt.db")},
			[]string{"migrate", "up"}, "cannot write " + filepath.Join(ro, "geopol.db") + ": directory " + ro},
		{"new subdirectory", "SQLITE_PATH",
			map[string]string{"SQLITE_PATH": filepath.Join(ro, "sub", "geopol.db"), "GDELT_DB_PATH": filepath.Join(writable, "gdelt.db")},
			[]string{"migrate", "up"}, "cannot create directory " + filepath.Join(ro, "sub") + " for " + filepath.Join(ro, "sub", "geopol.db") + ": directory " + ro},
		{"event store", "GDELT_DB_PATH",
			map[string]string{"SQLITE_PATH": filepath.Join(writable, "geopol.db"), "GDELT_DB_PATH": filepath.Join(ro, "gdelt.db")},
			[]string{"resolve", "--due"}, "cannot write " + filepath.Join(ro, "gdelt.db") + ": directory " + ro},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, errOut, status := runBinary(t, dir, c.env, uid, c.args...)
			for _, want := range []string{c.want, "(mode dr-xr-xr-x", "is not writable by uid " + strconv.Itoa(who) + " (permission denied); set " + c.setting + " to a writable place"} {
				if !strings.Contains(errOut, want) {
					t.Errorf("stderr lacks %q:\n%s", want, errOut)
				}
			}
			if status != 1 || strings.Contains(errOut, "out of memory") {
				t.Errorf("exit %d, stderr:\n%s", status, errOut)
			}
		})
	}
}
