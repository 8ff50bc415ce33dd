package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"geopol/forecast"
	"geopol/forecast/forecasttest"
	"geopol/store/storetest"
)

// freeAddr returns a loopback address nobody listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// server is a `geopol serve` process of a test.
type server struct {
	addr string
	cmd  *exec.Cmd
	log  *bytes.Buffer
}

// startServer starts the built binary's serve with env (plus a testing baseline) and
// waits until it answers; it is stopped (SIGTERM) when the test ends.
func startServer(t *testing.T, dir string, env map[string]string) *server {
	t.Helper()
	s := &server{addr: freeAddr(t), log: &bytes.Buffer{}}
	s.cmd = exec.Command(geopolBinary(t), "serve")
	s.cmd.Dir = dir
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir, "CONFIG_FILE=" + filepath.Join(dir, "absent.yaml"),
		"ENV_FILE=" + filepath.Join(dir, "absent.env"), "ENVIRONMENT=testing", "AUTO_MIGRATE=true", "LOG_LEVEL=warn",
		"HTTP_ADDR=" + s.addr}
	for k, v := range env {
		s.cmd.Env = append(s.cmd.Env, k+"="+v)
	}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = s.cmd.Process.Kill()
			<-done
		}
	})
	for i := 0; i < 150; i++ {
		if resp, err := http.Get("http://" + s.addr + "/api/v1/health"); err == nil {
			resp.Body.Close()
			return s
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("geopol serve on %s did not answer:\n%s", s.addr, s.log)
	return nil
}

// sseClient reads a stream response's events (id and type) as they arrive.
func sseClient(t *testing.T, ctx context.Context, url, key string, header ...string) <-chan [2]string {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	req.Header.Set("X-API-Key", key)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	out := make(chan [2]string, 64)
	go func() {
		defer resp.Body.Close()
		defer close(out)
		r := bufio.NewReader(resp.Body)
		var id, typ string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimRight(line, "\n")
			switch {
			case strings.HasPrefix(line, "id: "):
				id = line[4:]
			case strings.HasPrefix(line, "event: "):
				typ = line[7:]
			case line == "" && typ != "":
				out <- [2]string{id, typ}
				id, typ = "", ""
			}
		}
	}()
	return out
}

func waitEvent(t *testing.T, ch <-chan [2]string, typ string, within time.Duration) ([2]string, time.Time) {
	t.Helper()
	deadline := time.After(within)
	for {
		select {
		case ev, ok := <-ch:
			if !ok {
				t.Fatalf("stream ended waiting for %s", typ)
			}
			if ev[1] == typ {
				return ev, time.Now()
			}
		case <-deadline:
			t.Fatalf("no %s within %v", typ, within)
		}
	}
}

