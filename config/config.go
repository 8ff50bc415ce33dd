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
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
)

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
	// VerifyEvidenceEvents makes POST /forecasts check that cited GDELT events exist in
	// the event store (when it holds any events) and answer 422 for unknown ids.
	VerifyEvidenceEvents bool

	// Cache lifetimes: a single forecast (immutable once stored), list pages and
	// country summaries (which change as forecasts arrive and expire).
	CacheTTLForecast time.Duration
	CacheTTLList     time.Duration
	CacheTTLSummary  time.Duration

	APIKeyHeader string
	AdminToken   string
	CORSOrigins  []string
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

	LogLevel slog.Level
	LogJSON  bool
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
	{Name: "verify_evidence_events", Default: false},
	{Name: "api_key_header", Default: "X-API-Key"},
	{Name: "admin_token", Default: "", Secret: true},
	{Name: "cursor_secret", Default: "", Secret: true},
	{Name: "cors_origins", Default: ""},
	{Name: "rate_limit_per_minute", Default: 600},
	{Name: "rate_limit_burst", Default: 60},
	{Name: "rate_limit_post_per_minute", Default: 60},
	{Name: "max_body_bytes", Default: 1 << 20},
	{Name: "resolve_min_mentions", Default: 5},
	{Name: "resolve_min_sources", Default: 2},
	{Name: "calibration_max_change", Default: 0.25},
	{Name: "log_level", Default: "info"},
	{Name: "log_json", Default: false},
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
	if err := mergeFile(v, cfgFile, "yaml"); err != nil {
		return nil, err
	}
	envFile := first(opts.EnvFile, env["ENV_FILE"], ".env")
	if err := mergeFile(v, envFile, "env"); err != nil {
		return nil, err
	}
	// Real environment variables win over both files. Only known keys are read, so a
	// stray variable cannot inject settings.
	for _, k := range Keys {
		if val, ok := env[strings.ToUpper(k.Name)]; ok {
			v.Set(k.Name, val)
		}
	}
	return build(v)
}

func mergeFile(v *viper.Viper, path, kind string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	part := viper.New()
	part.SetConfigType(kind)
	if err := part.ReadConfig(f); err != nil {
		return fmt.Errorf("config: %s: %w", path, err)
	}
	known := map[string]bool{}
	for _, k := range Keys {
		known[k.Name] = true
	}
	settings := map[string]any{}
	for _, name := range part.AllKeys() {
		if !known[name] {
			if kind == "env" {
				continue // .env is shared with compose (POSTGRES_PASSWORD, ...)
			}
			return fmt.Errorf("config: %s: unknown key %q", path, name)
		}
		settings[name] = part.Get(name)
	}
	return v.MergeConfigMap(settings)
}

func build(v *viper.Viper) (*Config, error) {
	c := &Config{
		Environment:  strings.ToLower(strings.TrimSpace(v.GetString("environment"))),
		HTTPAddr:     v.GetString("http_addr"),
		DatabaseURL:  strings.TrimSpace(v.GetString("database_url")),
		SQLitePath:   v.GetString("sqlite_path"),
		RedisURL:     strings.TrimSpace(v.GetString("redis_url")),
		CachePrefix:  v.GetString("cache_prefix"),
		GDELTDBPath:  v.GetString("gdelt_db_path"),
		APIKeyHeader: strings.TrimSpace(v.GetString("api_key_header")),
		AdminToken:   v.GetString("admin_token"),
		CursorSecret: v.GetString("cursor_secret"),
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
	if c.GDELTDBPath == "" {
		bad("gdelt_db_path", "must not be empty")
	}
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
	c.RateLimitPerMinute = intKey(v, "rate_limit_per_minute", 1, bad)
	c.RateLimitBurst = intKey(v, "rate_limit_burst", 1, bad)
	c.RateLimitPostPerMinute = intKey(v, "rate_limit_post_per_minute", 1, bad)
	c.MaxBodyBytes = int64(intKey(v, "max_body_bytes", 1024, bad))
	c.ResolveMinMentions = intKey(v, "resolve_min_mentions", 1, bad)
	c.ResolveMinSources = intKey(v, "resolve_min_sources", 1, bad)
	c.CalibrationMaxChange = floatKey(v, "calibration_max_change", bad)
	if err := c.LogLevel.UnmarshalText([]byte(v.GetString("log_level"))); err != nil {
		bad("log_level", "must be debug, info, warn or error")
	}
	if b, err := parseBool(v.Get("log_json")); err != nil {
		bad("log_json", "must be true or false")
	} else {
		c.LogJSON = b
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
		slog.String("gdelt_db_path", c.GDELTDBPath),
		slog.Bool("auto_migrate", c.AutoMigrate),
		slog.Bool("admin_routes", c.AdminToken != ""),
	)
}

// DatabaseLabel names the forecast database without credentials.
func (c *Config) DatabaseLabel() string {
	if c.UsesPostgres() {
		return redact(c.DatabaseURL, "")
	}
	return "sqlite:" + c.SQLitePath
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
