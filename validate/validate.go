// Package validate is how geopol reports bad input: every rule a value breaks becomes a
// FieldError named by its JSON path or parameter, and a request with any of them is one
// *Error (the API answers 422 with the whole list; commands print it). Input that is not
// JSON at all is a *SyntaxError (the API answers 400).
package validate

import (
	"fmt"
	"math"
	"strings"
)

// FieldError names one invalid input by its JSON path (for example
// "scenarios[0].probability") or query parameter.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is input that breaks one or more rules.
type Error struct {
	Detail string
	Fields []FieldError
}

// Failed returns an *Error with the given summary and field errors.
func Failed(detail string, fields ...FieldError) *Error {
	return &Error{Detail: detail, Fields: fields}
}

// Error spells out the summary and every field on its own line, for logs and commands.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Detail)
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Field, f.Message)
	}
	return b.String()
}

// SyntaxError is input that cannot be read as the format it claims (not JSON, empty,
// several values).
type SyntaxError struct{ Detail string }

func (e *SyntaxError) Error() string { return e.Detail }

// Collector gathers every field error of one input, so that a client learns all of its
// mistakes at once.
type Collector struct{ errs []FieldError }

// Add records that field breaks a rule; format and args describe the rule.
func (v *Collector) Add(field, format string, args ...any) {
	v.errs = append(v.errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Unit checks that x is a probability: a number in [0, 1].
func (v *Collector) Unit(field string, x float64) {
	if math.IsNaN(x) || x < 0 || x > 1 {
		v.Add(field, "must be between 0 and 1")
	}
}

// Strings checks a list of at most maxItems texts of 1 to maxLen characters each.
func (v *Collector) Strings(field string, items []string, maxItems, maxLen int) {
	if len(items) > maxItems {
		v.Add(field, "must have at most %d items", maxItems)
		return
	}
	for i, s := range items {
		v.Text(fmt.Sprintf("%s[%d]", field, i), s, 1, maxLen)
	}
}

// Len is the number of field errors recorded so far.
func (v *Collector) Len() int { return len(v.errs) }

// Err returns nil when nothing was recorded, else an *Error with detail and every field.
func (v *Collector) Err(detail string) error {
	if len(v.errs) == 0 {
		return nil
	}
	return Failed(detail, v.errs...)
}
