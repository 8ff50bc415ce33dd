// Package config loads geopol's settings with Viper, in one place.
//
// Precedence, lowest first: built-in defaults < config.yaml < .env < environment
// variables. Keys are flat: the YAML key `database_url` is the environment variable
// DATABASE_URL, so config.yaml, .env and the environment all speak one vocabulary.
// Every key is listed in Keys below and documented in config.yaml and .env.example.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

// MinAdminTokenLen is the shortest ADMIN_TOKEN accepted outside development.
const MinAdminTokenLen = 32

// Environment names accepted in ENVIRONMENT.
const (
	Development = "development"
	Production  = "production"
	Testing     = "testing"
)

// Config is the validated, typed configuration.
type Config struct {
	Environment string
	HTTPAddr    string

	// DatabaseURL selects PostgreSQL when it is a postgres:// URL; empty means the
	// embedded SQLite file at SQLitePath.
	DatabaseURL    string
	SQLitePath     string
	DBMaxOpenConns int
	DBMaxIdleConns int
	DBConnLifetime time.Duration
	DBQueryTimeout time.Duration
	AutoMigrate    bool

	// RedisURL selects Redis; empty means the in-process cache.
	RedisURL    string
	CachePrefix string

	GDELTDBPath string
	// GDELTDatabaseURL selects a PostgreSQL event store (the forecast database or
	// another); empty means the SQLite file at GDELTDBPath.
	GDELTDatabaseURL string
	// GDELTRetention is how long events are kept, by event date (SQLDATE): older
	// monthly partitions are dropped on PostgreSQL, older rows deleted in batches on
	// SQLite. Zero keeps everything.
	GDELTRetention time.Duration
	// IngestHeartbeatTimeout is how long a running ingest run may go without a
	// heartbeat before it is marked abandoned (its process died).
	IngestHeartbeatTimeout time.Duration
	// VerifyEvidenceEvents makes POST /forecasts check that cited GDELT events exist in
	// the event store (when it holds any events) and answer 422 for unknown ids.
	VerifyEvidenceEvents bool

	// Cache lifetimes: a single forecast (immutable once stored), list pages and
	// country summaries (which change as forecasts arrive and expire).
	CacheTTLForecast time.Duration
	CacheTTLList     time.Duration
	CacheTTLSummary  time.Duration

	APIKeyHeader string
	// AdminToken enables the admin routes; outside development it must be at least
	// MinAdminTokenLen characters.
	AdminToken  string
	CORSOrigins []string
	// TrustedProxies are the proxies (IPs or CIDRs) whose X-Forwarded-For names the
	// client address that failure throttling and admin limits key on; none by default,
	// so the address is the socket peer.
	TrustedProxies []string
	// AuthFailuresPerMinute failed credential attempts from one client address are
	// answered; more get 429 until the budget refills. AdminRateLimitPerMinute bounds
	// admin requests per client address.
	AuthFailuresPerMinute   int
	AdminRateLimitPerMinute int
	// CursorSecret is the key that authenticates pagination cursors (HMAC-SHA256). Empty:
	// one is generated once and kept in the forecast database, shared by every process.
	CursorSecret string

	// Per-API-key rate limits (GCRA). Reads and writes (POST/PUT/PATCH/DELETE) use
	// separate budgets; RateLimitBurst bounds how many requests may arrive at once.
	RateLimitPerMinute     int
	RateLimitBurst         int
	RateLimitPostPerMinute int
	// MaxBodyBytes bounds every request body; larger bodies are refused with 413.
	MaxBodyBytes int64

	// Outcomes and calibration: the GDELT resolution rule's thresholds (an event
	// counts with at least ResolveMinMentions mentions from ResolveMinSources sources)
	// and the guardrail on how far one calibration run may move a weight (relative).
	ResolveMinMentions   int
	ResolveMinSources    int
	CalibrationMaxChange float64

	// Shutdown on SIGTERM/SIGINT: for ShutdownDrain the server keeps serving while
	// /api/v1/readyz answers 503, so that a load balancer stops sending before the
	// listener closes; then requests in flight get up to ShutdownTimeout to finish.
	ShutdownDrain   time.Duration
	ShutdownTimeout time.Duration

	LogLevel slog.Level
	LogJSON  bool

	// MetricsAddr is the address of the Prometheus listener (GET /metrics) that serve
	// starts next to the API; empty serves no metrics.
	MetricsAddr string
	// ScorecardPublic serves the HTML scorecard page (/scorecard) without an API key.
	ScorecardPublic bool
	// GCPercent is the garbage collector's target that serve sets (as GOGC would) when
	// the GOGC environment variable is not set: heap growth allowed over the live heap
	// between collections, in percent.
	GCPercent int

	// Warnings are what Load noticed but did not refuse: keys of the .env file that
	// geopol does not know. LogWarnings writes them once a logger exists.
	Warnings []Warning
}

