package validate

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth is how deeply a request body may nest arrays and objects.
const MaxDepth = 64

// DecodeStrict decodes one JSON value into dst, refusing what encoding/json would let
// through altered or ambiguous:
//
//   - input that is not one JSON value, nests deeper than MaxDepth or is not valid UTF-8
//     outside any string is a *SyntaxError (the API answers 400);
//   - a string (value or key) whose raw bytes are not valid UTF-8, that escapes a lone
//     UTF-16 surrogate (both of which encoding/json would replace with U+FFFD), or that
//     holds a control character other than tab, line feed and carriage return (see
//     TextProblem);
//   - a key given twice in one object (encoding/json keeps the last silently), a key that
//     names no field of dst, or one that matches a field only when case is ignored;
//   - a value of the wrong type, or out of range of its Go type;
//
// are an *Error naming each field by its JSON path (the API answers 422).
func DecodeStrict(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return &SyntaxError{"The request body is empty."}
	}
	w := &walker{body: body, dec: json.NewDecoder(bytes.NewReader(body))}
	w.dec.UseNumber()
	if err := w.value(reflect.TypeOf(dst), "", 0); err != nil {
		return err
	}
	if _, err := w.dec.Token(); err != io.EOF {
		return &SyntaxError{"The request body must hold exactly one JSON value."}
	}
	if len(w.errs) > 0 {
		return Failed(fmt.Sprintf("The request body has %d invalid field(s).", len(w.errs)), w.errs...)
	}
	if !utf8.Valid(body) { // unreachable after the walk, which checks every string; kept as the last word
		return &SyntaxError{"The request body is not valid UTF-8."}
	}
	return decode(body, dst)
}

