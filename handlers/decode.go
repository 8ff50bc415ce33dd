package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// MaxBodyBytes is the default request body limit (MAX_BODY_BYTES); a forecast with a
// 500-node scenario tree fits in well under it.
const MaxBodyBytes = 1 << 20

// readJSONBody checks the content type and reads the body. Its size is bounded by the
// limitBody middleware (MAX_BODY_BYTES), which every route runs behind.
func readJSONBody(c *gin.Context) ([]byte, error) {
	mt, _, err := mime.ParseMediaType(c.GetHeader("Content-Type"))
	if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, newError(http.StatusUnsupportedMediaType, "Unsupported Media Type",
			"The request body must be JSON, sent with Content-Type: application/json.")
	}
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, err
		}
		return nil, ErrBadRequest("The request body could not be read.")
	}
	return body, nil
}

// decodeStrict decodes one JSON value into dst, rejecting unknown fields, wrong types
// and trailing data. Syntax errors are 400 (the body is not JSON); well-formed JSON that
// does not fit the schema is a 422 naming the field.
func decodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if dec.More() {
			return ErrBadRequest("The request body must hold exactly one JSON value.")
		}
		if _, terr := dec.Token(); terr != io.EOF {
			return ErrBadRequest("The request body must hold exactly one JSON value.")
		}
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return ErrBadRequest("The request body is empty.")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrBadRequest("The request body is not valid JSON: " + err.Error() + ".")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "$"
		}
		return ErrValidation("The request body does not match the schema.",
			FieldError{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return ErrValidation("The request body has a field this endpoint does not accept.",
			FieldError{Field: name, Message: "unknown field"})
	default:
		// Other decode failures (for example a malformed RFC 3339 time) are about a value.
		return ErrValidation("The request body does not match the schema.", FieldError{Field: "$", Message: err.Error()})
	}
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch kind {
	case "float64", "float32":
		return "a number"
	case "int", "int64", "int32":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return kind
}
