package gdelt_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"geopol/gdelt"
	"geopol/gdelt/gdelttest"
	"geopol/models"
	"geopol/store/storetest"
)

// Watch survives a failing feed (backing off), then ingests the export once and keeps
// polling without ingesting it again; masterfilelist fills a missed export.
func TestWatchRetriesThenIngestsOnce(t *testing.T) {
	db := storetest.SQLite(t)
	gs := gdelttest.SQLite(t)
	zipBytes, err := os.ReadFile(sample(t) + ".zip")
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(zipBytes)
	var polls atomic.Int32
	var srv *httptest.Server
	mux := http.NewServeMux()
	mux.HandleFunc("/lastupdate.txt", func(w http.ResponseWriter, r *http.Request) {
		if polls.Add(1) == 1 {
			http.Error(w, "temporarily down", http.StatusBadGateway) // first poll fails
			return
		}
		fmt.Fprintf(w, "%d %s %s/a/20191024143000.export.CSV.zip\n", len(zipBytes), hex.EncodeToString(sum[:]), srv.URL)
	})
	mux.HandleFunc("/masterfilelist.txt", func(w http.ResponseWriter, r *http.Request) {
		// An older export the watcher missed (same content, another URL) and the current one.
		fmt.Fprintf(w, "%d %s %s/b/20191024141500.export.CSV.zip\n", len(zipBytes), hex.EncodeToString(sum[:]), srv.URL)
		fmt.Fprintf(w, "%d %s %s/a/20191024143000.export.CSV.zip\n", len(zipBytes), hex.EncodeToString(sum[:]), srv.URL)
	})
	serveZip := func(w http.ResponseWriter, r *http.Request) { w.Write(zipBytes) }
	mux.HandleFunc("/a/20191024143000.export.CSV.zip", serveZip)
	mux.HandleFunc("/b/20191024141500.export.CSV.zip", serveZip)
	srv = httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gdelt.Watch(ctx, db, gs, srv.URL+"/lastupdate.txt", gdelt.WatchOptions{
			Interval: 50 * time.Millisecond, MasterFileList: srv.URL + "/masterfilelist.txt", GapFiles: 2})
	}()
	deadline := time.Now().Add(20 * time.Second)
	for polls.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if polls.Load() < 5 {
		t.Fatalf("watcher polled %d times; it should keep going after a failure", polls.Load())
	}
	var runs []models.IngestRun
	db.Where("status = ?", models.IngestSuccess).Order("id").Find(&runs)
	if len(runs) != 2 || runs[0].EventsNew != 2111 || runs[1].EventsNew != 0 || runs[1].EventsDuplicate != 2111 {
		t.Fatalf("want one run per export (current, then the gap), got %+v", runs)
	}
}

// With the feed unreachable, every poll of --watch records a failed run (the first one
// at once, not after the interval) and logs at WARN.
func TestWatchRecordsFailedPolls(t *testing.T) {
	db := storetest.SQLite(t)
	gs := gdelttest.SQLite(t)
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	var logs bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- gdelt.Watch(ctx, db, gs, down.URL+"/lastupdate.txt", gdelt.WatchOptions{
			Interval: time.Hour, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	}()
	var failed int64
	for deadline := time.Now().Add(20 * time.Second); failed == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		db.Model(&models.IngestRun{}).Where("status = ? AND file_url = ?", models.IngestFailed, down.URL+"/lastupdate.txt").Count(&failed)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if failed == 0 {
		t.Fatal("a poll of an unreachable feed recorded no failed run")
	}
	if !strings.Contains(logs.String(), `level=WARN msg="ingest poll failed"`) {
		t.Errorf("a failed poll must log at WARN:\n%s", logs.String())
	}
}
