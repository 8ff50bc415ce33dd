package handlers_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"geopol/config"
	"geopol/handlers"
	"geopol/store"
	"geopol/store/storetest"
)

// Gin's debug mode only prints the route table of every router a test builds.
func init() { gin.SetMode(gin.TestMode) }

// responseCheckers run on every response a test gets through env.do; the OpenAPI
// conformance check registers itself here, so every response of the suite is validated.
var responseCheckers []func(t *testing.T, req *http.Request, body []byte, rec *httptest.ResponseRecorder)

// env is a router on real stores for one test.
type env struct {
	t      *testing.T
	cfg    *config.Config
	db     *gorm.DB
	cache  store.Cache
	server *handlers.Server
	router *gin.Engine
	// headers are sent with every request (for example the API key).
	headers http.Header
}

// backend names a database/cache pairing a test runs against.
type backend struct {
	name  string
	setup func(t *testing.T) (dbURL string, cache store.Cache)
}

// backends are the two real configurations: PostgreSQL + Redis, and the embedded
// default (SQLite + in-process cache).
var backends = []backend{
	{"postgres+redis", func(t *testing.T) (string, store.Cache) { return storetest.PostgresURL(t), storetest.Redis(t) }},
	{"sqlite+memory", func(t *testing.T) (string, store.Cache) { return "", store.NewMemoryCache("", 10_000) }},
}

// eachBackend runs f against both backends as subtests.
func eachBackend(t *testing.T, f func(t *testing.T, e *env)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			url, cache := b.setup(t)
			cfg := storetest.Config(t, url)
			// With PostgreSQL, the GDELT event store lives there too (GDELT_DATABASE_URL =
			// DATABASE_URL), so every event query runs on both event store backends.
			cfg.GDELTDatabaseURL = url
			f(t, newEnv(t, cfg, cache))
		})
	}
}

func newEnv(t *testing.T, cfg *config.Config, cache store.Cache) *env {
	t.Helper()
	db := storetest.Open(t, cfg)
	s := newServer(t, cfg, db, cache)
	e := &env{t: t, cfg: cfg, db: db, cache: cache, server: s, headers: http.Header{}}
	e.router = handlers.NewRouter(s)
	e.authorize()
	return e
}

// do sends a request through the real router and runs the response checkers.
func (e *env) do(method, path string, body []byte, header ...string) *httptest.ResponseRecorder {
	e.t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	rec := e.serve(req, header...)
	for _, check := range responseCheckers {
		check(e.t, req, body, rec)
	}
	return rec
}

// serve sends req through the router with the env's headers and the given header
// name/value pairs, without the response checkers.
func (e *env) serve(req *http.Request, header ...string) *httptest.ResponseRecorder {
	for k, v := range e.headers {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec
}

// getOK GETs path, fails the test unless the answer is 200, and decodes it.
func getOK[T any](e *env, path string) T {
	e.t.Helper()
	rec := e.do(http.MethodGet, path, nil)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	return decode[T](e.t, rec)
}

// decode unmarshals a response body, failing the test on error.
func decode[T any](t *testing.T, rec *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, rec.Body)
	}
	return v
}

// mustJSON encodes v.
func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sqliteConfig(t *testing.T) *config.Config { return storetest.Config(t, "") }

func memCache() store.Cache { return store.NewMemoryCache("", 10_000) }
