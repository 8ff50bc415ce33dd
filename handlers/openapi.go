package handlers

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"

	"geopol/apidoc"
)

// openAPIYAML is the API's contract, written by hand and checked against every response
// of the test suite (openapi_test.go).
//
//go:embed openapi.yaml
var openAPIYAML []byte

// cacheDocs lets browsers and shared caches keep the specification and the reference
// page for an hour; they only change with a new binary.
const cacheDocs = "public, max-age=3600"

// LoadOpenAPI parses the embedded specification into a fresh document (callers may
// change it) and validates it.
func LoadOpenAPI() (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("openapi.yaml is not a valid OpenAPI document: %w", err)
	}
	return doc, nil
}

// staticDoc is a response computed once: its body, media type and strong ETag.
type staticDoc struct {
	body        []byte
	contentType string
	etag        string
	html        bool
}

// builtDocs are the public documentation responses.
type builtDocs struct {
	spec staticDoc // GET /api/v1/openapi.json
	page staticDoc // GET /docs
}

// apiDocs builds the documentation on first use, which is start-up: NewRouter serves it
// and stops start-up if the embedded specification does not load (a build defect).
var apiDocs = sync.OnceValues(func() (*builtDocs, error) {
	doc, err := LoadOpenAPI()
	if err != nil {
		return nil, err
	}
	specJSON, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml to JSON: %w", err)
	}
	page, err := apidoc.Render(doc)
	if err != nil {
		return nil, err
	}
	return &builtDocs{
		spec: staticDoc{body: specJSON, contentType: "application/json; charset=utf-8", etag: etagOf(specJSON)},
		page: staticDoc{body: page, contentType: "text/html; charset=utf-8", etag: etagOf(page), html: true},
	}, nil
})

// serveStatic answers with a precomputed document, or 304 when the client's
// If-None-Match still matches it.
func serveStatic(d staticDoc) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Header("ETag", d.etag)
		c.Header("Cache-Control", cacheDocs)
		if d.html {
			// The reference page loads nothing from anywhere: no scripts, inline styles only.
			c.Header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'")
		}
		if etagMatches(c.GetHeader("If-None-Match"), d.etag) {
			c.Status(http.StatusNotModified)
			return
		}
		c.Data(http.StatusOK, d.contentType, d.body)
	}
}
