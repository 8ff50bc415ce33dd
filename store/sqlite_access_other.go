//go:build !unix

package store

import "os"

// accessCheck cannot ask the system beforehand here: it reports every path writable,
// so open errors are returned as the driver gave them.
func accessCheck(string, bool) error { return nil }

// describe gives path's mode, " (mode drwxr-xr-x)", or "".
func describe(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return " (mode " + fi.Mode().String() + ")"
}
