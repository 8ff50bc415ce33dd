//go:build unix

package store

import (
	"fmt"
	"os"
	"syscall"
)

// access(2) modes.
const (
	accessW = 0x2
	accessX = 0x1
)

// accessCheck asks the kernel whether this process may write path (and search it, for
// a directory): access(2) knows modes, owners, ACLs and read-only mounts.
func accessCheck(path string, dir bool) error {
	mode := uint32(accessW)
	if dir {
		mode |= accessX
	}
	if err := syscall.Access(path, mode); err != nil {
		return &os.PathError{Op: "access", Path: path, Err: err}
	}
	return nil
}

// describe gives path's mode and owner, " (mode drwxr-xr-x, owner uid 0)", or "".
func describe(path string) string {
	fi, err := os.Stat(path)
	if err != nil {
		return ""
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return fmt.Sprintf(" (mode %s, owner uid %d)", fi.Mode(), st.Uid)
	}
	return fmt.Sprintf(" (mode %s)", fi.Mode())
}
