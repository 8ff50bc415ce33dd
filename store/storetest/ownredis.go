package storetest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// OwnRedis is a redis-server process of one test's own, on a free loopback port, for
// tests that kill Redis and bring it back (never the shared test Redis). It keeps
// nothing on disk. The test skips when redis-server is not installed (fails under
// GEOPOL_TEST_SERVICES=required); the process is killed when the test ends.
type OwnRedis struct {
	t    testing.TB
	port int
	cmd  *exec.Cmd
}

// StartRedis starts a private redis-server.
func StartRedis(t testing.TB) *OwnRedis {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		msg := "needs redis-server on PATH, to run a Redis of its own (apt-get install redis-server)"
		if os.Getenv(ServicesEnv) == "required" {
			t.Fatalf("%s=required: %s", ServicesEnv, msg)
		}
		t.Skip(msg)
	}
	r := &OwnRedis{t: t, port: FreePort(t)}
	r.Start()
	t.Cleanup(r.Stop)
	return r
}

// URL is the private Redis's URL (database 0).
func (r *OwnRedis) URL() string { return fmt.Sprintf("redis://127.0.0.1:%d/0", r.port) }

// Addr is its host:port.
func (r *OwnRedis) Addr() string { return "127.0.0.1:" + strconv.Itoa(r.port) }

// Start starts redis-server on the port (again, after Stop) and waits until it answers.
func (r *OwnRedis) Start() {
	r.t.Helper()
	if r.cmd != nil {
		r.t.Fatal("storetest: own Redis already running")
	}
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	cmd.Stdout, cmd.Stderr = nil, nil
	if err := cmd.Start(); err != nil {
		r.t.Fatalf("storetest: start redis-server: %v", err)
	}
	r.cmd = cmd
	client := redis.NewClient(&redis.Options{Addr: r.Addr(), MaxRetries: -1})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("storetest: own redis-server on %s does not answer: %v", r.Addr(), err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills redis-server at once (SIGKILL: no goodbye to its clients) and waits for it.
func (r *OwnRedis) Stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Signal(syscall.SIGKILL)
	_ = r.cmd.Wait()
	r.cmd = nil
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