// Warning is an unknown key of a .env file, which Load ignored.
type Warning struct {
	File string // the .env file
	Key  string // the key as an environment variable name (upper case)
	// Suggestion is the known key it is probably a misspelling of, or "".
	Suggestion string
}

// ComposeKeys are the .env keys that only compose.yaml reads (.env is shared with
// Docker Compose): Load ignores them without a warning.
var ComposeKeys = []string{"POSTGRES_USER", "POSTGRES_DB", "POSTGRES_PASSWORD", "GEOPOL_PORT", "GDELT_LASTUPDATE_URL",
	"GEOPOL_METRICS_PORT"}

// LogWarnings writes one WARN line per warning: the file, the key and, when one is
// close, the key probably meant.
func (c *Config) LogWarnings(log *slog.Logger) {
	for _, w := range c.Warnings {
		args := []any{"file", w.File, "key", w.Key}
		if w.Suggestion != "" {
			args = append(args, "did_you_mean", w.Suggestion)
		}
		log.Warn("unknown key in the .env file, ignored", args...)
	}
}

// Key describes one setting: its flat name (YAML key; upper-cased, the environment
// variable), its default and whether it is a secret that must never be printed.
type Key struct {
	Name    string
	Default any
	Secret  bool
}

// Keys is every setting geopol reads.
var Keys = []Key{
	{Name: "environment", Default: Development},
	{Name: "http_addr", Default: ":8000"},
	{Name: "database_url", Default: "", Secret: true},
	{Name: "sqlite_path", Default: "data/geopol.db"},
	{Name: "db_max_open_conns", Default: 15},
	{Name: "db_max_idle_conns", Default: 5},
	{Name: "db_conn_max_lifetime", Default: "30m"},
	{Name: "db_query_timeout", Default: "10s"},
	{Name: "auto_migrate", Default: ""}, // empty: on in development, off elsewhere
	{Name: "redis_url", Default: "", Secret: true},
	{Name: "cache_prefix", Default: "geopol:"},
	{Name: "cache_ttl_forecast", Default: "10m"},
	{Name: "cache_ttl_list", Default: "30s"},
	{Name: "cache_ttl_summary", Default: "60s"},
	{Name: "gdelt_db_path", Default: "data/gdelt.db"},
	{Name: "gdelt_database_url", Default: "", Secret: true},
	{Name: "gdelt_retention", Default: ""},
	{Name: "ingest_heartbeat_timeout", Default: "2m"},
	{Name: "verify_evidence_events", Default: false},
	{Name: "api_key_header", Default: "X-API-Key"},
	{Name: "admin_token", Default: "", Secret: true},
	{Name: "cursor_secret", Default: "", Secret: true},
	{Name: "cors_origins", Default: ""},
	{Name: "trusted_proxies", Default: ""},
	{Name: "auth_failures_per_minute", Default: 20},
	{Name: "admin_rate_limit_per_minute", Default: 60},
	{Name: "rate_limit_per_minute", Default: 600},
	{Name: "rate_limit_burst", Default: 60},
	{Name: "rate_limit_post_per_minute", Default: 60},
	{Name: "max_body_bytes", Default: 1 << 20},
	{Name: "resolve_min_mentions", Default: 5},
	{Name: "resolve_min_sources", Default: 2},
	{Name: "calibration_max_change", Default: 0.25},
	{Name: "shutdown_drain", Default: "5s"},
	{Name: "shutdown_timeout", Default: "20s"},
	{Name: "log_level", Default: "info"},
	{Name: "log_json", Default: false},
	{Name: "metrics_addr", Default: ""},
	{Name: "scorecard_public", Default: false},
	{Name: "gc_percent", Default: 400},
}

// Options says where to look for files. Empty fields mean the defaults: config.yaml
// (or $CONFIG_FILE) and .env (or $ENV_FILE) in the working directory. A missing file
// is fine; an unreadable or malformed one is an error.
type Options struct {
	ConfigFile string
	EnvFile    string
	// Environ replaces os.Environ, for tests.
	Environ []string
}

