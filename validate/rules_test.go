package validate_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"geopol/validate"
)

type nested struct {
	Items   []body             `json:"items"`
	Weights map[string]float64 `json:"weights"`
	Inner   *body              `json:"inner"`
	Any     any                `json:"any"`
}

// fieldsOf returns the fields an *Error names, or fails the test.
func fieldsOf(t *testing.T, in string, err error) []string {
	t.Helper()
	var inv *validate.Error
	if !errors.As(err, &inv) {
		t.Fatalf("%q: %v, want a field error", in, err)
	}
	var out []string
	for _, f := range inv.Fields {
		out = append(out, f.Field)
	}
	return out
}

// Bodies encoding/json would decode altered (U+FFFD for bad bytes or lone surrogates,
// the last of two repeated keys, a field named in another case) or that no database
// stores the same (control characters) are refused, naming the field.
func TestDecodeStrictRefusesWhatJSONWouldAlter(t *testing.T) {
	for _, c := range []struct {
		in    string
		field string
	}{
		{"{\"name\":\"a\xffb\"}", "name"},
		{"{\"name\":\"\xc3\x28\"}", "name"},
		{"{\"name\":\"\xed\xa0\x80\"}", "name"}, // an encoded surrogate is not UTF-8
		{`{"name":"\ud800"}`, "name"},
		{`{"name":"a\udc00b"}`, "name"},
		{`{"name":"\ud800\u0041"}`, "name"},
		{`{"name":"\ud800\\udc00"}`, "name"},
		{`{"name":"a\u0000b"}`, "name"},
		{`{"name":"bell\u0007"}`, "name"},
		{`{"name":"c1\u0085"}`, "name"},
		{`{"name":"del\u007f"}`, "name"},
		{`{"name":"a","name":"b"}`, "name"},
		{`{"Name":"a"}`, "Name"},
		{`{"NAME":"a"}`, "NAME"},
		{`{"items":[{"name":"x"},{"name":"\u0000"}]}`, "items[1].name"},
		{`{"items":[{"nope":1}]}`, "items[0].nope"},
		{`{"weights":{"a":0.1,"a":0.2}}`, "weights.a"},
		{`{"weights":{"a\u0000":0.1}}`, `weights."a\x00"`},
		{`{"inner":{"name":"\ud83d"}}`, "inner.name"},
		{`{"any":{"deep":["\u0001"]}}`, "any.deep[0]"},
		{"{\"any\":{\"k\xff\":1}}", `any."k\xff"`},
	} {
		var dst nested
		if strings.HasPrefix(c.in, `{"name"`) || strings.HasPrefix(c.in, `{"Name"`) || strings.HasPrefix(c.in, `{"NAME"`) {
			var b body
			got := fieldsOf(t, c.in, validate.DecodeStrict([]byte(c.in), &b))
			if len(got) != 1 || got[0] != c.field {
				t.Errorf("%q: fields %v, want [%s]", c.in, got, c.field)
			}
			continue
		}
		got := fieldsOf(t, c.in, validate.DecodeStrict([]byte(c.in), &dst))
		if len(got) != 1 || got[0] != c.field {
			t.Errorf("%q: fields %v, want [%s]", c.in, got, c.field)
		}
	}
}

// What is fine is decoded as sent: tabs, line breaks, emoji as pairs of escapes, U+FFFD
// sent as itself, format characters inside visible text.
func TestDecodeStrictKeepsValidText(t *testing.T) {
	for in, want := range map[string]string{
		`{"name":"a\tb\r\nc"}`:          "a\tb\r\nc",
		`{"name":"\ud83d\ude00"}`:       "\U0001F600",
		`{"name":"\ufffd"}`:             "\ufffd",
		"{\"name\":\"\xef\xbf\xbd\"}":   "\ufffd",
		`{"name":"zero\u200bwidth"}`:    "zero\u200bwidth",
		`{"name":"  spaced  "}`:         "  spaced  ",
		`{"name":"\\u0000 is literal"}`: `\u0000 is literal`,
	} {
		var b body
		if err := validate.DecodeStrict([]byte(in), &b); err != nil || b.Name != want {
			t.Errorf("%q: %q %v, want %q", in, b.Name, err, want)
		}
	}
}

