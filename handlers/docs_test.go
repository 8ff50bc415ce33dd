package handlers_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"geopol/handlers"
)

func TestOpenAPIJSONIsServed(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	rec := e.do(http.MethodGet, "/api/v1/openapi.json", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("GET /api/v1/openapi.json: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "public, max-age=3600" {
		t.Errorf("Cache-Control %q", cc)
	}
	doc, err := openapi3.NewLoader().LoadFromData(rec.Body.Bytes())
	if err != nil {
		t.Fatalf("served JSON does not load: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Errorf("served JSON does not validate: %v", err)
	}
	if doc.Paths.Find("/api/v1/forecasts/{id}") == nil || doc.Components.Schemas["ScenarioDTO"] == nil {
		t.Errorf("served JSON lacks paths or schemas")
	}
	etag := rec.Header().Get("ETag")
	if again := e.do(http.MethodGet, "/api/v1/openapi.json", nil, "If-None-Match", etag); again.Code != http.StatusNotModified {
		t.Errorf("If-None-Match %s: %d, want 304", etag, again.Code)
	}
}

func TestDocsPageIsServed(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	rec := e.do(http.MethodGet, "/docs", nil)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /docs: %d %q", rec.Code, rec.Header().Get("Content-Type"))
	}
	page := rec.Body.String()
	if strings.Contains(page, "<script") || strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("/docs must be self-contained: no scripts, nothing loaded from elsewhere")
	}
	for _, id := range []string{"validation-failed", "not-found", "unauthorized", "too-many-requests", "conflict",
		"bad-request", "unsupported-media-type", "content-too-large", "method-not-allowed",
		"internal-server-error", "service-unavailable", "forbidden"} {
		if !strings.Contains(page, `id="problem-`+id+`"`) {
			t.Errorf("/docs has no element with id problem-%s", id)
		}
	}
	doc := mustContract(t).doc
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !strings.Contains(page, `id="op-`+op.OperationID+`"`) || !strings.Contains(page, path) {
				t.Errorf("/docs does not describe %s %s", method, path)
			}
		}
	}
	for name := range doc.Components.Schemas {
		if !strings.Contains(page, `id="schema-`+name+`"`) {
			t.Errorf("/docs does not describe schema %s", name)
		}
	}
	etag := rec.Header().Get("ETag")
	if again := e.do(http.MethodGet, "/docs", nil, "If-None-Match", etag); again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("If-None-Match %s: %d, want an empty 304", etag, again.Code)
	}
}

// The problem type of a real error response resolves to an anchor of /docs.
func TestProblemTypesLinkIntoDocs(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	page := e.do(http.MethodGet, "/docs", nil).Body.String()
	for _, path := range []string{"/api/v1/nope", "/api/v1/forecasts/top?limit=0"} {
		var p handlers.Problem
		if err := json.Unmarshal(e.do(http.MethodGet, path, nil).Body.Bytes(), &p); err != nil {
			t.Fatal(err)
		}
		frag, ok := strings.CutPrefix(p.Type, "/docs#")
		if !ok || !strings.Contains(page, `id="`+frag+`"`) {
			t.Errorf("%s: problem type %q is not an anchor of /docs", path, p.Type)
		}
	}
}
