package config

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func load(t *testing.T, yaml, dotenv string, environ ...string) (*Config, error) {
	t.Helper()
	dir := t.TempDir()
	opts := Options{ConfigFile: filepath.Join(dir, "none.yaml"), EnvFile: filepath.Join(dir, "none.env"), Environ: environ}
	if opts.Environ == nil {
		opts.Environ = []string{}
	}
	if yaml != "" {
		opts.ConfigFile = write(t, dir, "config.yaml", yaml)
	}
	if dotenv != "" {
		opts.EnvFile = write(t, dir, ".env", dotenv)
	}
	return Load(opts)
}

func TestDefaults(t *testing.T) {
	c, err := load(t, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.Environment != Development || c.HTTPAddr != ":8000" || c.UsesPostgres() || c.SQLitePath != "data/geopol.db" ||
		c.GDELTDBPath != "data/gdelt.db" || c.APIKeyHeader != "X-API-Key" || c.DBMaxOpenConns != 15 ||
		c.DBMaxIdleConns != 5 || c.DBConnLifetime != 30*time.Minute || c.RedisURL != "" || !c.AutoMigrate ||
		c.ShutdownDrain != 5*time.Second || c.ShutdownTimeout != 20*time.Second {
		t.Fatalf("unexpected defaults: %+v", c)
	}
}

// The abuse-protection settings have safe defaults and can be changed.
func TestRateLimitAndBodyDefaults(t *testing.T) {
	c, err := load(t, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.GCPercent != 400 {
		t.Fatalf("GC_PERCENT default %d, want 400", c.GCPercent)
	}
	if c.RateLimitPerMinute != 600 || c.RateLimitBurst != 60 || c.RateLimitPostPerMinute != 60 || c.MaxBodyBytes != 1<<20 {
		t.Fatalf("defaults: %d %d %d %d", c.RateLimitPerMinute, c.RateLimitBurst, c.RateLimitPostPerMinute, c.MaxBodyBytes)
	}
	c, err = load(t, "rate_limit_burst: 5\n", "", "RATE_LIMIT_PER_MINUTE=120", "RATE_LIMIT_POST_PER_MINUTE=10", "MAX_BODY_BYTES=4096")
	if err != nil {
		t.Fatal(err)
	}
	if c.RateLimitPerMinute != 120 || c.RateLimitBurst != 5 || c.RateLimitPostPerMinute != 10 || c.MaxBodyBytes != 4096 {
		t.Fatalf("overrides: %d %d %d %d", c.RateLimitPerMinute, c.RateLimitBurst, c.RateLimitPostPerMinute, c.MaxBodyBytes)
	}
}

// Each layer overrides the one below it: defaults < config.yaml < .env < environment.
func TestPrecedence(t *testing.T) {
	yaml := "http_addr: \":7001\"\nlog_level: debug\ndb_max_open_conns: 7\ncache_prefix: yaml\n"
	dotenv := "HTTP_ADDR=:7002\nLOG_LEVEL=warn\nPOSTGRES_PASSWORD=compose-only\n"
	c, err := load(t, yaml, dotenv, "HTTP_ADDR=:7003")
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != ":7003" {
		t.Errorf("environment should win: http_addr = %q", c.HTTPAddr)
	}
	if c.LogLevel.String() != "WARN" {
		t.Errorf(".env should beat config.yaml: log_level = %v", c.LogLevel)
	}
	if c.DBMaxOpenConns != 7 || c.CachePrefix != "yaml" {
		t.Errorf("config.yaml should beat defaults: %d %q", c.DBMaxOpenConns, c.CachePrefix)
	}
	if c.DBMaxIdleConns != 5 {
		t.Errorf("default should remain: %d", c.DBMaxIdleConns)
	}
}

// SHUTDOWN_DRAIN may be 0 (stop at once, for development); SHUTDOWN_TIMEOUT may not.
func TestShutdownSettings(t *testing.T) {
	c, err := load(t, "shutdown_drain: 0\n", "", "SHUTDOWN_TIMEOUT=45s")
	if err != nil {
		t.Fatal(err)
	}
	if c.ShutdownDrain != 0 || c.ShutdownTimeout != 45*time.Second {
		t.Fatalf("shutdown: drain %s, timeout %s", c.ShutdownDrain, c.ShutdownTimeout)
	}
	if c, err = load(t, "", "SHUTDOWN_DRAIN=0s\n"); err != nil || c.ShutdownDrain != 0 {
		t.Fatalf("SHUTDOWN_DRAIN=0s: %v %v", c, err)
	}
}

func TestAutoMigrateFollowsEnvironment(t *testing.T) {
	c, err := load(t, "", "", "ENVIRONMENT=production")
	if err != nil {
		t.Fatal(err)
	}
	if c.AutoMigrate {
		t.Error("auto_migrate must default to off in production")
	}
	c, err = load(t, "", "", "ENVIRONMENT=Production", "AUTO_MIGRATE=true")
	if err != nil {
		t.Fatal(err)
	}
	if !c.AutoMigrate || c.Environment != Production {
		t.Errorf("explicit AUTO_MIGRATE=true not honoured: %+v", c)
	}
}

func TestInvalidValuesNameTheKey(t *testing.T) {
	cases := []struct {
		env  string
		want string
	}{
		{"ENVIRONMENT=staging", "ENVIRONMENT:"},
		{"DATABASE_URL=mysql://x@h/db", "DATABASE_URL:"},
		{"DATABASE_URL=://nope", "DATABASE_URL:"},
		{"REDIS_URL=http://localhost:6379", "REDIS_URL:"},
		{"DB_MAX_OPEN_CONNS=-1", "DB_MAX_OPEN_CONNS:"},
		{"DB_MAX_IDLE_CONNS=-3", "DB_MAX_IDLE_CONNS:"},
		{"DB_MAX_OPEN_CONNS=lots", "DB_MAX_OPEN_CONNS:"},
		{"DB_CONN_MAX_LIFETIME=forever", "DB_CONN_MAX_LIFETIME:"},
		{"LOG_LEVEL=loud", "LOG_LEVEL:"},
		{"LOG_JSON=maybe", "LOG_JSON:"},
		{"AUTO_MIGRATE=sometimes", "AUTO_MIGRATE:"},
		{"API_KEY_HEADER=X Key", "API_KEY_HEADER:"},
		{"CORS_ORIGINS=not-an-origin", "CORS_ORIGINS:"},
		{"RATE_LIMIT_PER_MINUTE=0", "RATE_LIMIT_PER_MINUTE:"},
		{"RATE_LIMIT_PER_MINUTE=fast", "RATE_LIMIT_PER_MINUTE:"},
		{"RATE_LIMIT_BURST=-5", "RATE_LIMIT_BURST:"},
		{"RATE_LIMIT_POST_PER_MINUTE=0", "RATE_LIMIT_POST_PER_MINUTE:"},
		{"MAX_BODY_BYTES=10", "MAX_BODY_BYTES:"},
		{"MAX_BODY_BYTES=1MiB", "MAX_BODY_BYTES:"},
		{"GC_PERCENT=10", "GC_PERCENT:"},
		{"GC_PERCENT=off", "GC_PERCENT:"},
		{"SHUTDOWN_DRAIN=-1s", "SHUTDOWN_DRAIN:"},
		{"SHUTDOWN_DRAIN=soon", "SHUTDOWN_DRAIN:"},
		{"SHUTDOWN_TIMEOUT=0", "SHUTDOWN_TIMEOUT:"},
		{"GDELT_DATABASE_URL=sqlite://gdelt.db", "GDELT_DATABASE_URL:"},
		{"GDELT_RETENTION=two years", "GDELT_RETENTION:"},
		{"GDELT_RETENTION=0d", "GDELT_RETENTION:"},
		{"GDELT_RETENTION=1h", "GDELT_RETENTION:"},
		{"INGEST_HEARTBEAT_TIMEOUT=0", "INGEST_HEARTBEAT_TIMEOUT:"},
		{"INGEST_HEARTBEAT_TIMEOUT=often", "INGEST_HEARTBEAT_TIMEOUT:"},
	}
	for _, tc := range cases {
		_, err := load(t, "", "", tc.env)
		if err == nil {
			t.Errorf("%s: accepted", tc.env)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
			t.Errorf("%s: want one line naming %s, got %q", tc.env, tc.want, msg)
		}
	}
}

// The event store settings: GDELT_DATABASE_URL selects PostgreSQL and keeps its password
// out of the log; GDELT_RETENTION takes days or a duration; the heartbeat timeout
// defaults to two minutes.
func TestEventStoreSettings(t *testing.T) {
	c, err := load(t, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if c.GDELTDatabaseURL != "" || c.GDELTRetention != 0 || c.IngestHeartbeatTimeout != 2*time.Minute || c.GDELTLabel() != "sqlite:data/gdelt.db" {
		t.Fatalf("defaults: %q %v %v %q", c.GDELTDatabaseURL, c.GDELTRetention, c.IngestHeartbeatTimeout, c.GDELTLabel())
	}
	c, err = load(t, "gdelt_retention: 730d\n", "", "GDELT_DATABASE_URL=postgres://geopol:hunter2@events:5432/gdelt",
		"INGEST_HEARTBEAT_TIMEOUT=30s")
	if err != nil {
		t.Fatal(err)
	}
	if c.GDELTRetention != 730*24*time.Hour || c.IngestHeartbeatTimeout != 30*time.Second || c.GDELTLabel() != "postgres://events:5432/gdelt" {
		t.Fatalf("set: %v %v %q", c.GDELTRetention, c.IngestHeartbeatTimeout, c.GDELTLabel())
	}
	if got := c.LogValue().String(); strings.Contains(got, "hunter2") || !strings.Contains(got, "events:5432") {
		t.Errorf("log value: %s", got)
	}
	if d, err := ParseRetention("8760h"); err != nil || d != 365*24*time.Hour {
		t.Errorf("8760h: %v %v", d, err)
	}
}

func TestUnknownYAMLKeyIsRejected(t *testing.T) {
	_, err := load(t, "databse_url: postgres://x@h/db\n", "")
	if err == nil || !strings.Contains(err.Error(), "databse_url") {
		t.Fatalf("typo in config.yaml should be reported, got %v", err)
	}
}

func TestSecretsAreNotInLogValue(t *testing.T) {
	c, err := load(t, "", "", "DATABASE_URL=postgres://geopol:hunter2@db:5432/geopol?sslmode=disable&password=hunter2",
		"REDIS_URL=redis://:sekrit@cache:6379/0", "ADMIN_TOKEN=topsecret")
	if err != nil {
		t.Fatal(err)
	}
	got := c.LogValue().String()
	for _, secret := range []string{"hunter2", "sekrit", "topsecret"} {
		if strings.Contains(got, secret) {
			t.Errorf("log value leaks %q: %s", secret, got)
		}
	}
	if !strings.Contains(got, "db:5432") {
		t.Errorf("log value should still name the host: %s", got)
	}
}

// The repository's config.yaml and .env.example must list exactly the keys Load knows.
func TestShippedFilesDocumentEveryKey(t *testing.T) {
	for _, f := range []string{"../config.yaml", "../.env.example"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := string(b)
		for _, k := range Keys {
			name := k.Name
			if strings.HasSuffix(f, ".env.example") {
				name = strings.ToUpper(name)
			}
			if !strings.Contains(text, name) {
				t.Errorf("%s does not document %s", f, name)
			}
		}
	}
	// The shipped config.yaml must load as it is.
	if _, err := Load(Options{ConfigFile: "../config.yaml", EnvFile: "../.env.example", Environ: []string{}}); err != nil {
		t.Fatalf("shipped config.yaml/.env.example do not load: %v", err)
	}
}

// An unknown .env key is ignored, as before, but reported: one warning per key, with
// the file and, for a typo, the key probably meant. compose.yaml's own keys are not
// reported.
func TestUnknownDotenvKeyWarns(t *testing.T) {
	dotenv := "SQLITE_PAHT=/tmp/x.db\nREDIS_ULR=redis://h:6379/0\nFROBNICATE=1\nPOSTGRES_PASSWORD=compose-only\nHTTP_ADDR=:7002\n"
	c, err := load(t, "", dotenv)
	if err != nil {
		t.Fatal(err)
	}
	if c.SQLitePath != "data/geopol.db" || c.HTTPAddr != ":7002" {
		t.Fatalf("unknown keys must be ignored and known ones read: %+v", c)
	}
	want := []Warning{{Key: "FROBNICATE"}, {Key: "REDIS_ULR", Suggestion: "REDIS_URL"}, {Key: "SQLITE_PAHT", Suggestion: "SQLITE_PATH"}}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings %+v, want %+v", c.Warnings, want)
	}
	for i, w := range c.Warnings {
		if w.Key != want[i].Key || w.Suggestion != want[i].Suggestion || filepath.Base(w.File) != ".env" {
			t.Errorf("warning %d: %+v, want %+v in .env", i, w, want[i])
		}
	}

	var buf strings.Builder
	c.LogWarnings(slog.New(slog.NewTextHandler(&buf, nil)))
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("want one log line per key:\n%s", buf.String())
	}
	if l := lines[2]; !strings.Contains(l, "level=WARN") || !strings.Contains(l, ".env") ||
		!strings.Contains(l, "key=SQLITE_PAHT") || !strings.Contains(l, "did_you_mean=SQLITE_PATH") {
		t.Errorf("log line: %s", l)
	}
}

// Every key .env.example documents is either geopol's or one compose.yaml reads, so a
// copied .env.example starts without warnings.
func TestDotenvExampleHasNoUnknownKeys(t *testing.T) {
	b, err := os.ReadFile("../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	c, err := load(t, "", string(b))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Warnings) > 0 {
		t.Fatalf(".env.example has keys Load warns about: %+v", c.Warnings)
	}
}

// Outside development an admin token shorter than 32 characters stops start-up, naming
// the key; in development any token is accepted.
func TestAdminTokenLengthOutsideDevelopment(t *testing.T) {
	short := "ADMIN_TOKEN=" + strings.Repeat("x", MinAdminTokenLen-1)
	if _, err := load(t, "", "", "ENVIRONMENT=production", short); err == nil || !strings.Contains(err.Error(), "ADMIN_TOKEN") {
		t.Fatalf("a short production token: %v", err)
	}
	if _, err := load(t, "", "", "ENVIRONMENT=production", "ADMIN_TOKEN="+strings.Repeat("x", MinAdminTokenLen)); err != nil {
		t.Fatalf("a 32-character token: %v", err)
	}
	if _, err := load(t, "", "", "ENVIRONMENT=development", short); err != nil {
		t.Fatalf("development: %v", err)
	}
	if _, err := load(t, "", "", "ENVIRONMENT=production"); err != nil {
		t.Fatalf("no token (admin routes off): %v", err)
	}
}

func TestTrustedProxies(t *testing.T) {
	c, err := load(t, "", "", "TRUSTED_PROXIES=10.0.0.0/8, 192.0.2.10")
	if err != nil || len(c.TrustedProxies) != 2 || c.TrustedProxies[0] != "10.0.0.0/8" {
		t.Fatalf("%v %v", c, err)
	}
	if _, err := load(t, "", "", "TRUSTED_PROXIES=proxy.local"); err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES") {
		t.Fatalf("a host name: %v", err)
	}
}