// decode is encoding/json's strict decode, its errors mapped to *SyntaxError or *Error.
func decode(body []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil {
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

// walker reads the body token by token alongside the Go type it will be decoded into,
// checking what encoding/json does not: the raw bytes of every string, repeated keys
// and the exact spelling of field names.
type walker struct {
	body []byte
	dec  *json.Decoder
	errs []FieldError
}

func (w *walker) add(field, format string, args ...any) {
	if field == "" {
		field = "$"
	}
	w.errs = append(w.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// next reads one token and the raw bytes it came from (with any separator before it).
func (w *walker) next() (json.Token, []byte, error) {
	start := w.dec.InputOffset()
	tok, err := w.dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		if !utf8.Valid(w.body) {
			return nil, nil, &SyntaxError{"The request body is not valid UTF-8."}
		}
		return nil, nil, &SyntaxError{"The request body is not valid JSON: " + err.Error() + "."}
	}
	return tok, w.body[start:w.dec.InputOffset()], nil
}

// value walks one value that will be decoded into t (nil: any JSON).
func (w *walker) value(t reflect.Type, path string, depth int) error {
	tok, raw, err := w.next()
	if err != nil {
		return err
	}
	switch x := tok.(type) {
	case json.Delim:
		if depth >= MaxDepth {
			return &SyntaxError{fmt.Sprintf("The request body nests more than %d levels deep.", MaxDepth)}
		}
		if x == '{' {
			return w.object(t, path, depth+1)
		}
		return w.array(t, path, depth+1)
	case string:
		w.text(path, x, raw)
	}
	return nil
}

// literal cuts the separators before a string token's raw bytes: what remains is the
// quoted literal as sent.
func literal(raw []byte) []byte {
	if i := bytes.IndexByte(raw, '"'); i >= 0 {
		return raw[i:]
	}
	return raw
}

// text checks a string token: its raw bytes, then its decoded value.
func (w *walker) text(path, s string, raw []byte) {
	raw = literal(raw)
	switch {
	case !utf8.Valid(raw):
		w.add(path, "must be valid UTF-8")
	case loneSurrogate(raw):
		w.add(path, `must not escape a lone UTF-16 surrogate (\ud800 to \udfff without its pair): it is not a character`)
	default:
		if msg := TextProblem(s); msg != "" {
			w.add(path, "%s", msg)
		}
	}
}

func (w *walker) object(t reflect.Type, path string, depth int) error {
	t = target(t)
	var fields map[string]reflect.Type
	var elem reflect.Type
	if t != nil {
		switch t.Kind() {
		case reflect.Struct:
			fields = structFields(t)
		case reflect.Map:
			elem = t.Elem()
		}
	}
	seen := map[string]bool{}
	for w.dec.More() {
		tok, raw, err := w.next()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		name := key
		if lit := literal(raw); !utf8.Valid(lit) || loneSurrogate(lit) {
			name = string(lit[1 : len(lit)-1]) // as sent, not as encoding/json would alter it
		}
		keyPath := joinKey(path, name)
		w.text(keyPath, key, raw)
		if seen[key] {
			w.add(keyPath, "appears more than once in the object")
		}
		seen[key] = true
		ft := elem
		if fields != nil {
			var ok bool
			if ft, ok = fields[key]; !ok {
				if name := foldMatch(fields, key); name != "" {
					w.add(keyPath, "unknown field (field names are case-sensitive: %s)", name)
				} else {
					w.add(keyPath, "unknown field")
				}
			}
		}
		if err := w.value(ft, keyPath, depth); err != nil {
			return err
		}
	}
	_, _, err := w.next() // '}'
	return err
}

func (w *walker) array(t reflect.Type, path string, depth int) error {
	t = target(t)
	var elem reflect.Type
	if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
		elem = t.Elem()
	}
	for i := 0; w.dec.More(); i++ {
		p := path
		if p == "" {
			p = "$"
		}
		if err := w.value(elem, p+"["+strconv.Itoa(i)+"]", depth); err != nil {
			return err
		}
	}
	_, _, err := w.next() // ']'
	return err
}

var (
	jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// target is the type whose shape the walk follows: pointers are followed, and types that
// decode themselves (time.Time, raw JSON) or interfaces accept any shape (nil).
func target(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() == reflect.Interface {
		return nil
	}
	if p := reflect.PointerTo(t); p.Implements(jsonUnmarshaler) || p.Implements(textUnmarshaler) {
		return nil
	}
	return t
}

// structFields maps the JSON names of t's fields to their types, as encoding/json names
// them (tag name, else the Go name; "-" skipped; untagged embedded structs flattened).
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					if _, ok := out[k]; !ok {
						out[k] = v
					}
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// foldMatch returns the field name that equals key when case is ignored, or "".
func foldMatch(fields map[string]reflect.Type, key string) string {
	for name := range fields {
		if strings.EqualFold(name, key) {
			return name
		}
	}
	return ""
}

// joinKey extends a JSON path with an object key; keys that are not plain text are
// quoted, so the path stays printable.
func joinKey(path, key string) string {
	if TextProblem(key) != "" || key == "" {
		key = strconv.QuoteToASCII(key)
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// loneSurrogate reports whether a raw JSON string literal escapes a UTF-16 surrogate
// that is not half of a high-low pair.
func loneSurrogate(raw []byte) bool {
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			continue
		}
		i++
		if i >= len(raw) || raw[i] != 'u' {
			continue // \" \\ \/ \b \f \n \r \t: one escaped byte
		}
		r, ok := hex4(raw, i+1)
		if !ok {
			return false // malformed: the tokenizer already refused it
		}
		i += 4
		switch {
		case 0xDC00 <= r && r <= 0xDFFF:
			return true
		case 0xD800 <= r && r <= 0xDBFF:
			if i+2 >= len(raw) || raw[i+1] != '\\' || raw[i+2] != 'u' {
				return true
			}
			low, ok := hex4(raw, i+3)
			if !ok || low < 0xDC00 || low > 0xDFFF {
				return true
			}
			i += 6
		}
	}
	return false
}

// hex4 reads the four hex digits at raw[i:i+4].
func hex4(raw []byte, i int) (rune, bool) {
	if i+4 > len(raw) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(raw[i:i+4]), 16, 32)
	return rune(n), err == nil
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
