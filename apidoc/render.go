// Package apidoc renders an OpenAPI 3 document as one self-contained HTML reference page
// (no scripts, nothing loaded from elsewhere): endpoints with their parameters and
// statuses, schemas, and a "Problem types" section that problem documents link to.
package apidoc

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

//go:embed docs.html.tmpl
var docsTemplateText string

var docsTemplate = template.Must(template.New("docs").Parse(docsTemplateText))

// The view model of docs.html.tmpl.
type (
	docsPage struct {
		Title, Version string
		Description    template.HTML
		Security       []docsNamed
		Endpoints      []docsEndpoint
		Schemas        []docsSchema
		Problems       []docsProblem
	}
	docsNamed struct {
		Name        string
		Description template.HTML
	}
	docsEndpoint struct {
		Anchor, Method, Path, Summary, Auth string
		Description                         template.HTML
		Params                              []docsField
		Body                                *docsType
		Responses                           []docsResponse
	}
	docsResponse struct {
		Status, Media, ProblemAnchor string
		Description                  template.HTML
		Schema                       *docsType
		Headers                      []string
	}
	// docsType is a schema's type in words; Ref names the component schema it links to.
	docsType  struct{ Text, Ref string }
	docsField struct {
		Name, In, Constraints string
		Type                  docsType
		Required, Nullable    bool
		Description           template.HTML
	}
	docsSchema struct {
		Name        string
		Description template.HTML
		Fields      []docsField
		Type        docsType
	}
	docsProblem struct {
		Anchor, Title string
		Status        int
		Description   template.HTML
	}
)

var methodOrder = []string{"GET", "POST", "PUT", "PATCH", "DELETE"}

// Render builds the reference page from the specification. Problems are the responses
// that carry x-problem-title and x-problem-status extensions; each gets the anchor
// ProblemAnchor names.
func Render(doc *openapi3.T) ([]byte, error) {
	page := docsPage{Title: doc.Info.Title, Version: doc.Info.Version, Description: prose(doc.Info.Description)}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.SecuritySchemes)) {
		page.Security = append(page.Security, docsNamed{name, prose(doc.Components.SecuritySchemes[name].Value.Description)})
	}
	paths := doc.Paths.Map()
	for _, path := range slices.Sorted(maps.Keys(paths)) {
		ops := paths[path].Operations()
		for _, method := range methodOrder {
			if op := ops[method]; op != nil {
				page.Endpoints = append(page.Endpoints, docsEndpointOf(doc, method, path, op))
			}
		}
	}
	for _, name := range slices.Sorted(maps.Keys(doc.Components.Schemas)) {
		page.Schemas = append(page.Schemas, docsSchemaOf(name, doc.Components.Schemas[name].Value))
	}
	for _, ref := range doc.Components.Responses {
		if title, ok := ref.Value.Extensions["x-problem-title"].(string); ok {
			status, _ := strconv.Atoi(fmt.Sprint(ref.Value.Extensions["x-problem-status"]))
			page.Problems = append(page.Problems, docsProblem{
				Anchor: ProblemAnchor(title), Title: title, Status: status, Description: prose(*ref.Value.Description),
			})
		}
	}
	sort.Slice(page.Problems, func(i, j int) bool { return page.Problems[i].Status < page.Problems[j].Status })
	var buf bytes.Buffer
	if err := docsTemplate.Execute(&buf, page); err != nil {
		return nil, fmt.Errorf("render /docs: %w", err)
	}
	return buf.Bytes(), nil
}

// ProblemAnchor is the page fragment that documents a problem class:
// "Validation Failed" -> "problem-validation-failed".
func ProblemAnchor(title string) string {
	return "problem-" + strings.ToLower(strings.ReplaceAll(title, " ", "-"))
}

func docsEndpointOf(doc *openapi3.T, method, path string, op *openapi3.Operation) docsEndpoint {
	e := docsEndpoint{
		Anchor: "op-" + op.OperationID, Method: method, Path: path,
		Summary: op.Summary, Description: prose(op.Description), Auth: "public",
	}
	security := doc.Security
	if op.Security != nil {
		security = *op.Security
	}
	var schemes []string
	for _, req := range security {
		schemes = append(schemes, slices.Sorted(maps.Keys(req))...)
	}
	if len(schemes) > 0 {
		e.Auth = strings.Join(schemes, " or ")
	}
	for _, p := range op.Parameters {
		e.Params = append(e.Params, docsFieldOf(p.Value.Name, p.Value.Schema, p.Value.Required, prose(p.Value.Description), p.Value.In))
	}
	if op.RequestBody != nil {
		for _, mt := range op.RequestBody.Value.Content {
			t := typeOf(mt.Schema)
			e.Body = &t
		}
	}
	responses := op.Responses.Map()
	for _, status := range slices.Sorted(maps.Keys(responses)) {
		ref := responses[status]
		r := docsResponse{Status: status, Description: prose(*ref.Value.Description)}
		if title, ok := ref.Value.Extensions["x-problem-title"].(string); ok {
			r.ProblemAnchor = ProblemAnchor(title)
		}
		for media, mt := range ref.Value.Content {
			r.Media = media
			if mt.Schema != nil {
				t := typeOf(mt.Schema)
				r.Schema = &t
			}
		}
		r.Headers = slices.Sorted(maps.Keys(ref.Value.Headers))
		e.Responses = append(e.Responses, r)
	}
	return e
}