// Load reads and validates the configuration.
func Load(opts Options) (*Config, error) {
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	env := envMap(environ)
	v := viper.New()
	for _, k := range Keys {
		v.SetDefault(k.Name, k.Default)
	}

	cfgFile := first(opts.ConfigFile, env["CONFIG_FILE"], "config.yaml")
	if _, err := mergeFile(v, cfgFile, "yaml"); err != nil {
		return nil, err
	}
	envFile := first(opts.EnvFile, env["ENV_FILE"], ".env")
	warnings, err := mergeFile(v, envFile, "env")
	if err != nil {
		return nil, err
	}
	// Real environment variables win over both files. Only known keys are read, so a
	// stray variable cannot inject settings.
	for _, k := range Keys {
		if val, ok := env[strings.ToUpper(k.Name)]; ok {
			v.Set(k.Name, val)
		}
	}
	c, err := build(v)
	if err != nil {
		return nil, err
	}
	c.Warnings = warnings
	return c, nil
}

// mergeFile merges the known keys of the file at path (absent is fine) into v. An
// unknown key is an error in config.yaml; in .env, which compose.yaml shares, it is
// ignored, and returned as a warning unless it is one of ComposeKeys.
func mergeFile(v *viper.Viper, path, kind string) ([]Warning, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	part := viper.New()
	part.SetConfigType(kind)
	if err := part.ReadConfig(f); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, k := range Keys {
		known[k.Name] = true
	}
	settings := map[string]any{}
	var warnings []Warning
	names := part.AllKeys()
	slices.Sort(names)
	for _, name := range names {
		if known[name] {
			settings[name] = part.Get(name)
			continue
		}
		if kind != "env" {
			return nil, fmt.Errorf("config: %s: unknown key %q%s", path, name, didYouMean(Suggest(name)))
		}
		if key := strings.ToUpper(name); !slices.Contains(ComposeKeys, key) {
			warnings = append(warnings, Warning{File: path, Key: key, Suggestion: strings.ToUpper(Suggest(name))})
		}
	}
	return warnings, v.MergeConfigMap(settings)
}

func didYouMean(key string) string {
	if key == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", key)
}

