package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"geopol/apikey"
	"geopol/config"
	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

var printedKey = regexp.MustCompile(`gp_live_[0-9A-Za-z]{43}`)

// cliEnv points the commands at a fresh database and cache of this test's own (PostgreSQL
// and a Redis prefix when services is true, else a SQLite file and the in-process cache),
// with no config.yaml or .env, and returns the configuration they load.
func cliEnv(t *testing.T, services bool) *config.Config {
	t.Helper()
	dir := t.TempDir()
	env := map[string]string{
		"CONFIG_FILE": filepath.Join(dir, "absent.yaml"), "ENV_FILE": filepath.Join(dir, "absent.env"),
		"ENVIRONMENT": "testing", "AUTO_MIGRATE": "true", "DATABASE_URL": "", "REDIS_URL": "",
		"SQLITE_PATH": filepath.Join(dir, "geopol.db"), "GDELT_DB_PATH": filepath.Join(dir, "gdelt.db"),
	}
	if services {
		env["DATABASE_URL"], env["REDIS_URL"], env["CACHE_PREFIX"] = storetest.PostgresURL(t), storetest.RedisURL(t), storetest.RedisPrefix(t)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	cfg, err := config.Load(config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func runCLI(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

// The CLI creates a key an API process accepts, lists it without the key, and revokes
// it by prefix so that the API process, which has the lookup cached in Redis, refuses
// it on the next request.
func TestAPIKeyCLI(t *testing.T) {
	t.Run("postgres+redis", func(t *testing.T) { testAPIKeyCLI(t, cliEnv(t, true)) })
	t.Run("sqlite+memory", func(t *testing.T) { testAPIKeyCLI(t, cliEnv(t, false)) })
}

func testAPIKeyCLI(t *testing.T, cfg *config.Config) {
	out, logs, err := runCLI(t, "apikey", "create", "--client", "cli-test")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, logs)
	}
	key := printedKey.FindString(out)
	if key == "" || strings.Count(out, key) != 1 {
		t.Fatalf("create must print the key exactly once:\n%s", out)
	}
	prefix := key[:apikey.DisplayPrefixLen]

	db := storetest.Open(t, cfg)
	cache, err := store.OpenCache(cfg.RedisURL, cfg.CachePrefix)
	if err != nil {
		t.Fatal(err)
	}
	defer cache.Close()
	api := handlers.NewRouter(&handlers.Server{Config: cfg, DB: db, Cache: cache, Log: storetest.Logger()})
	call := func() int {
		req := httptest.NewRequest(http.MethodGet, "/api/v1/forecasts/top", nil)
		req.Header.Set("X-API-Key", key)
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		return rec.Code
	}
	if code := call(); code != http.StatusOK {
		t.Fatalf("new key: %d", code)
	}

	list, _, err := runCLI(t, "apikey", "list")
	if err != nil || !strings.Contains(list, prefix) || !strings.Contains(list, "cli-test") || strings.Contains(list, key) {
		t.Fatalf("list (%v):\n%s", err, list)
	}
	if _, _, err := runCLI(t, "apikey", "revoke", "gp_live_none"); err == nil {
		t.Error("revoking an unknown prefix succeeded")
	}
	out, revokeLogs, err := runCLI(t, "apikey", "revoke", prefix)
	if err != nil || !strings.Contains(out, "revoked") {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	// The API process learns of the revocation from the database within a second.
	for deadline := time.Now().Add(time.Second); ; time.Sleep(10 * time.Millisecond) {
		code := call()
		if code == http.StatusUnauthorized {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("revoked key a second later: %d", code)
		}
	}
	list, _, err = runCLI(t, "apikey", "list")
	if err != nil {
		t.Fatalf("list after revoke: %v", err)
	}
	// The key's row ends with its revocation time, where an active key shows "-".
	var revoked string
	for _, line := range strings.Split(list, "\n") {
		if f := strings.Fields(line); len(f) == 6 && f[1] == prefix {
			revoked = f[5]
		}
	}
	if _, err := time.Parse(time.RFC3339, revoked); err != nil {
		t.Errorf("the revoked key %s is not listed with its revocation time (%q):\n%s", prefix, revoked, list)
	}
	all := logs + revokeLogs
	if !strings.Contains(all, "api key created") || !strings.Contains(all, "api key revoked") || !strings.Contains(all, "actor=cli:") {
		t.Errorf("CLI actions are not logged with their actor:\n%s", all)
	}
	if strings.Contains(all, key[apikey.DisplayPrefixLen:]) {
		t.Errorf("the key was logged:\n%s", all)
	}
}

func TestAPIKeyCLIUsage(t *testing.T) {
	for _, args := range [][]string{{"apikey"}, {"apikey", "create"}, {"apikey", "revoke"}, {"apikey", "list", "x"}, {"apikey", "rotate"}} {
		if _, _, err := runCLI(t, args...); err == nil {
			t.Errorf("%v: accepted", args)
		}
	}
}

// In development, serve tells how to create a key while none exists.
func TestDevKeyHint(t *testing.T) {
	cfg := storetest.Config(t, "")
	db := storetest.Open(t, cfg)
	hint := func(env string) string {
		cfg.Environment = env
		var b bytes.Buffer
		devKeyHint(context.Background(), cfg, db, &b)
		return b.String()
	}
	if got := hint(config.Development); !strings.Contains(got, "go run . apikey create --client NAME") {
		t.Fatalf("no hint without keys: %q", got)
	}
	if got := hint(config.Production); got != "" {
		t.Errorf("hint outside development: %q", got)
	}
	if _, _, err := apikey.Create(context.Background(), db, "dev"); err != nil {
		t.Fatal(err)
	}
	if got := hint(config.Development); got != "" {
		t.Errorf("hint although a key exists: %q", got)
	}
}
