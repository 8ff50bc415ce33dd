package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"geopol/handlers"
)

// The conformance check: every response a test gets through env.do is validated against
// handlers/openapi.yaml (status declared, headers, body schema), so the specification
// cannot drift from what the handlers send.

func init() { responseCheckers = append(responseCheckers, checkConformance) }

// exercised records "METHOD /path/{param} status" for every checked response, so the
// tour can tell that every documented operation was validated at least once.
var exercised sync.Map

// contract is the specification, its router and the problem types it documents.
type contract struct {
	doc      *openapi3.T
	router   routers.Router
	problems map[string]string // type URI -> title
	fallback *openapi3.Operation
}

var loadContract = sync.OnceValues(func() (*contract, error) {
	doc, err := handlers.LoadOpenAPI()
	if err != nil {
		return nil, err
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, err
	}
	c := &contract{doc: doc, router: router, problems: map[string]string{}}
	for _, ref := range doc.Components.Responses {
		if title, ok := ref.Value.Extensions["x-problem-title"].(string); ok {
			c.problems["/docs#problem-"+strings.ToLower(strings.ReplaceAll(title, " ", "-"))] = title
		}
	}
	// Requests no operation matches are answered by the router and the middleware: 404
	// for unknown paths, 405 for undeclared methods, and CORS preflights (204, or 403 for
	// an origin that is not allowed), as the specification's description says.
	preflight := openapi3.NewResponse().WithDescription("CORS preflight answered")
	c.fallback = openapi3.NewOperation()
	c.fallback.Responses = openapi3.NewResponses(
		openapi3.WithStatus(http.StatusNoContent, &openapi3.ResponseRef{Value: preflight}),
		openapi3.WithStatus(http.StatusForbidden, doc.Components.Responses["Forbidden"]),
		openapi3.WithStatus(http.StatusNotFound, doc.Components.Responses["NotFound"]),
		openapi3.WithStatus(http.StatusMethodNotAllowed, doc.Components.Responses["MethodNotAllowed"]),
	)
	return c, nil
})

func mustContract(t *testing.T) *contract {
	t.Helper()
	c, err := loadContract()
	if err != nil {
		t.Fatalf("load openapi.yaml: %v", err)
	}
	return c
}

// checkConformance validates one recorded exchange against the specification.
func checkConformance(t *testing.T, req *http.Request, _ []byte, rec *httptest.ResponseRecorder) {
	t.Helper()
	c := mustContract(t)
	where := req.Method + " " + req.URL.RequestURI() + " -> " + strconv.Itoa(rec.Code)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		preflight := req.Method == http.MethodOptions && req.Header.Get("Access-Control-Request-Method") != ""
		fallback := rec.Code == http.StatusNotFound || rec.Code == http.StatusMethodNotAllowed ||
			(preflight && (rec.Code == http.StatusNoContent || rec.Code == http.StatusForbidden))
		if !fallback {
			t.Errorf("openapi: %s: the request matches no documented operation (%v)", where, err)
			return
		}
		route = &routers.Route{Spec: c.doc, Path: req.URL.Path, Method: req.Method, Operation: c.fallback}
	}
	if err == nil {
		exercised.Store(route.Method+" "+route.Path+" "+strconv.Itoa(rec.Code), true)
	}
	if route.Operation.Responses.Status(rec.Code) == nil {
		t.Errorf("openapi: %s: status %d is not declared for %s %s", where, rec.Code, route.Method, route.Path)
		return
	}
	body := rec.Body.Bytes()
	if rec.Code == http.StatusNotModified && len(body) != 0 {
		t.Errorf("openapi: %s: a 304 must not have a body, got %q", where, body)
	}
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 rec.Code,
		Header:                 rec.Header(),
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			// Authentication is the handlers' business; the check is about shapes.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), input); err != nil {
		t.Errorf("openapi: %s: response does not match the specification:\n%s\nbody: %.600s", where, describeErr(err), body)
		return
	}
	if strings.HasPrefix(rec.Header().Get("Content-Type"), handlers.ProblemContentType) {
		var p handlers.Problem
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("openapi: %s: problem body: %v", where, err)
			return
		}
		if title, ok := c.problems[p.Type]; !ok || title != p.Title || p.Status != rec.Code {
			t.Errorf("openapi: %s: problem type %q (title %q, status %d) is not a documented problem class", where, p.Type, p.Title, p.Status)
		}
	}
}

// describeErr lists kin-openapi's findings one per line, by JSON pointer, without the
// schema dumps its messages carry.
func describeErr(err error) string {
	var b strings.Builder
	var walk func(err error)
	walk = func(err error) {
		var multi openapi3.MultiError
		var schema *openapi3.SchemaError
		var resp *openapi3filter.ResponseError
		switch {
		case errors.As(err, &multi):
			for _, e := range multi {
				walk(e)
			}
		case errors.As(err, &schema):
			fmt.Fprintf(&b, "  - at /%s: %s\n", strings.Join(schema.JSONPointer(), "/"), schema.Reason)
		case errors.As(err, &resp) && resp.Err != nil:
			fmt.Fprintf(&b, "  - %s\n", resp.Reason)
			walk(resp.Err)
		default:
			fmt.Fprintf(&b, "  - %v\n", err)
		}
	}
	walk(err)
	return b.String()
}

func TestOpenAPISpecIsValid(t *testing.T) {
	c := mustContract(t)
	if err := c.doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if c.doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi version %q, want 3.0.3", c.doc.OpenAPI)
	}
	for _, title := range []string{"Validation Failed", "Not Found", "Unauthorized", "Too Many Requests", "Conflict",
		"Bad Request", "Unsupported Media Type", "Content Too Large", "Method Not Allowed",
		"Internal Server Error", "Service Unavailable", "Forbidden"} {
		if _, ok := c.problems["/docs#problem-"+strings.ToLower(strings.ReplaceAll(title, " ", "-"))]; !ok {
			t.Errorf("problem class %q is not documented in components.responses", title)
		}
	}
}

// Every route the engine serves is in the specification, and every documented
// operation is served: neither can be added without the other.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	cfg := sqliteConfig(t)
	cfg.AdminToken = "test-admin-token-0123456789abcdef" // admin routes exist only with a token
	e := newEnv(t, cfg, memCache())
	served := map[string]bool{}
	heads := map[string]bool{}
	for _, r := range e.router.Routes() {
		if r.Method == "HEAD" { // implied by GET: every GET route answers HEAD
			heads[ginToOpenAPI(r.Path)] = true
			continue
		}
		served[r.Method+" "+ginToOpenAPI(r.Path)] = true
	}
	for r := range served {
		if method, path, _ := strings.Cut(r, " "); method == "GET" && !heads[path] {
			t.Errorf("GET %s does not answer HEAD", path)
		}
	}
	documented := map[string]bool{}
	for path, item := range mustContract(t).doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	for r := range served {
		if !documented[r] {
			t.Errorf("route %s is served but not documented in handlers/openapi.yaml", r)
		}
	}
	for r := range documented {
		if !served[r] {
			t.Errorf("operation %s is documented in handlers/openapi.yaml but not served", r)
		}
	}
}

// ginToOpenAPI turns /forecasts/:id into /forecasts/{id}.
func ginToOpenAPI(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") {
			parts[i] = "{" + p[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}
