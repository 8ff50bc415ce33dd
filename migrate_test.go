package main

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// `migrate up` says what it applied, or that there was nothing to apply and the
// version the schema is at; it never calls a run that applied migrations "up to date".
func TestMigrateUpSaysWhatItApplied(t *testing.T) {
	cliEnv(t, false)
	out, _, err := runCLI(t, "migrate", "up")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`^sqlite:\S+: applied (\d+) migration\(s\): (\d+(?:, \d+)*)\n$`).FindStringSubmatch(out)
	if m == nil || strings.Contains(out, "up to date") {
		t.Fatalf("first migrate up: %q", out)
	}
	versions := strings.Split(m[2], ", ")
	if m[1] != fmt.Sprint(len(versions)) {
		t.Errorf("count %s for versions %v", m[1], versions)
	}
	out, _, err = runCLI(t, "migrate", "up")
	if want := fmt.Sprintf(": schema up to date (latest %s)\n", versions[len(versions)-1]); err != nil || !strings.HasSuffix(out, want) {
		t.Fatalf("second migrate up: %q, %v; want ...%q", out, err, want)
	}
}
