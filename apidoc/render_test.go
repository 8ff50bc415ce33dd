package apidoc

import (
	"context"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

const spec = `
openapi: 3.0.3
info: {title: Sample API, version: "1.2", description: "Serves the ` + "`sample`" + ` things."}
paths:
  /things/{id}:
    get:
      summary: Read a thing
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: the thing, content: {application/json: {schema: {$ref: "#/components/schemas/Thing"}}}}
        "404": {$ref: "#/components/responses/NotFound"}
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties:
        id: {type: string}
        score: {type: number, minimum: 0, maximum: 1}
  responses:
    NotFound:
      description: No such thing.
      x-problem-title: Not Found
      x-problem-status: 404
`

func TestRender(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	page, err := Render(doc)
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{"Sample API", "<code>sample</code>", "/things/{id}", "Read a thing", "Thing", `id="problem-not-found"`, "<script"} {
		has := strings.Contains(html, want)
		if want == "<script" {
			has = !has
		}
		if !has {
			t.Errorf("page lacks %q (or has a script)", want)
		}
	}
	if got := ProblemAnchor("Validation Failed"); got != "problem-validation-failed" {
		t.Errorf("ProblemAnchor = %q", got)
	}
}
