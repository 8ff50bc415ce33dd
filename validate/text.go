package validate

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// The text rules every text field and query parameter of the API follows, whatever the
// database: PostgreSQL refuses NUL and invalid UTF-8 (SQLSTATE 22021) where SQLite would
// store them, and encoding/json would silently replace invalid bytes with U+FFFD. A value
// either passes and is stored exactly as sent, or is refused naming its field.

// MaxInt4 is the largest value of an `integer` (int4) column, the type of every integer
// column of the forecast database that a client writes.
const MaxInt4 = math.MaxInt32

// TextProblem says why s cannot be stored as text, or returns "" when it can: it must be
// valid UTF-8 and hold no control character (U+0000-U+001F, U+007F-U+009F) other than
// tab, line feed and carriage return.
func TextProblem(s string) string {
	if !utf8.ValidString(s) {
		return "must be valid UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\t' && r != '\n' && r != '\r' {
			return fmt.Sprintf("must not contain control characters (it holds %U); only tab, line feed and carriage return are allowed", r)
		}
	}
	return ""
}

// Blank reports whether s holds no visible character: nothing but white space and
// invisible format characters (Unicode category Cf, such as U+200B ZERO WIDTH SPACE,
// U+2060 WORD JOINER or U+FEFF BYTE ORDER MARK).
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.Is(unicode.Cf, r) {
			return false
		}
	}
	return true
}

// Text checks that s follows the text rules (TextProblem) and has min to max characters
// once surrounding white space is trimmed. min >= 1 reads as "required": then s must also
// hold a visible character (see Blank). s is checked, never changed: what passes is stored
// as sent.
func (v *Collector) Text(field, s string, min, max int) {
	if msg := TextProblem(s); msg != "" {
		v.Add(field, "%s", msg)
		return
	}
	n := utf8.RuneCountInString(strings.TrimSpace(s))
	switch {
	case min >= 1 && Blank(s):
		v.Add(field, "is required (white space and invisible characters alone do not count)")
	case n < min || n > max:
		v.Add(field, "must be %d to %d characters", min, max)
	}
}

// Int checks that n lies in [min, max]; use MaxInt4 as max for a value stored in an
// integer column.
func (v *Collector) Int(field string, n, min, max int) {
	if n < min || n > max {
		v.Add(field, "must be a whole number from %d to %d", min, max)
	}
}

// ParseFloat reads a finite decimal number: NaN, ±Inf and numbers beyond float64's
// range are refused (ok false), so that no comparison with them silently matches all or
// nothing.
func ParseFloat(raw string) (float64, bool) {
	f, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

// QueryFloat reads an optional query parameter as a finite number in [min, max]: nil
// when raw is empty, nil and a field error when it is not such a number.
func (v *Collector) QueryFloat(field, raw string, min, max float64) *float64 {
	if raw == "" {
		return nil
	}
	f, ok := ParseFloat(raw)
	if !ok || f < min || f > max {
		v.Add(field, "must be a number from %g to %g", min, max)
		return nil
	}
	return &f
}

// QueryInt reads an optional query parameter as a whole number in [min, max]: def when
// raw is empty, def and a field error when it is not such a number.
func (v *Collector) QueryInt(field, raw string, def, min, max int) int {
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < min || n > max {
		v.Add(field, "must be a whole number from %d to %d", min, max)
		return def
	}
	return n
}

// Query checks every name and value of a query string against the text rules: a
// parameter may not smuggle NUL, other control characters or invalid UTF-8 into a filter,
// whichever handler reads it.
func (v *Collector) Query(params map[string][]string) {
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		vals := params[name]
		field := name
		if msg := TextProblem(name); msg != "" {
			field = strconv.QuoteToASCII(name)
			v.Add(field, "parameter names %s", msg)
			continue
		}
		for _, val := range vals {
			if msg := TextProblem(val); msg != "" {
				v.Add(field, "%s", msg)
				break
			}
		}
	}
}

// Time checks that t can be stored as sent on either database: an instant of the years
// 0001 to 9999 in UTC (what every column and every date function covers), to at most
// microsecond precision (what PostgreSQL keeps). Offsets are fine: times are stored and
// returned in UTC, the same instant.
func (v *Collector) Time(field string, t time.Time) {
	u := t.UTC()
	switch {
	case u.Year() < 1 || u.Year() > 9999:
		v.Add(field, "must lie in the years 0001 to 9999 (in UTC)")
	case u.Nanosecond()%1000 != 0:
		v.Add(field, "must have at most 6 fractional second digits (microseconds)")
	}
}
