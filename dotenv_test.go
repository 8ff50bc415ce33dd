package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// An unknown key in .env is reported on stderr by every command, with the file and the
// key probably meant.
func TestUnknownDotenvKeyIsLogged(t *testing.T) {
	cliEnv(t, false)
	envFile := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(envFile, []byte("REDIS_ULR=redis://127.0.0.1:6379/0\nPOSTGRES_PASSWORD=compose\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ENV_FILE", envFile)
	_, errOut, err := runCLI(t, "migrate", "status")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, `level=WARN msg="unknown key in the .env file, ignored" file=`+envFile+` key=REDIS_ULR did_you_mean=REDIS_URL`) ||
		strings.Count(errOut, "level=WARN") != 1 {
		t.Fatalf("stderr:\n%s", errOut)
	}
}