func docsSchemaOf(name string, s *openapi3.Schema) docsSchema {
	out := docsSchema{Name: name, Description: prose(s.Description), Type: typeOf(&openapi3.SchemaRef{Value: s})}
	for _, prop := range slices.Sorted(maps.Keys(s.Properties)) {
		out.Fields = append(out.Fields, docsFieldOf(prop, s.Properties[prop], slices.Contains(s.Required, prop), prose(s.Properties[prop].Value.Description), ""))
	}
	return out
}

func docsFieldOf(name string, ref *openapi3.SchemaRef, required bool, desc template.HTML, in string) docsField {
	f := docsField{Name: name, In: in, Required: required, Description: desc, Type: typeOf(ref)}
	if ref == nil || ref.Value == nil {
		return f
	}
	s := ref.Value
	f.Nullable = s.Nullable
	var c []string
	if len(s.Enum) > 0 {
		c = append(c, "one of "+strings.Trim(fmt.Sprint(s.Enum), "[]"))
	}
	if s.Min != nil || s.Max != nil {
		c = append(c, rangeText(s))
	}
	if s.MinLength > 0 || s.MaxLength != nil {
		c = append(c, fmt.Sprintf("length %d..%s", s.MinLength, optUint(s.MaxLength)))
	}
	if s.MaxItems != nil {
		c = append(c, fmt.Sprintf("at most %d items", *s.MaxItems))
	}
	if s.Pattern != "" {
		c = append(c, "pattern "+s.Pattern)
	}
	if s.Default != nil {
		c = append(c, fmt.Sprintf("default %v", s.Default))
	}
	f.Constraints = strings.Join(c, "; ")
	return f
}

// typeOf describes a schema in a few words, linking named component schemas.
func typeOf(ref *openapi3.SchemaRef) docsType {
	if ref == nil || ref.Value == nil {
		return docsType{Text: "any"}
	}
	if ref.Ref != "" {
		name := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
		return docsType{Text: name, Ref: name}
	}
	s := ref.Value
	switch {
	case len(s.AllOf) == 1 && s.Type == nil:
		return typeOf(s.AllOf[0])
	case s.Type.Is("array"):
		inner := typeOf(s.Items)
		return docsType{Text: "array of " + inner.Text, Ref: inner.Ref}
	case s.Type.Is("object") && s.AdditionalProperties.Schema != nil:
		inner := typeOf(s.AdditionalProperties.Schema)
		return docsType{Text: "map of string to " + inner.Text, Ref: inner.Ref}
	}
	t := strings.Join(s.Type.Slice(), "|")
	if s.Format != "" {
		t += " (" + s.Format + ")"
	}
	return docsType{Text: t}
}

// rangeText writes numeric bounds in interval notation: [0, 1], (0, 100], [0, ∞).
func rangeText(s *openapi3.Schema) string {
	lo, hi := "(-∞", "∞)"
	if s.Min != nil {
		lo = "[" + strconv.FormatFloat(*s.Min, 'g', -1, 64)
		if s.ExclusiveMin.IsTrue() {
			lo = "(" + lo[1:]
		}
	}
	if s.Max != nil {
		hi = strconv.FormatFloat(*s.Max, 'g', -1, 64) + "]"
		if s.ExclusiveMax.IsTrue() {
			hi = hi[:len(hi)-1] + ")"
		}
	}
	return "range " + lo + ", " + hi
}

func optUint(v *uint64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatUint(*v, 10)
}

var codeSpan = regexp.MustCompile("`([^`]+)`")

// prose renders the specification's descriptions: paragraphs split on blank lines and
// `code` spans; everything else is escaped text.
func prose(s string) template.HTML {
	var b strings.Builder
	for _, para := range strings.Split(strings.TrimSpace(s), "\n\n") {
		if para = strings.TrimSpace(para); para != "" {
			b.WriteString("<p>" + codeSpan.ReplaceAllString(template.HTMLEscapeString(para), "<code>$1</code>") + "</p>")
		}
	}
	return template.HTML(b.String())
}
