package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"geopol/apikey"
	"geopol/models"
	"geopol/store/storetest"
)

// With no drain (SHUTDOWN_DRAIN=0), a request in flight when the shutdown signal
// arrives is completed, while new connections are refused at once; serveHTTP then
// returns cleanly. TestServeDrainsOnSIGTERM covers the drain.
func TestGracefulShutdownCompletesInFlightRequest(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release // holds the request until the shutdown has begun
		_, _ = io.WriteString(w, "finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- serveHTTP(ctx, &http.Server{Handler: mux}, ln, storetest.Logger(), shutdownPlan{timeout: 10 * time.Second})
	}()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		res, err := http.Get("http://" + addr + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		got <- result{string(b), err}
	}()
	<-started
	stop() // what SIGTERM does through signal.NotifyContext

	// The listener closes at once: a new connection is refused while /slow still runs.
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			break
		}
		_ = c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after the shutdown began")
		}
		time.Sleep(10 * time.Millisecond)
	}
	select {
	case err := <-served:
		t.Fatalf("serveHTTP returned before the in-flight request finished: %v", err)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q %v", r.body, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("serveHTTP: %v", err)
	}
}

// A server stopped right after a request still records what that request did: the key's
// last_used_at (otherwise written about a second later, off the request path) and the
// request's access line (batched in the log buffer) are both written before it exits.
func TestShutdownWritesPendingUsageAndLogs(t *testing.T) {
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	key, row, err := apikey.Create(context.Background(), db, "used-just-before-shutdown")
	if err != nil {
		t.Fatal(err)
	}
	s := startServers(t, 1, cfg, "SHUTDOWN_DRAIN=0", "LOG_LEVEL=info", "LOG_JSON=true")[0]
	if code := s.call(t, key); code != http.StatusOK {
		t.Fatalf("a valid key got %d", code)
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Wait(); err != nil {
		t.Fatalf("serve exited with %v\n%s", err, s.out)
	}
	var got models.ApiKey
	if err := db.First(&got, row.ID).Error; err != nil {
		t.Fatal(err)
	}
	if got.LastUsedAt == nil {
		t.Fatal("last_used_at of a key used before shutdown was never written")
	}
	if !strings.Contains(s.out.String(), `"path":"/api/v1/forecasts/top","status":200`) {
		t.Fatalf("the request's access line is missing from the log:\n%s", s.out)
	}
}