// Two API processes sharing PostgreSQL and Redis: a client on one sees, within a
// second, a forecast POSTed to the other; it may resume on either with the id it saw;
// an ingest run by the command reaches it; and the metrics listener shows the routes.
func TestStreamAcrossTwoServerProcesses(t *testing.T) {
	dbURL := storetest.PostgresURL(t)
	redisURL := storetest.RedisURL(t)
	prefix := storetest.RedisPrefix(t)
	dir := openDir(t)
	shared := map[string]string{"DATABASE_URL": dbURL, "REDIS_URL": redisURL, "CACHE_PREFIX": prefix}
	envA := map[string]string{"GDELT_DB_PATH": filepath.Join(dir, "a-gdelt.db"), "METRICS_ADDR": freeAddr(t)}
	envB := map[string]string{"GDELT_DB_PATH": filepath.Join(dir, "b-gdelt.db")}
	for k, v := range shared {
		envA[k], envB[k] = v, v
	}
	a := startServer(t, dir, envA)
	b := startServer(t, dir, envB)
	out, errOut, status := runBinary(t, dir, envA, -1, "apikey", "create", "--client", "stream-test")
	key := regexp.MustCompile(`gp_live_[0-9A-Za-z]{43}`).FindString(out)
	if status != 0 || key == "" {
		t.Fatalf("apikey create: %d %s %s", status, out, errOut)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	onB := sseClient(t, ctx, "http://"+b.addr+"/api/v1/stream", key)

	req, _ := forecast.GoldenRequest("ukraine")
	body, _ := json.Marshal(req)
	post, _ := http.NewRequest(http.MethodPost, "http://"+a.addr+"/api/v1/forecasts", bytes.NewReader(body))
	post.Header.Set("X-API-Key", key)
	post.Header.Set("Content-Type", "application/json")
	sent := time.Now()
	resp, err := http.DefaultClient.Do(post)
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("POST to A: %v %v", err, resp)
	}
	resp.Body.Close()
	ev, got := waitEvent(t, onB, "forecast.created", time.Second)
	t.Logf("forecast POSTed to process A seen on process B's stream after %v (event id %s)", got.Sub(sent).Round(time.Millisecond), ev[0])

	// Resume on A with an id seen on B: the event after it comes from A's buffer.
	id, _ := strconv.ParseUint(ev[0], 10, 64)
	onA := sseClient(t, ctx, "http://"+a.addr+"/api/v1/stream", key, "Last-Event-ID", strconv.FormatUint(id-1, 10))
	if again, _ := waitEvent(t, onA, "forecast.created", time.Second); again[0] != ev[0] {
		t.Errorf("resumed on A: id %s, want %s", again[0], ev[0])
	}

	// `geopol ingest` (another process) announces its run through Redis.
	sample := storetest.GDELTSample(t, false)
	if out, errOut, status := runBinary(t, dir, envB, -1, "ingest", sample); status != 0 {
		t.Fatalf("ingest: %d %s %s", status, out, errOut)
	}
	waitEvent(t, onB, "ingest.completed", 5*time.Second)
	waitEvent(t, onA, "ingest.completed", 5*time.Second)

	// The metrics listener of A after this traffic.
	mresp, err := http.Get("http://" + envA["METRICS_ADDR"] + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metricsText, _ := io.ReadAll(mresp.Body)
	mresp.Body.Close()
	for _, want := range []string{
		`geopol_http_request_duration_seconds_count{method="POST",route="/api/v1/forecasts",status="201"} 1`,
		`geopol_stream_clients 1`, `geopol_ingest_runs_total{status="success"} 1`, `geopol_stream_events_total{type="ingest.completed"} 1`,
	} {
		if !strings.Contains(string(metricsText), want) {
			t.Errorf("A's /metrics lacks %q", want)
		}
	}
}

// rssKB reads a process's resident set (VmRSS) and its peak (VmHWM) in kB.
func rssKB(t *testing.T, pid int) (rss, hwm int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			n, _ := strconv.Atoi(f[1])
			if f[0] == "VmRSS:" {
				rss = n
			} else {
				hwm = n
			}
		}
	}
	return rss, hwm
}

// Exporting 100,000 forecasts streams in constant memory: the server's peak resident
// set (VmHWM, which catches any spike between samples) grows by less than 50 MB over
// what it was after a warm-up export of a few rows, for CSV and for NDJSON.
func TestExportMemoryIsFlat(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 forecasts; skipped with -short")
	}
	dbURL := storetest.PostgresURL(t)
	dir := openDir(t)
	db := storetest.Open(t, storetest.Config(t, dbURL))
	start := time.Now()
	forecasttest.Seed(t, db, forecasttest.Options{N: 100_000, Seed: 9, Resolved: 0.3, Batch: 1000})
	t.Logf("seeded 100,000 forecasts in %v", time.Since(start).Round(time.Millisecond))
	env := map[string]string{"DATABASE_URL": dbURL, "GDELT_DB_PATH": filepath.Join(dir, "gdelt.db")}
	s := startServer(t, dir, env)
	out, _, _ := runBinary(t, dir, env, -1, "apikey", "create", "--client", "export-test")
	key := regexp.MustCompile(`gp_live_[0-9A-Za-z]{43}`).FindString(out)
	export := func(query string) (rows int, bytes int64) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr+"/api/v1/export/forecasts"+query, nil)
		req.Header.Set("X-API-Key", key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("export %s: %v %v", query, err, resp)
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			rows++
			bytes += int64(len(sc.Bytes()) + 1)
		}
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
		return rows, bytes
	}
	export("?category=none_such") // warm-up: code paths, pools and buffers in place
	_, base := rssKB(t, s.cmd.Process.Pid)
	for _, format := range []string{"csv", "ndjson"} {
		start := time.Now()
		rows, size := export("?format=" + format)
		rss, hwm := rssKB(t, s.cmd.Process.Pid)
		want := 100_000
		if format == "csv" {
			want++ // the header
		}
		if rows < want {
			t.Errorf("%s: %d lines, want %d", format, rows, want)
		}
		t.Logf("%s: %d lines, %.1f MB in %v; server RSS %d MB now, peak %d MB (peak before exports %d MB)",
			format, rows, float64(size)/1e6, time.Since(start).Round(time.Millisecond), rss/1024, hwm/1024, base/1024)
		if grew := hwm - base; grew > 50*1024 {
			t.Errorf("%s export of 100,000 forecasts grew the server's peak RSS by %d MB (over 50 MB): not streaming in constant memory", format, grew/1024)
		}
	}
}