// Invalid UTF-8 outside any string, and nesting past MaxDepth, are unreadable bodies.
func TestDecodeStrictSyntax(t *testing.T) {
	deep := strings.Repeat("[", validate.MaxDepth+1) + strings.Repeat("]", validate.MaxDepth+1)
	for _, in := range []string{"{\xff:1}", "\xff", deep, `{"any":` + deep + `}`, " \n ", `{"name":"a"`} {
		var dst nested
		var syn *validate.SyntaxError
		if err := validate.DecodeStrict([]byte(in), &dst); !errors.As(err, &syn) {
			t.Errorf("%.40q: %v, want a syntax error", in, err)
		}
	}
	ok := `{"any":` + strings.Repeat("[", validate.MaxDepth-1) + strings.Repeat("]", validate.MaxDepth-1) + `}`
	var dst nested
	if err := validate.DecodeStrict([]byte(ok), &dst); err != nil {
		t.Errorf("nesting at the limit: %v", err)
	}
}

func TestTextRules(t *testing.T) {
	for _, s := range []string{"plain", "tab\there", "cr\r\nlf", "émoji 😀", "\u200bzw", ""} {
		if msg := validate.TextProblem(s); msg != "" {
			t.Errorf("%q: %s", s, msg)
		}
	}
	for _, s := range []string{"\x00", "a\x01", "\x1b[31m", "\x7f", "\u0080", "\u009f", "\xff", "\xed\xa0\x80"} {
		if validate.TextProblem(s) == "" {
			t.Errorf("%q passed", s)
		}
	}
	for s, blank := range map[string]bool{"": true, " \t\n": true, "\u200b\u2060\ufeff": true, "\u00a0\u3000": true,
		"\u200ba": false, ".": false, "\u202e": true} {
		if validate.Blank(s) != blank {
			t.Errorf("Blank(%q) = %v", s, !blank)
		}
	}
	var v validate.Collector
	v.Text("nul", "ab\x00cdefghijkl", 1, 100)
	v.Text("invisible", strings.Repeat("\u200b", 12), 10, 100)
	v.Text("bom", "\ufeff", 1, 100)
	v.Text("optional", "\u200b", 0, 100)
	v.Text("ok", "line one\r\nline two", 1, 100)
	want := []string{"nul", "invisible", "bom"}
	got := fieldsOf(t, "text", v.Err("x"))
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("fields %v, want %v", got, want)
	}
}

func TestNumbersAndTimes(t *testing.T) {
	var v validate.Collector
	v.Int("big", validate.MaxInt4+1, 0, validate.MaxInt4)
	v.Int("negative", -1, 0, validate.MaxInt4)
	v.Int("max", validate.MaxInt4, 0, validate.MaxInt4)
	for _, raw := range []string{"NaN", "nan", "Inf", "+Inf", "-inf", "infinity", "1e309", "", "11", "x"} {
		if f := v.QueryFloat("f:"+raw, raw, -10, 10); f != nil {
			t.Errorf("QueryFloat(%q) = %v", raw, *f)
		}
	}
	if f := v.QueryFloat("fine", "-2.5", -10, 10); f == nil || *f != -2.5 {
		t.Errorf("QueryFloat(-2.5) = %v", f)
	}
	if n := v.QueryInt("i:huge", "99999999999999999999", 7, 1, 10); n != 7 {
		t.Errorf("QueryInt default: %d", n)
	}
	v.Time("far", time.Date(9999, 12, 31, 23, 0, 0, 0, time.FixedZone("west", -2*3600)))
	v.Time("nanos", time.Date(2030, 1, 1, 0, 0, 0, 1, time.UTC))
	v.Time("zero", time.Date(0, 12, 31, 0, 0, 0, 0, time.UTC))
	v.Time("micros", time.Date(2030, 1, 1, 0, 0, 0, 123456000, time.FixedZone("east", 5*3600)))
	got := fieldsOf(t, "numbers", v.Err("x"))
	want := "big,negative,f:NaN,f:nan,f:Inf,f:+Inf,f:-inf,f:infinity,f:1e309,f:11,f:x,i:huge,far,nanos,zero"
	if strings.Join(got, ",") != want {
		t.Errorf("fields\n%v\nwant\n%v", strings.Join(got, ","), want)
	}
	if _, ok := validate.ParseFloat("0x1p-2"); !ok {
		t.Error("a finite hex float was refused")
	}
	if _, ok := validate.ParseFloat(strings.Repeat("9", 400)); ok || math.IsInf(1, 0) {
		t.Error("an overflowing number was accepted")
	}
}

// Query parameters: names and values follow the text rules, reported in name order.
func TestQueryRules(t *testing.T) {
	var v validate.Collector
	v.Query(map[string][]string{"z": {"ok", "a\x00"}, "a": {"\xff"}, "fine": {"tab\t"}, "k\x00": {"v"}})
	got := fieldsOf(t, "query", v.Err("x"))
	if strings.Join(got, ",") != `a,"k\x00",z` {
		t.Errorf("fields %v", got)
	}
}
