package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// ServicesEnv names the variable that decides what a missing server means: "required"
// (CI) fails the test, anything else skips it.
const ServicesEnv = "GEOPOL_TEST_SERVICES"

// probe remembers, per test binary, whether a server answered, so that a missing server
// costs one connection attempt, not one per test.
type probe struct {
	once sync.Once
	err  error
}

var pgProbe, redisProbe probe

// RequirePostgres skips the test (fails it under GEOPOL_TEST_SERVICES=required) when the
// test PostgreSQL server does not answer.
func RequirePostgres(t testing.TB) {
	t.Helper()
	pgProbe.once.Do(probePostgres)
	need(t, pgProbe.err, "PostgreSQL", adminURL(), "TEST_DATABASE_URL")
}

// PostgresAnswers reports whether the test PostgreSQL server answers, without skipping:
// for fuzz targets, which check SQLite always and PostgreSQL too when it is there. Under
// GEOPOL_TEST_SERVICES=required a silent server fails t instead.
func PostgresAnswers(t testing.TB) bool {
	t.Helper()
	if os.Getenv(ServicesEnv) == "required" {
		RequirePostgres(t)
		return true
	}
	pgProbe.once.Do(probePostgres)
	return pgProbe.err == nil
}

func probePostgres() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	db, err := sql.Open("pgx", adminURL())
	if err == nil {
		err = db.PingContext(ctx)
		_ = db.Close()
	}
	pgProbe.err = err
}

// RequireRedis skips the test (fails it under GEOPOL_TEST_SERVICES=required) when the
// test Redis server does not answer.
func RequireRedis(t testing.TB) {
	t.Helper()
	redisProbe.once.Do(func() {
		opts, err := redis.ParseURL(redisURL())
		if err != nil {
			redisProbe.err = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		client := redis.NewClient(opts)
		redisProbe.err = client.Ping(ctx).Err()
		_ = client.Close()
	})
	need(t, redisProbe.err, "Redis", redisURL(), "TEST_REDIS_URL")
}

func need(t testing.TB, err error, service, rawURL, variable string) {
	t.Helper()
	if err == nil {
		return
	}
	reason := strings.Join(strings.Fields(err.Error()), " ") // one line, whatever the driver says
	msg := fmt.Sprintf("needs %s at %s (%s); start it or set %s", service, redact(rawURL), reason, variable)
	if os.Getenv(ServicesEnv) == "required" {
		t.Fatalf("%s=required: %s", ServicesEnv, msg)
	}
	t.Skip(msg)
}

// redact hides a password in a server URL.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Testdata returns the absolute path of a file under the module's testdata/ folder,
// found from the module root (the nearest directory above the working directory that
// holds go.mod), so every package's tests read the same copy.
func Testdata(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("storetest: no go.mod above the working directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "testdata", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("storetest: test data: %v", err)
	}
	return p
}

// GDELTSample is the real 2,111-row GDELT 2.0 export kept in testdata/gdelt; zipped
// selects the .zip GDELT publishes instead of the plain CSV.
func GDELTSample(t testing.TB, zipped bool) string {
	t.Helper()
	name := "gdelt/20191024143000.export.CSV"
	if zipped {
		name += ".zip"
	}
	return Testdata(t, name)
}
