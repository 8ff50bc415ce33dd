package validate_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"geopol/validate"
)

type body struct {
	Name  string     `json:"name"`
	Count int        `json:"count"`
	P     float64    `json:"p"`
	At    *time.Time `json:"at"`
}

func TestDecodeStrict(t *testing.T) {
	var ok body
	if err := validate.DecodeStrict([]byte(`{"name":"a","count":2,"p":0.5}`), &ok); err != nil || ok.Name != "a" || ok.Count != 2 {
		t.Fatalf("valid body: %+v %v", ok, err)
	}
	for _, c := range []struct {
		in     string
		syntax bool   // a *SyntaxError (400) rather than an *Error (422)
		field  string // the field the *Error names
	}{
		{``, true, ""},
		{`{"name":`, true, ""},
		{`{"name":"a"} {}`, true, ""},
		{`{"name":"a"} x`, true, ""},
		{`{"name":1}`, false, "name"},
		{`{"count":"2"}`, false, "count"},
		{`{"count":1.5}`, false, "count"},
		{`{"extra":true}`, false, "extra"},
		{`[]`, false, "$"},
		{`{"at":"yesterday"}`, false, "$"},
	} {
		var b body
		err := validate.DecodeStrict([]byte(c.in), &b)
		var syn *validate.SyntaxError
		var inv *validate.Error
		switch {
		case c.syntax && !errors.As(err, &syn):
			t.Errorf("%q: %v, want a syntax error", c.in, err)
		case !c.syntax && (!errors.As(err, &inv) || len(inv.Fields) != 1 || inv.Fields[0].Field != c.field):
			t.Errorf("%q: %v, want a field error on %s", c.in, err, c.field)
		}
	}
}

func TestCollector(t *testing.T) {
	var v validate.Collector
	if v.Err("unused") != nil {
		t.Fatal("an empty collector reported an error")
	}
	v.Unit("p", 1.5)
	v.Unit("nan", math.NaN())
	v.Unit("fine", 0)
	v.Text("required", "  ", 1, 10)
	v.Text("long", strings.Repeat("é", 11), 1, 10)
	v.Text("bytes", "\xff\xfe", 1, 10)
	v.Text("ok", " éé ", 1, 2)
	v.Strings("list", []string{"a", ""}, 5, 10)
	v.Strings("many", []string{"a", "b", "c"}, 2, 10)
	err := v.Err("The input has 7 invalid field(s).")
	var inv *validate.Error
	if !errors.As(err, &inv) || v.Len() != 7 {
		t.Fatalf("%v (%d)", err, v.Len())
	}
	want := []string{"p", "nan", "required", "long", "bytes", "list[1]", "many"}
	for i, f := range inv.Fields {
		if f.Field != want[i] || f.Message == "" {
			t.Errorf("field %d: %+v, want %s", i, f, want[i])
		}
	}
	if !strings.Contains(err.Error(), "\n  list[1]: is required") {
		t.Errorf("Error() does not list the fields:\n%s", err)
	}
}
