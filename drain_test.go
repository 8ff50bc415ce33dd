package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"geopol/apikey"
	"geopol/forecast"
	"geopol/store/storetest"
)

// childServeEnv marks the test binary re-run as a `geopol serve` process for the drain
// test.
const childServeEnv = "GEOPOL_TEST_CHILD_SERVE"

// TestChildServe is the geopol process of TestServeDrainsOnSIGTERM; it does nothing in
// a normal run.
func TestChildServe(t *testing.T) {
	if os.Getenv(childServeEnv) == "" {
		t.Skip("runs only as the child process of TestServeDrainsOnSIGTERM")
	}
	ctx, stop := signalContext()
	defer stop()
	if err := run(ctx, []string{"serve"}, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "child serve:", err)
		os.Exit(1)
	}
}

// exchange is one request of the drain test and what came back.
type exchange struct {
	what       string
	start, end time.Time
	status     int
	closed     bool // the response said Connection: close
	draining   bool // a readyz answer saying the instance is shutting down
	err        error
}

// A real `geopol serve` process under load from 32 keep-alive clients gets SIGTERM:
// /api/v1/readyz turns 503 at once while every request keeps being served (none is
// reset or refused) for SHUTDOWN_DRAIN, each response then asking its client to close
// the connection; after the drain the listener closes, a request still in flight
// completes, and the process exits 0.
func TestServeDrainsOnSIGTERM(t *testing.T) {
	const (
		clients = 32
		drain   = 3 * time.Second
		warm    = time.Second            // load before SIGTERM
		loadFor = 2 * time.Second        // load after SIGTERM: a load balancer that takes this long to notice
		bound   = drain + 20*time.Second // anything not done by then has hung
	)
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	key, _, err := apikey.Create(context.Background(), db, "drain-test")
	if err != nil {
		t.Fatal(err)
	}
	body, err := forecast.GoldenRequest("syria")
	if err != nil {
		t.Fatal(err)
	}
	forecastJSON, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}

	cmd := exec.Command(os.Args[0], "-test.run=^TestChildServe$")
	cmd.Env = append(os.Environ(), childServeEnv+"=1", "CONFIG_FILE=-absent-", "ENV_FILE=-absent-",
		"ENVIRONMENT=testing", "AUTO_MIGRATE=true", "HTTP_ADDR=127.0.0.1:0", "DATABASE_URL=", "REDIS_URL=",
		"SQLITE_PATH="+cfg.SQLitePath, "GDELT_DB_PATH="+cfg.GDELTDBPath, "LOG_JSON=true", "LOG_LEVEL=info",
		"SHUTDOWN_DRAIN="+drain.String(), "SHUTDOWN_TIMEOUT=15s",
		"RATE_LIMIT_PER_MINUTE=1000000", "RATE_LIMIT_BURST=1000000", "RATE_LIMIT_POST_PER_MINUTE=1000000")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	var logMu sync.Mutex
	var childLog bytes.Buffer // every line but the access log, for failure messages
	addrc := make(chan string, 1)
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			var line struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			_ = json.Unmarshal(sc.Bytes(), &line)
			if line.Msg == "listening" {
				addrc <- line.Addr
			}
			if line.Msg != "request" {
				logMu.Lock()
				childLog.Write(sc.Bytes())
				childLog.WriteByte('\n')
				logMu.Unlock()
			}
		}
	}()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// exited is closed when the process has exited, with its status in exitErr.
	exited := make(chan struct{})
	var exitErr error
	go func() { <-logDone; exitErr = cmd.Wait(); close(exited) }()
	defer func() {
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}()
	logs := func() string { logMu.Lock(); defer logMu.Unlock(); return childLog.String() }
	var addr string
	select {
	case addr = <-addrc:
	case <-exited:
		t.Fatalf("geopol serve exited before listening: %v\n%s", exitErr, logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("geopol serve did not listen within 30 s\n%s", logs())
	}
	base := "http://" + addr

	// Keep-alive clients, as a load balancer's connection pool would be.
	transport := &http.Transport{MaxIdleConnsPerHost: clients + 2, MaxConnsPerHost: 0, IdleConnTimeout: time.Minute}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: bound}
	var mu sync.Mutex
	var log []exchange
	do := func(what, method, path string, body io.Reader, header ...string) exchange {
		ex := exchange{what: what, start: time.Now()}
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			t.Error(err)
			return ex
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := client.Do(req)
		if err == nil {
			var b []byte
			b, err = io.ReadAll(res.Body)
			res.Body.Close()
			ex.status, ex.closed = res.StatusCode, res.Close
			ex.draining = what == "readyz" && bytes.Contains(b, []byte("shutting down"))
		}
		ex.err, ex.end = err, time.Now()
		mu.Lock()
		log = append(log, ex)
		mu.Unlock()
		return ex
	}
	keyed := []string{"X-API-Key", key}

	var sigterm time.Time // set before stopLoad closes
	stopLoad := make(chan struct{})
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stopLoad:
					return
				default:
				}
				switch i % 4 {
				case 0:
					do("livez", "GET", "/api/v1/livez", nil)
				case 1:
					do("top", "GET", "/api/v1/forecasts/top", nil, keyed...)
				case 2:
					do("countries", "GET", "/api/v1/countries", nil, keyed...)
				case 3:
					do("post", "POST", "/api/v1/forecasts", bytes.NewReader(forecastJSON), append(keyed,
						"Content-Type", "application/json", "Idempotency-Key", fmt.Sprintf("drain-%d-%d", c, i))...)
				}
			}
		}()
	}
	// Readiness, polled as a load balancer would, on a connection of its own.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stopLoad:
				return
			case <-time.After(10 * time.Millisecond):
			}
			do("readyz", "GET", "/api/v1/readyz", nil)
		}
	}()

	time.Sleep(warm)
	sigterm = time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}

	// A request that is still in flight when the drain ends: its body arrives in two
	// halves, the second only once the listener is closed.
	slow := make(chan exchange, 1)
	pr, pw := io.Pipe()
	time.Sleep(loadFor * 3 / 4)
	go func() {
		slow <- do("slow", "POST", "/api/v1/forecasts", pr, append(keyed,
			"Content-Type", "application/json", "Idempotency-Key", "drain-slow")...)
	}()
	half := len(forecastJSON) / 2
	if _, err := pw.Write(forecastJSON[:half]); err != nil {
		t.Errorf("the first half of the slow request's body: %v", err)
	}
	time.Sleep(loadFor - loadFor*3/4)
	close(stopLoad)
	wg.Wait()
	loadStopped := time.Now()

	// The listener closes once the drain is over, while the slow request is in flight.
	refusedAt := time.Time{}
	for deadline := sigterm.Add(bound); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			refusedAt = time.Now()
			break
		}
		c.Close()
	}
	if _, err := pw.Write(forecastJSON[half:]); err != nil {
		t.Errorf("the rest of the slow request's body: %v", err)
	}
	pw.Close()
	var slowEx exchange
	select {
	case slowEx = <-slow:
	case <-time.After(bound):
		t.Fatalf("the slow request got no answer\n%s", logs())
	}
	select {
	case <-exited:
	case <-time.After(bound):
		t.Fatalf("geopol serve did not exit after the drain\n%s", logs())
	}
	exitedAt := time.Now()

	// Judge.
	var readyBefore, drained, transportErrs, bad int
	var firstNotReady time.Time // the first answer of readyz saying the instance drains
	for _, ex := range log {
		if ex.err != nil {
			transportErrs++
			if transportErrs <= 5 {
				t.Errorf("%s started %s after SIGTERM: transport error: %v", ex.what, ex.start.Sub(sigterm), ex.err)
			}
			continue
		}
		if ex.what == "readyz" {
			switch {
			case ex.end.Before(sigterm) && ex.status == http.StatusOK:
				readyBefore++
			case ex.status == http.StatusServiceUnavailable && ex.draining:
				if firstNotReady.IsZero() || ex.end.Before(firstNotReady) {
					firstNotReady = ex.end
				}
			}
			continue
		}
		if ex.start.After(sigterm) {
			drained++
		}
		if ex.status != http.StatusOK && ex.status != http.StatusCreated {
			bad++
			if bad <= 5 {
				t.Errorf("%s started %s after SIGTERM: status %d", ex.what, ex.start.Sub(sigterm), ex.status)
			}
		}
	}
	readyAgain, kept := 0, 0
	for _, ex := range log {
		if ex.err != nil || firstNotReady.IsZero() || !ex.start.After(firstNotReady) {
			continue
		}
		// Once readiness says the instance drains, it says so until the end...
		if ex.what == "readyz" && !ex.draining {
			readyAgain++
		}
		// ...and every response asks its client to close the connection.
		if ex.what != "readyz" && ex.what != "slow" && !ex.closed {
			kept++
		}
	}
	t.Logf("%d requests, %d started during the drain (%d clients); transport errors %d; readyz 503 %s after SIGTERM; "+
		"load stopped %s after SIGTERM; listener closed by %s; slow request answered %d after %s; exit after %s",
		len(log), drained, clients, transportErrs, firstNotReady.Sub(sigterm), loadStopped.Sub(sigterm),
		refusedAt.Sub(sigterm), slowEx.status, slowEx.end.Sub(sigterm), exitedAt.Sub(sigterm))

	if readyBefore == 0 {
		t.Error("readyz never answered 200 before SIGTERM")
	}
	// At once: well before the drain is over, so that a load balancer has the rest of
	// it to notice. (The bound is loose for a loaded machine; it is typically ~10 ms.)
	if firstNotReady.IsZero() || firstNotReady.Sub(sigterm) > drain/2 {
		t.Errorf("readyz did not turn 503 within %s of SIGTERM (first after %s)", drain/2, firstNotReady.Sub(sigterm))
	}
	if readyAgain > 0 {
		t.Errorf("readyz answered %d times other than \"shutting down\" after it first did", readyAgain)
	}
	if kept > 0 {
		t.Errorf("%d responses sent while draining did not say Connection: close", kept)
	}
	if transportErrs > 0 {
		t.Errorf("%d requests got no HTTP answer (reset, refused or EOF)", transportErrs)
	}
	if drained < clients {
		t.Errorf("only %d requests were sent during the drain; the test did not load it", drained)
	}
	if refusedAt.IsZero() {
		t.Error("the listener never closed")
	} else if refusedAt.Sub(sigterm) < drain {
		t.Errorf("the listener closed %s after SIGTERM, before the %s drain was over", refusedAt.Sub(sigterm), drain)
	}
	if slowEx.err != nil || slowEx.status != http.StatusCreated {
		t.Errorf("the request in flight when the listener closed: %d %v", slowEx.status, slowEx.err)
	}
	var exit *exec.ExitError
	if exitErr != nil && !errors.As(exitErr, &exit) {
		t.Errorf("waiting for geopol serve: %v", exitErr)
	} else if exitErr != nil {
		t.Errorf("geopol serve exited with %v after SIGTERM", exitErr)
	}
	if t.Failed() {
		t.Logf("geopol serve's log (access log left out):\n%s", strings.TrimSpace(logs()))
	}
}
