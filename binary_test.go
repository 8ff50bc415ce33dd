package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// geopolBinary builds geopol once per test run into a directory anyone may read and
// execute, and returns its path.
func geopolBinary(t *testing.T) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "geopol-bin-*")
		if err != nil {
			binaryErr = err
			return
		}
		if err := os.Chmod(dir, 0o755); err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "geopol")
		out, err := exec.Command("go", "build", "-o", binaryPath, ".").CombinedOutput()
		if err != nil {
			binaryErr = errors.New("go build: " + err.Error() + "\n" + string(out))
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// TestMain removes the built binary after the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if binaryPath != "" {
		os.RemoveAll(filepath.Dir(binaryPath))
	}
	os.Exit(code)
}

// openDir makes a temp dir that an unprivileged user may enter and write, removed
// after the test.
func openDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "geopol-test-*")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o777); err != nil {
		t.Fatal(err)
	}
	return dir
}

// runBinary runs the built geopol with args in dir, with only the environment env
// (plus PATH), as uid if it is not negative; it returns stdout, stderr and the exit
// status.
func runBinary(t *testing.T, dir string, env map[string]string, uid int, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(geopolBinary(t), args...)
	cmd.Dir = dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "CONFIG_FILE=" + filepath.Join(dir, "absent.yaml"),
		"ENV_FILE=" + filepath.Join(dir, "absent.env"), "ENVIRONMENT=testing", "AUTO_MIGRATE=true"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if uid >= 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(uid)}}
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return out.String(), errOut.String(), 0
	case errors.As(err, &exit):
		return out.String(), errOut.String(), exit.ExitCode()
	}
	t.Fatalf("geopol %s: %v", strings.Join(args, " "), err)
	return "", "", -1
}

// The real binary exits 0 on success, 1 on a failure and 2 on a usage error.
func TestBinaryExitCodes(t *testing.T) {
	dir := openDir(t)
	env := map[string]string{"SQLITE_PATH": filepath.Join(dir, "geopol.db"), "GDELT_DB_PATH": filepath.Join(dir, "gdelt.db")}
	notExport := filepath.Join(dir, "README.md")
	if err := os.WriteFile(notExport, []byte("# not an export\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args   []string
		status int
		stderr string
	}{
		{[]string{"migrate", "up"}, 0, ""},
		{[]string{"help"}, 0, ""},
		{[]string{"bogus"}, 2, `geopol: unknown command "bogus"`},
		{[]string{"resolve", "--due", "--now", "2030-01-01"}, 2, "geopol: --now 2030-01-01T00:00:00Z is later than the current time"},
		{[]string{"seed", "--random", "x"}, 2, `invalid value "x" for flag -random`},
		{[]string{"ingest", notExport}, 1, "geopol: " + notExport + ": no valid GDELT event row"},
		{[]string{"apikey", "revoke", "gp_live_none"}, 1, `geopol: no API key matches "gp_live_none"`},
	} {
		_, errOut, status := runBinary(t, dir, env, -1, c.args...)
		if status != c.status || !strings.Contains(errOut, c.stderr) {
			t.Errorf("geopol %s: exit %d, want %d with %q on stderr:\n%s", strings.Join(c.args, " "), status, c.status, c.stderr, errOut)
		}
	}
}
