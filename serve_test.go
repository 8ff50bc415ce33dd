package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"geopol/config"
)

// `serve` binds HTTP_ADDR before it opens or migrates anything, and a busy address is
// an error that names the setting and how to choose another.
func TestServeBindsBeforeMigrating(t *testing.T) {
	cfg := cliEnv(t, false)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	t.Setenv("HTTP_ADDR", addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var out, errOut strings.Builder
	err = run(ctx, []string{"serve"}, &out, &errOut)
	want := fmt.Sprintf("cannot listen on %s (HTTP_ADDR): address already in use; set HTTP_ADDR=127.0.0.1:8080 or another free address", addr)
	if err == nil || err.Error() != want || exitCode(err) != exitFailure {
		t.Fatalf("serve on a busy address: %v (exit %d)\nwant: %s\n%s", err, exitCode(err), want, errOut.String())
	}
	if _, err := os.Stat(cfg.SQLitePath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the database %s was opened before the address was bound (stat: %v)", cfg.SQLitePath, err)
	}
	if strings.Contains(errOut.String(), "schema") {
		t.Errorf("migrations ran before the address was bound:\n%s", errOut.String())
	}
}

func TestListenErrorNamesHTTPAddr(t *testing.T) {
	_, err := listen("127.0.0.1:99999")
	if err == nil || !strings.HasPrefix(err.Error(), "cannot listen on 127.0.0.1:99999 (HTTP_ADDR): ") ||
		!strings.HasSuffix(err.Error(), "; set HTTP_ADDR=127.0.0.1:8080 or another free address") {
		t.Fatalf("bad port: %v", err)
	}
}

// serve sets the collector's target from GC_PERCENT, unless GOGC was set.
func TestApplyGCPercent(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	if !applyGCPercent(&config.Config{GCPercent: 300}, "") {
		t.Fatal("GC_PERCENT not applied without GOGC")
	}
	if got := debug.SetGCPercent(100); got != 300 {
		t.Fatalf("GC percent %d, want 300", got)
	}
	if applyGCPercent(&config.Config{GCPercent: 300}, "150") {
		t.Fatal("GC_PERCENT applied over GOGC")
	}
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GC percent %d after GOGC was set, want it untouched (100)", got)
	}
}