// Suggest returns the known key closest to name (either case) when it is at most two
// edits away, else "". The key comes back in name's case.
func Suggest(name string) string {
	lower := strings.ToLower(name)
	best, bestDist := "", 3
	for _, k := range Keys {
		if d := editDistance(lower, k.Name); d < bestDist {
			best, bestDist = k.Name, d
		}
	}
	if best != "" && name == strings.ToUpper(name) {
		return strings.ToUpper(best)
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func build(v *viper.Viper) (*Config, error) {
	c := &Config{
		Environment:      strings.ToLower(strings.TrimSpace(v.GetString("environment"))),
		HTTPAddr:         v.GetString("http_addr"),
		DatabaseURL:      strings.TrimSpace(v.GetString("database_url")),
		SQLitePath:       v.GetString("sqlite_path"),
		RedisURL:         strings.TrimSpace(v.GetString("redis_url")),
		CachePrefix:      v.GetString("cache_prefix"),
		GDELTDBPath:      v.GetString("gdelt_db_path"),
		GDELTDatabaseURL: strings.TrimSpace(v.GetString("gdelt_database_url")),
		APIKeyHeader:     strings.TrimSpace(v.GetString("api_key_header")),
		AdminToken:       v.GetString("admin_token"),
		CursorSecret:     v.GetString("cursor_secret"),
	}
	var problems []string
	bad := func(key string, format string, args ...any) {
		problems = append(problems, strings.ToUpper(key)+": "+fmt.Sprintf(format, args...))
	}

	switch c.Environment {
	case Development, Production, Testing:
	default:
		bad("environment", "must be development, production or testing, got %q", c.Environment)
	}
	if c.HTTPAddr == "" {
		bad("http_addr", "must not be empty")
	}
	if c.DatabaseURL != "" {
		if u, err := url.Parse(c.DatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("database_url", "must be a postgres://user@host:port/db URL (leave empty for the embedded SQLite database)")
		}
	} else if c.SQLitePath == "" {
		bad("sqlite_path", "must not be empty when DATABASE_URL is unset")
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			bad("redis_url", "must be a redis://host:port/db URL (leave empty for the in-process cache)")
		}
	}
	if b, err := parseBool(v.Get("verify_evidence_events")); err != nil {
		bad("verify_evidence_events", "must be true or false")
	} else {
		c.VerifyEvidenceEvents = b
	}
	if c.GDELTDatabaseURL != "" {
		if u, err := url.Parse(c.GDELTDatabaseURL); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			bad("gdelt_database_url", "must be a postgres://user@host:port/db URL (leave empty for the SQLite event store at GDELT_DB_PATH)")
		}
	} else if c.GDELTDBPath == "" {
		bad("gdelt_db_path", "must not be empty when GDELT_DATABASE_URL is unset")
	}
	if raw := strings.TrimSpace(fmt.Sprint(v.Get("gdelt_retention"))); raw != "" && raw != "0" {
		d, err := ParseRetention(raw)
		if err != nil {
			bad("gdelt_retention", "%v", err)
		}
		c.GDELTRetention = d
	}
	c.IngestHeartbeatTimeout = durationKey(v, "ingest_heartbeat_timeout", bad)
	c.DBMaxOpenConns = intKey(v, "db_max_open_conns", 1, bad)
	c.DBMaxIdleConns = intKey(v, "db_max_idle_conns", 0, bad)
	if c.DBMaxOpenConns > 0 && c.DBMaxIdleConns > c.DBMaxOpenConns {
		bad("db_max_idle_conns", "must not exceed DB_MAX_OPEN_CONNS (%d)", c.DBMaxOpenConns)
	}
	c.DBConnLifetime = durationKey(v, "db_conn_max_lifetime", bad)
	c.DBQueryTimeout = durationKey(v, "db_query_timeout", bad)
	c.CacheTTLForecast = durationKey(v, "cache_ttl_forecast", bad)
	c.CacheTTLList = durationKey(v, "cache_ttl_list", bad)
	c.CacheTTLSummary = durationKey(v, "cache_ttl_summary", bad)

	switch am := strings.ToLower(strings.TrimSpace(v.GetString("auto_migrate"))); am {
	case "":
		c.AutoMigrate = c.Environment == Development
	case "true", "1", "yes":
		c.AutoMigrate = true
	case "false", "0", "no":
		c.AutoMigrate = false
	default:
		bad("auto_migrate", "must be true or false, got %q", am)
	}
	if c.CursorSecret != "" && len(c.CursorSecret) < 32 {
		bad("cursor_secret", "must be at least 32 characters (or empty, to keep a generated one in the database)")
	}
	if c.APIKeyHeader == "" || strings.ContainsAny(c.APIKeyHeader, " :\t\r\n") {
		bad("api_key_header", "must be a valid HTTP header name")
	}
	for _, o := range strings.Split(v.GetString("cors_origins"), ",") {
		if o = strings.TrimSpace(o); o == "" {
			continue
		}
		if u, err := url.Parse(o); o != "*" && (err != nil || u.Scheme == "" || u.Host == "") {
			bad("cors_origins", "%q is not an origin like https://example.org", o)
		}
		c.CORSOrigins = append(c.CORSOrigins, o)
	}
	for _, p := range strings.Split(v.GetString("trusted_proxies"), ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			bad("trusted_proxies", "%q is not an IP address or CIDR range", p)
		}
		c.TrustedProxies = append(c.TrustedProxies, p)
	}
	if c.Environment != Development && c.AdminToken != "" && len(c.AdminToken) < MinAdminTokenLen {
		bad("admin_token", "must be at least %d characters outside development (it is a password for every admin route); generate one with: openssl rand -hex 32", MinAdminTokenLen)
	}
	c.AuthFailuresPerMinute = intKey(v, "auth_failures_per_minute", 1, bad)
	c.AdminRateLimitPerMinute = intKey(v, "admin_rate_limit_per_minute", 1, bad)
	c.RateLimitPerMinute = intKey(v, "rate_limit_per_minute", 1, bad)
	c.RateLimitBurst = intKey(v, "rate_limit_burst", 1, bad)
	c.RateLimitPostPerMinute = intKey(v, "rate_limit_post_per_minute", 1, bad)
	c.MaxBodyBytes = int64(intKey(v, "max_body_bytes", 1024, bad))
	c.ResolveMinMentions = intKey(v, "resolve_min_mentions", 1, bad)
	c.ResolveMinSources = intKey(v, "resolve_min_sources", 1, bad)
	c.CalibrationMaxChange = floatKey(v, "calibration_max_change", bad)
	c.ShutdownDrain = drainKey(v, "shutdown_drain", bad)
	c.ShutdownTimeout = durationKey(v, "shutdown_timeout", bad)
	if err := c.LogLevel.UnmarshalText([]byte(v.GetString("log_level"))); err != nil {
		bad("log_level", "must be debug, info, warn or error")
	}
	if b, err := parseBool(v.Get("log_json")); err != nil {
		bad("log_json", "must be true or false")
	} else {
		c.LogJSON = b
	}
	c.MetricsAddr = strings.TrimSpace(v.GetString("metrics_addr"))
	c.GCPercent = intKey(v, "gc_percent", 25, bad)
	if c.MetricsAddr != "" {
		if _, port, err := net.SplitHostPort(c.MetricsAddr); err != nil || port == "" {
			bad("metrics_addr", "must be host:port or :port such as 127.0.0.1:9090 (empty: no metrics listener), got %q", c.MetricsAddr)
		}
	}
	if b, err := parseBool(v.Get("scorecard_public")); err != nil {
		bad("scorecard_public", "must be true or false")
	} else {
		c.ScorecardPublic = b
	}
	if len(problems) > 0 {
		// One line, naming each offending key, so start-up logs show it whole.
		return nil, errors.New("invalid configuration: " + strings.Join(problems, "; "))
	}
	return c, nil
}

