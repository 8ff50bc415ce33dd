package validate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// DecodeStrict decodes one JSON value into dst, rejecting unknown fields, wrong types and
// trailing data. Input that is not one JSON value is a *SyntaxError; well-formed JSON that
// does not fit dst is an *Error naming the field.
func DecodeStrict(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
		if dec.More() {
			return &SyntaxError{"The request body must hold exactly one JSON value."}
		}
		if _, terr := dec.Token(); terr != io.EOF {
			return &SyntaxError{"The request body must hold exactly one JSON value."}
		}
		return nil
	}
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return &SyntaxError{"The request body is empty."}
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return &SyntaxError{"The request body is not valid JSON: " + err.Error() + "."}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "$"
		}
		return Failed("The request body does not match the schema.",
			FieldError{Field: field, Message: fmt.Sprintf("must be %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Failed("The request body has a field this endpoint does not accept.",
			FieldError{Field: name, Message: "unknown field"})
	default:
		// Other decode failures (for example a malformed RFC 3339 time) are about a value.
		return Failed("The request body does not match the schema.", FieldError{Field: "$", Message: err.Error()})
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