// LogValue implements slog.LogValuer: the settings worth seeing at start-up, with
// credentials removed from URLs and secrets left out entirely.
func (c *Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("environment", c.Environment),
		slog.String("http_addr", c.HTTPAddr),
		slog.String("database", c.DatabaseLabel()),
		slog.String("cache", redact(c.RedisURL, "in-process")),
		slog.String("gdelt_store", c.GDELTLabel()),
		slog.Bool("auto_migrate", c.AutoMigrate),
		slog.Bool("admin_routes", c.AdminToken != ""),
		slog.String("metrics_addr", c.MetricsAddr),
		slog.Int("gc_percent", c.GCPercent),
	)
}

// DatabaseLabel names the forecast database without credentials.
func (c *Config) DatabaseLabel() string {
	if c.UsesPostgres() {
		return redact(c.DatabaseURL, "")
	}
	return "sqlite:" + c.SQLitePath
}

// GDELTLabel names the event store without credentials.
func (c *Config) GDELTLabel() string {
	if c.GDELTDatabaseURL != "" {
		return redact(c.GDELTDatabaseURL, "")
	}
	return "sqlite:" + c.GDELTDBPath
}

// ParseRetention reads a retention period: whole days ("730d") or a Go duration of at
// least one day ("8760h").
func ParseRetention(raw string) (time.Duration, error) {
	raw = strings.TrimSpace(raw)
	if days, ok := strings.CutSuffix(raw, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return 0, fmt.Errorf("must be a whole number of days such as 730d, got %q", raw)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 24*time.Hour {
		return 0, fmt.Errorf("must be days such as 730d (or a duration of at least 24h), or empty to keep every event, got %q", raw)
	}
	return d, nil
}

// redact drops the user info and query (which may carry a password) from a URL.
func redact(raw, empty string) string {
	if raw == "" {
		return empty
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User = nil
	u.RawQuery = ""
	return u.String()
}

// UsesPostgres reports whether the forecast database is PostgreSQL.
func (c *Config) UsesPostgres() bool { return c.DatabaseURL != "" }

func intKey(v *viper.Viper, key string, min int, bad func(string, string, ...any)) int {
	var n int
	if _, err := fmt.Sscan(fmt.Sprint(v.Get(key)), &n); err != nil {
		bad(key, "must be a whole number, got %q", fmt.Sprint(v.Get(key)))
		return 0
	}
	if n < min {
		bad(key, "must be at least %d, got %d", min, n)
	}
	return n
}

// floatKey reads a positive number.
func floatKey(v *viper.Viper, key string, bad func(string, string, ...any)) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(fmt.Sprint(v.Get(key))), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f <= 0 {
		bad(key, "must be a positive number such as 0.25, got %q", fmt.Sprint(v.Get(key)))
	}
	return f
}

func durationKey(v *viper.Viper, key string, bad func(string, string, ...any)) time.Duration {
	d, err := time.ParseDuration(fmt.Sprint(v.Get(key)))
	if err != nil || d <= 0 {
		bad(key, "must be a positive duration such as 30s or 5m, got %q", fmt.Sprint(v.Get(key)))
	}
	return d
}

// drainKey reads a duration that may be zero (no drain at all).
func drainKey(v *viper.Viper, key string, bad func(string, string, ...any)) time.Duration {
	raw := strings.TrimSpace(fmt.Sprint(v.Get(key)))
	if raw == "0" {
		return 0
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < 0 {
		bad(key, "must be a duration such as 5s, or 0 for none, got %q", raw)
	}
	return d
}

func parseBool(x any) (bool, error) {
	switch s := strings.ToLower(strings.TrimSpace(fmt.Sprint(x))); s {
	case "true", "1", "yes":
		return true, nil
	case "false", "0", "no", "":
		return false, nil
	default:
		return false, fmt.Errorf("not a boolean: %q", s)
	}
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok {
			m[k] = val
		}
	}
	return m
}

func first(vals ...string) string {
	for _, s := range vals {
		if s != "" {
			return s
		}
	}
	return ""
}
