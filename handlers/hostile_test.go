package handlers_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"geopol/codes"
	"geopol/handlers"
)

// The hostile probe set: hundreds of requests a careless or malicious client could send,
// through the real router on both backends. None may answer 5xx; each one the rules
// decide answers exactly that (422 naming the field, 400, 415, 404); and whatever is
// accepted is read back byte for byte as it was sent.

// rawMark stands for raw bytes spliced into a body after encoding: JSON encoders cannot
// produce invalid UTF-8 or lone surrogate escapes, hostile clients can.
const rawMark = "@@RAW@@"

// hostileText is one kind of string a client may send, and the answer each kind of field
// owes it (0: 2xx and stored as sent).
type hostileText struct {
	name string
	// value is the Go string sent; raw, when set, replaces rawMark in the encoded body.
	value, raw string
	// what free text (required), optional text and code fields answer.
	text, optional, code int
}

const bad = http.StatusUnprocessableEntity

var hostileTexts = []hostileText{
	{name: "NUL", value: "question with a NUL \x00 inside", text: bad, optional: bad, code: bad},
	{name: "SOH", value: "question with \x01 a control", text: bad, optional: bad, code: bad},
	{name: "ANSI escape", value: "\x1b[31mred terminal text\x1b[0m", text: bad, optional: bad, code: bad},
	{name: "DEL", value: "delete \x7f character here", text: bad, optional: bad, code: bad},
	{name: "C1 NEL", value: "next line \u0085 C1 control", text: bad, optional: bad, code: bad},
	{name: "vertical tab", value: "vertical \v tab and \f feed", text: bad, optional: bad, code: bad},
	{name: "raw 0xFF", value: rawMark, raw: "bytes \xff\xfe are not UTF-8", text: bad, optional: bad, code: bad},
	{name: "raw overlong", value: rawMark, raw: "overlong \xc0\xaf slash here", text: bad, optional: bad, code: bad},
	{name: "raw surrogate", value: rawMark, raw: "encoded \xed\xa0\x80 surrogate", text: bad, optional: bad, code: bad},
	{name: "raw truncated", value: rawMark, raw: "truncated sequence \xe2\x82", text: bad, optional: bad, code: bad},
	{name: "lone high escape", value: rawMark, raw: `lone high \ud800 escape`, text: bad, optional: bad, code: bad},
	{name: "lone low escape", value: rawMark, raw: `lone low \udc00 escape`, text: bad, optional: bad, code: bad},
	{name: "invisible only", value: "\u200b\u200b\u2060\u2060\ufeff\ufeff\u200b\u2060\ufeff\u200b", text: bad, code: bad},
	{name: "unicode spaces only", value: "\u00a0\u3000\u2003\u00a0\u3000\u2003\u00a0\u3000\u2003\u00a0", text: bad, code: bad},
	{name: "white space only", value: " \t\r\n           ", text: bad, code: bad},
	{name: "empty", value: "", text: bad, code: bad},
	{name: "CR LF tab", value: "Line one\r\nline two\tand a tab", code: bad},
	{name: "SQL injection", value: "' OR 1=1 --; DROP TABLE predictions;", code: bad},
	{name: "LIKE wildcards", value: `100% _sure_ \ and %% more`, code: bad},
	{name: "decomposed accents", value: "Ce\u0301sar e\u0301tait la\u0300", code: bad},
	{name: "precomposed accents", value: "César était là-bas", code: bad},
	{name: "emoji", value: "flags 🇸🇾 faces 😀 zwj 👩‍💻", code: bad},
	{name: "escaped pair", value: rawMark, raw: `escaped pair \ud83d\ude00 ok`, code: bad},
	{name: "bidi override", value: "abc \u202edcba\u202c visible", code: bad},
	{name: "replacement char", value: "a literal \ufffd sent", code: bad},
	{name: "line separator", value: "one\u2028two\u2029three", code: bad},
	{name: "HTML", value: "<script>alert('x')</script>", code: bad},
	{name: "padded", value: "   padded on both sides   ", code: bad},
	{name: "zero width inside", value: "zero\u200bwidth\u2060joined", code: bad},
	{name: "escaped NUL text", value: `literal \u0000 as text`, code: bad},
}

// textFields are the forecast's string fields, by kind.
var textFields = []struct {
	path string // dotted, with list indices
	kind string // text, optional or code
}{
	{"question", "text"}, {"prediction", "text"}, {"reasoning_summary", "text"}, {"narrative_summary", "optional"},
	{"scenarios.0.description", "text"}, {"scenarios.0.scenario_id", "text"}, {"scenarios.0.entities.0", "text"},
	{"scenarios.0.timeline.0", "text"}, {"scenarios.0.evidence_sources.0.source", "text"},
	{"scenarios.0.evidence_sources.0.description", "text"}, {"scenarios.0.child_scenarios.0.description", "text"},
	{"entities.0", "text"}, {"category", "code"}, {"country_iso", "code"}, {"cameo_root_code", "code"},
	{"calibration.category", "code"}, {"scenarios.0.evidence_sources.0.gdelt_event_id", "code"},
}

// wirePath turns a dotted path into the JSON path the API names fields by.
func wirePath(p string) string {
	var b strings.Builder
	for _, seg := range strings.Split(p, ".") {
		if _, err := strconv.Atoi(seg); err == nil {
			b.WriteString("[" + seg + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteString(".")
		}
		b.WriteString(seg)
	}
	return b.String()
}

// setPath sets a value inside a decoded JSON document.
func setPath(doc any, path string, v any) {
	segs := strings.Split(path, ".")
	for i, seg := range segs {
		last := i == len(segs)-1
		switch node := doc.(type) {
		case map[string]any:
			if last {
				node[seg] = v
				return
			}
			doc = node[seg]
		case []any:
			n, _ := strconv.Atoi(seg)
			if last {
				node[n] = v
				return
			}
			doc = node[n]
		}
	}
}

// probe is one hostile request and the answer it is owed.
type probe struct {
	name   string
	method string
	path   string // with the raw query, sent as is
	body   []byte
	ctype  string // "" = application/json when there is a body; "-" = none
	want   int    // exact status owed; 0 = anything below 500
	field  string // the field a 422 must name
	// sent is the document as sent, compared with what is read back when the answer is 2xx.
	sent map[string]any
	// readBack is where the stored value is read from (forecasts: the Location).
	readBack func(e *env, rec *httptest.ResponseRecorder) any
}

func (e *env) send(p probe) *httptest.ResponseRecorder {
	e.t.Helper()
	req := httptest.NewRequest(p.method, "/", bytes.NewReader(p.body))
	u, q, _ := strings.Cut(p.path, "?")
	req.URL.Path, req.URL.RawQuery = u, q
	switch {
	case p.ctype == "-":
	case p.ctype != "":
		req.Header.Set("Content-Type", p.ctype)
	case p.body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	rec := e.serve(req)
	for _, check := range responseCheckers { // the OpenAPI conformance check among them
		check(e.t, req, p.body, rec)
	}
	return rec
}

// jsonDoc decodes a JSON document with numbers kept exact.
func jsonDoc(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %q: %v", b, err)
	}
	return v
}

// sameAs lists where got differs from sent: every field sent must come back equal (byte
// for byte for text; the same number; the same instant for times, which come back in
// UTC; country codes in the documented alpha-2 form).
func sameAs(sent, got any, path string) []string {
	switch s := sent.(type) {
	case nil:
		return nil // null: "not given", for which the server chooses (evidence_count, expires_at)
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return []string{path + ": not an object"}
		}
		var out []string
		for k, v := range s {
			out = append(out, sameAs(v, g[k], path+"."+k)...)
		}
		return out
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(s) {
			return []string{fmt.Sprintf("%s: %v, sent %v", path, got, sent)}
		}
		var out []string
		for i := range s {
			out = append(out, sameAs(s[i], g[i], fmt.Sprintf("%s[%d]", path, i))...)
		}
		return out
	case json.Number:
		g, ok := got.(json.Number)
		a, _ := s.Float64()
		b, _ := g.Float64()
		if !ok || a != b {
			return []string{fmt.Sprintf("%s: %v, sent %v", path, got, sent)}
		}
	case string:
		g, _ := got.(string)
		if strings.HasSuffix(path, ".country_iso") {
			if want, _ := codes.NormalizeISO(s); codes.Alpha2(want) == g {
				return nil
			}
		}
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			if tg, err := time.Parse(time.RFC3339Nano, g); err == nil && ts.Equal(tg) {
				return nil
			}
		}
		if g != s {
			return []string{fmt.Sprintf("%s: %q, sent %q", path, g, s)}
		}
	default:
		if !reflect.DeepEqual(sent, got) {
			return []string{fmt.Sprintf("%s: %v, sent %v", path, got, sent)}
		}
	}
	return nil
}

// forecastProbe builds a POST /forecasts probe from the Syria forecast with f applied;
// rawMark in the encoded body is replaced with raw.
func forecastProbe(t *testing.T, name string, want int, field, raw string, f func(m map[string]any)) probe {
	var m map[string]any
	if err := json.Unmarshal(golden(t, "syria"), &m); err != nil {
		t.Fatal(err)
	}
	f(m)
	body := mustJSON(t, m)
	if raw != "" {
		body = bytes.Replace(body, []byte(rawMark), []byte(raw), 1)
	}
	p := probe{name: name, method: http.MethodPost, path: "/api/v1/forecasts", body: body, want: want, field: field,
		readBack: func(e *env, rec *httptest.ResponseRecorder) any {
			get := e.do(http.MethodGet, rec.Header().Get("Location"), nil)
			if get.Code != http.StatusOK {
				e.t.Fatalf("read back %s: %d", rec.Header().Get("Location"), get.Code)
			}
			return jsonDoc(e.t, get.Body.Bytes())
		}}
	if raw == "" {
		p.sent = jsonDoc(t, body).(map[string]any)
	}
	return p
}

func forecastProbes(t *testing.T) []probe {
	var out []probe
	for _, fld := range textFields {
		for _, h := range hostileTexts {
			want := map[string]int{"text": h.text, "optional": h.optional, "code": h.code}[fld.kind]
			if want == 0 {
				want = http.StatusCreated
			}
			field := ""
			if want == bad {
				field = wirePath(fld.path)
			}
			out = append(out, forecastProbe(t, fld.path+" "+h.name, want, field, h.raw, func(m map[string]any) {
				setPath(m, fld.path, h.value)
			}))
			if last := &out[len(out)-1]; want == http.StatusCreated && h.raw != "" {
				last.sent = jsonDoc(t, last.body).(map[string]any)
			}
		}
	}
	for _, h := range hostileTexts { // the name of an ensemble weight is a key, not a value
		want, field := http.StatusCreated, ""
		switch {
		case h.text == bad:
			want, field = bad, "ensemble_info.weights*" // the map, or the key's own path
		case len(h.value) > 64:
			want = bad
		}
		out = append(out, forecastProbe(t, "weight name "+h.name, want, field, h.raw, func(m map[string]any) {
			setPath(m, "ensemble_info.weights", map[string]any{h.value: 0.5})
		}))
		if last := &out[len(out)-1]; want == http.StatusCreated && h.raw != "" {
			last.sent = jsonDoc(t, last.body).(map[string]any)
		}
	}
	num := func(name, path, value string, want int) {
		field := ""
		if want == bad {
			field = wirePath(path)
		}
		out = append(out, forecastProbe(t, name, want, field, value, func(m map[string]any) { setPath(m, path, rawMark) }))
		// the mark is a string in the encoded body: splice the number in place of "…"
		last := &out[len(out)-1]
		last.body = bytes.Replace(last.body, []byte(`"`+value+`"`), []byte(value), 1)
		if want == http.StatusCreated {
			last.sent = jsonDoc(t, last.body).(map[string]any)
		}
	}
	for _, c := range []struct {
		path, value string
		want        int
	}{
		{"evidence_count", "2147483647", http.StatusCreated}, {"evidence_count", "2147483648", bad},
		{"evidence_count", "-1", bad}, {"evidence_count", "9223372036854775808", bad}, {"evidence_count", "1e3", bad},
		{"evidence_count", "3.5", bad}, {"evidence_count", "0", http.StatusCreated},
		{"calibration.sample_size", "2147483647", http.StatusCreated}, {"calibration.sample_size", "2147483648", bad},
		{"calibration.sample_size", "-5", bad}, {"calibration.sample_size", "99999999999999999999", bad},
		{"horizon_days", "3650", http.StatusCreated}, {"horizon_days", "3651", bad}, {"horizon_days", "0", bad},
		{"horizon_days", "-30", bad}, {"horizon_days", "2147483648", bad}, {"horizon_days", "9223372036854775807", bad},
		{"probability", "1e400", bad}, {"probability", "-1e-400", http.StatusCreated}, {"probability", "-0", http.StatusCreated},
		{"probability", "1.0000000000000002", bad}, {"probability", "0.30000000000000004", http.StatusCreated},
		{"probability", "5e-324", http.StatusCreated}, {"probability", `"NaN"`, bad}, {"probability", `"Infinity"`, bad},
		{"confidence", "true", bad}, {"confidence", "null", bad}, {"probability", "[0.5]", bad},
		{"ensemble_info.temperature_applied", "1e308", bad}, {"calibration.temperature", "-0", bad},
		{"scenarios.0.probability", "-0.0", http.StatusCreated}, {"scenarios.0.evidence_sources.0.confidence", "1e-7", http.StatusCreated},
	} {
		num(c.path+"="+c.value, c.path, c.value, c.want)
	}
	for _, c := range []struct {
		name, value string
		want        int
		field       string
	}{
		{"expires_at far future", `"9999-12-31T23:59:59Z"`, http.StatusCreated, ""},
		{"expires_at past year 9999 in UTC", `"9999-12-31T23:59:59-05:00"`, bad, "expires_at"},
		{"expires_at nanoseconds", `"2099-01-01T00:00:00.123456789Z"`, bad, "expires_at"},
		{"expires_at microseconds offset", `"2099-01-01T00:00:00.123456+05:30"`, http.StatusCreated, ""},
		{"expires_at year 0", `"0000-01-01T00:00:00Z"`, bad, "expires_at"},
		{"expires_at Feb 30", `"2099-02-30T00:00:00Z"`, bad, "$"},
		{"expires_at date only", `"2099-01-01"`, bad, "$"},
		{"expires_at number", `4102444800`, bad, ""},
		{"evidence timestamp far", `"9999-12-31T23:59:59.999999999+14:00"`, http.StatusCreated, ""},
	} {
		path := "expires_at"
		if strings.HasPrefix(c.name, "evidence") {
			path = "scenarios.0.evidence_sources.0.timestamp"
		}
		out = append(out, forecastProbe(t, c.name, c.want, c.field, c.value, func(m map[string]any) { setPath(m, path, rawMark) }))
		last := &out[len(out)-1]
		last.body = bytes.Replace(last.body, []byte(`"`+c.value+`"`), []byte(c.value), 1)
		if c.want == http.StatusCreated {
			last.sent = jsonDoc(t, last.body).(map[string]any)
		}
	}
	syria := string(golden(t, "syria"))
	deep := strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200)
	for _, c := range []struct {
		name, body, ctype string
		want              int
		field             string
	}{
		{"empty body", "", "", http.StatusBadRequest, ""},
		{"white space body", " \r\n\t ", "", http.StatusBadRequest, ""},
		{"null", "null", "", bad, ""},
		{"array", "[]", "", bad, "$"},
		{"string", `"forecast"`, "", bad, "$"},
		{"number", `42`, "", bad, "$"},
		{"truncated", syria[:len(syria)/2], "", http.StatusBadRequest, ""},
		{"trailing garbage", syria + "x", "", http.StatusBadRequest, ""},
		{"two documents", syria + syria, "", http.StatusBadRequest, ""},
		{"deeply nested", `{"scenarios":[` + strings.Repeat(`{"child_scenarios":[`, 100) + strings.Repeat("]}", 100) + "]}", "", http.StatusBadRequest, ""},
		{"nested unknown", `{"x":` + deep + `}`, "", http.StatusBadRequest, ""},
		{"BOM prefix", "\ufeff" + syria, "", http.StatusBadRequest, ""},
		{"raw 0xFF outside strings", "\xff" + syria, "", http.StatusBadRequest, ""},
		{"latin-1 body", "{\"question\":\"caf\xe9 au lait, will it be served?\"}", "", bad, "question"},
		{"duplicate question", strings.Replace(syria, `"question":`, `"question":"A first question sent here?","question":`, 1), "", bad, "question"},
		{"case variant key", strings.Replace(syria, `"question":`, `"Question":`, 1), "", bad, "Question"},
		{"unknown field", strings.Replace(syria, `"question":`, `"forecast_id":"mine","question":`, 1), "", bad, "forecast_id"},
		{"unknown nested", strings.Replace(syria, `"scenario_id":`, `"hack":1,"scenario_id":`, 1), "", bad, "scenarios[0].hack"},
		{"question number", strings.Replace(syria, `"question":`, `"question":5,"x":`, 1), "", bad, ""},
		{"scenarios object", strings.Replace(syria, `"scenarios":`, `"scenarios":{},"x":`, 1), "", bad, ""},
		{"entities string", strings.Replace(syria, `"entities":`, `"entities":"SYR","x":`, 1), "", bad, ""},
		{"text/plain", syria, "text/plain", http.StatusUnsupportedMediaType, ""},
		{"form", syria, "application/x-www-form-urlencoded", http.StatusUnsupportedMediaType, ""},
		{"multipart", syria, "multipart/form-data; boundary=x", http.StatusUnsupportedMediaType, ""},
		{"no content type", syria, "-", http.StatusUnsupportedMediaType, ""},
		{"garbage content type", syria, "json;;;=", http.StatusUnsupportedMediaType, ""},
		{"json with charset", syria, "application/json; charset=utf-8", http.StatusCreated, ""},
		{"problem+json type", syria, "application/problem+json", http.StatusCreated, ""},
		{"over the body limit", `{"question":"` + strings.Repeat("q", handlers.MaxBodyBytes) + `"}`, "", http.StatusRequestEntityTooLarge, ""},
		{"question of 1001 characters", strings.Replace(syria, `"question":`, `"question":"`+strings.Repeat("é", 1001)+`","x":`, 1), "", bad, ""},
	} {
		p := probe{name: c.name, method: http.MethodPost, path: "/api/v1/forecasts", body: []byte(c.body), ctype: c.ctype, want: c.want, field: c.field}
		if c.want == http.StatusCreated {
			p.sent = jsonDoc(t, p.body).(map[string]any)
			p.readBack = forecastProbe(t, "", 0, "", "", func(map[string]any) {}).readBack
		}
		out = append(out, p)
	}
	return out
}

// outcomeProbes are outcome bodies; each is sent for a fresh forecast (POST) or as a
// correction of one resolved forecast (admin PUT).
var outcomeProbes = func() []struct {
	name, body string
	want       int
	field      string
} {
	type c = struct {
		name, body string
		want       int
		field      string
	}
	out := []c{
		{"resolved yes", `{"outcome":1}`, 0, ""},
		{"partial", `{"outcome":0.25,"resolution_method":"gdelt_rule","evidence_gdelt_ids":["881990960","9223372036854775807"]}`, 0, ""},
		{"annulled", `{"status":"annulled"}`, 0, ""},
		{"outcome too big", `{"outcome":1.5}`, bad, "outcome"},
		{"outcome huge", `{"outcome":1e400}`, bad, "outcome"},
		{"outcome string", `{"outcome":"1"}`, bad, "outcome"},
		{"outcome -0", `{"outcome":-0}`, 0, ""},
		{"status upper", `{"outcome":1,"status":"RESOLVED"}`, bad, "status"},
		{"status NUL", `{"outcome":1,"status":"resolved\u0000"}`, bad, "status"},
		{"method injection", `{"outcome":1,"resolution_method":"' OR 1=1 --"}`, bad, "resolution_method"},
		{"method NUL", `{"outcome":1,"resolution_method":"manual\u0000"}`, bad, "resolution_method"},
		{"gdelt id past int64", `{"outcome":1,"evidence_gdelt_ids":["9223372036854775808"]}`, bad, "evidence_gdelt_ids[0]"},
		{"gdelt id zero", `{"outcome":1,"evidence_gdelt_ids":["0"]}`, bad, "evidence_gdelt_ids[0]"},
		{"gdelt id NUL", `{"outcome":1,"evidence_gdelt_ids":["1\u0000"]}`, bad, "evidence_gdelt_ids[0]"},
		{"date Feb 30", `{"outcome":1,"resolution_date":"2026-02-30T00:00:00Z"}`, bad, "$"},
		{"date year 9999", `{"outcome":1,"resolution_date":"9999-12-31T23:59:59Z"}`, bad, "resolution_date"},
		{"date year 0", `{"outcome":1,"resolution_date":"0000-01-01T00:00:00Z"}`, bad, "resolution_date"},
		{"date nanoseconds", `{"outcome":1,"resolution_date":"2026-01-01T00:00:00.000000001Z"}`, bad, "resolution_date"},
		{"duplicate outcome", `{"outcome":1,"outcome":0}`, bad, "outcome"},
		{"case variant", `{"Outcome":1}`, bad, "Outcome"},
		{"unknown field", `{"outcome":1,"forecast_id":"x"}`, bad, "forecast_id"},
		{"empty body", ``, http.StatusBadRequest, ""},
		{"not JSON", `outcome=1`, http.StatusBadRequest, ""},
	}
	for _, h := range hostileTexts {
		body := `{"outcome":1,"notes":` + string(mustJSONValue(h.value)) + `}`
		if h.raw != "" {
			body = strings.Replace(body, rawMark, h.raw, 1)
		}
		want, field := h.optional, ""
		if want == bad {
			field = "notes"
		}
		out = append(out, c{"notes " + h.name, body, want, field})
	}
	return out
}()

func mustJSONValue(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func keyProbes(t *testing.T) []probe {
	var out []probe
	for _, h := range hostileTexts {
		body := `{"client_name":` + string(mustJSONValue(h.value)) + `}`
		if h.raw != "" {
			body = strings.Replace(body, rawMark, h.raw, 1)
		}
		want := http.StatusCreated
		// Key names are stricter than free text: no format characters, no surrounding space.
		if h.text == bad || strings.ContainsAny(h.value, "\u200b\u2060\u202e\u202c\u200d\r\n\t") || strings.TrimSpace(h.value) != h.value {
			want = bad
		}
		p := probe{name: "client_name " + h.name, method: http.MethodPost, path: "/api/v1/admin/keys", body: []byte(body), want: want}
		if want == bad {
			p.field = "client_name"
		} else {
			p.sent = jsonDoc(t, []byte(body)).(map[string]any)
		}
		out = append(out, p)
	}
	for _, c := range []struct {
		name, body string
		want       int
	}{
		{"100 characters", `{"client_name":"` + strings.Repeat("é", 50) + `"}`, http.StatusCreated},
		{"101 bytes", `{"client_name":"` + strings.Repeat("x", 101) + `"}`, bad},
		{"number", `{"client_name":1}`, bad},
		{"two names", `{"client_name":"a","client_name":"b"}`, bad},
	} {
		out = append(out, probe{name: "client_name " + c.name, method: http.MethodPost, path: "/api/v1/admin/keys", body: []byte(c.body), want: c.want})
	}
	return out
}

// queryProbes send hostile values to every parameter of every route that reads one.
func queryProbes() []probe {
	routes := map[string][]string{
		"/api/v1/events": {"country", "start_date", "end_date", "root_code", "cameo_code", "quad_class", "min_mentions",
			"goldstein_min", "goldstein_max", "actor", "text", "source", "limit"},
		"/api/v1/calibration/scorecard": {"category", "country", "from", "to", "source"},
		"/api/v1/forecasts/search":      {"q", "country", "category", "limit"},
		"/api/v1/forecasts/country/SYR": {"limit"},
		"/api/v1/forecasts/top":         {"limit", "sort"},
		"/api/v1/ingest-runs":           {"status", "source", "limit"},
		"/api/v1/globe/arcs":            {"limit"},
		"/api/v1/globe/deltas":          {"limit"},
	}
	values := []string{"%00", "a%00b", "%01", "%1B%5B31m", "%7F", "%C2%85", "%FF", "%C0%AF", "%ED%A0%80", "NaN", "nan",
		"Inf", "-Infinity", "1e309", "99999999999999999999", "-1", "2147483648", "%27%20OR%201%3D1%20--", "%25", "_",
		"%5C", "9999-12-31", "0000-01-01", "2019-02-30", strings.Repeat("x", 5000), "e%CC%81", "%E2%80%8B", "%20"}
	var out []probe
	for route, params := range routes {
		for _, param := range params {
			for _, v := range values {
				want := 0
				if strings.HasPrefix(v, "%0") || strings.HasPrefix(v, "a%00") || v == "%1B%5B31m" || v == "%7F" || v == "%C2%85" ||
					v == "%FF" || v == "%C0%AF" || v == "%ED%A0%80" {
					want = bad
				}
				if strings.HasPrefix(param, "goldstein") && (strings.Contains(strings.ToLower(v), "nan") || strings.Contains(strings.ToLower(v), "inf") || v == "1e309") {
					want = bad
				}
				if (param == "to" || param == "from") && v == "2019-02-30" {
					want = bad
				}
				p := probe{name: route + "?" + param + "=" + v, method: http.MethodGet, path: route + "?" + param + "=" + v, want: want}
				if want == bad {
					p.field = param
				}
				out = append(out, p)
			}
		}
	}
	// Parameter names follow the text rules too, and paths never reach a query.
	for _, p := range []string{"/api/v1/events?%00=1", "/api/v1/events?a%FF=1"} {
		out = append(out, probe{name: p, method: http.MethodGet, path: p, want: bad})
	}
	for _, p := range []string{"/api/v1/forecasts/%00", "/api/v1/forecasts/%27%20OR%201%3D1--", "/api/v1/countries/%00",
		"/api/v1/forecasts/country/%FF", "/api/v1/events/%00", "/api/v1/events/99999999999999999999", "/api/v1/calibration/weights/%00",
		"/api/v1/forecasts/00000000-0000-0000-0000-000000000000%00/outcome"} {
		out = append(out, probe{name: p, method: http.MethodGet, path: p, want: http.StatusNotFound})
	}
	return out
}

// forgedCursors are cursors no server made: each list answers 400.
func forgedCursors() []probe {
	v1 := func(payload string) string {
		sum := sha256Hex("geopol-cursor-v1|" + payload)
		return base64URL(payload + "|" + sum[:12])
	}
	cursors := []string{
		v1("country:SYR|1|a\x00b"), v1("country:SYR|1|\xff"), v1("country:SYR|99999999999999999999|x"),
		v1("events:" + strings.Repeat("0", 16) + "|0|1\x00"), v1("ingest-runs::|0|1"),
		base64URL("1|id") + "." + base64URL(strings.Repeat("\x00", 16)), base64URL("1|a\x00") + "." + base64URL("0123456789abcdef"),
		"%00", "%FF", "..", ".", strings.Repeat("A", 600), "bm90LWEtY3Vyc29y",
	}
	var out []probe
	for _, route := range []string{"/api/v1/forecasts/country/SYR", "/api/v1/events", "/api/v1/ingest-runs"} {
		for i, c := range cursors {
			out = append(out, probe{name: fmt.Sprintf("%s forged cursor %d", route, i), method: http.MethodGet,
				path: route + "?cursor=" + url.QueryEscape(c), want: http.StatusBadRequest})
			if c == "%00" || c == "%FF" {
				out[len(out)-1].path = route + "?cursor=" + c
			}
		}
	}
	return out
}

func TestHostileProbes(t *testing.T) {
	forecasts := forecastProbes(t)
	keys := keyProbes(t)
	queries := queryProbes()
	cursors := forgedCursors()
	eachBackend(t, func(t *testing.T, e *env) {
		// Hundreds of admin probes from one address: lift the admin rate limit (tested in
		// abuse_test.go) so every probe reaches its handler.
		e.cfg.AdminRateLimitPerMinute = 1_000_000
		admin := e.withAdmin()
		e.ingestSample()
		sent, accepted, refused, failed := 0, 0, 0, 0
		check := func(p probe, rec *httptest.ResponseRecorder) {
			t.Helper()
			sent++
			switch {
			case rec.Code >= 500:
				failed++
				t.Errorf("%s: %d %.300s", p.name, rec.Code, rec.Body)
				return
			case p.want != 0 && rec.Code != p.want:
				t.Errorf("%s: %d, want %d: %.300s", p.name, rec.Code, p.want, rec.Body)
				return
			case rec.Code == bad && p.field != "":
				found := false
				for _, f := range decode[handlers.Problem](t, rec).Errors {
					prefix, wild := strings.CutSuffix(p.field, "*")
					found = found || f.Field == p.field || wild && strings.HasPrefix(f.Field, prefix)
				}
				if !found {
					t.Errorf("%s: the 422 does not name %s: %.300s", p.name, p.field, rec.Body)
				}
			}
			if rec.Code < 300 {
				accepted++
			} else {
				refused++
			}
		}
		for _, p := range forecasts {
			rec := e.send(p)
			check(p, rec)
			if rec.Code == http.StatusCreated && p.sent != nil {
				if diff := sameAs(p.sent, p.readBack(e, rec), "$"); len(diff) > 0 {
					t.Errorf("%s: stored altered:\n%s", p.name, strings.Join(diff, "\n"))
				}
			}
		}
		golden := golden(t, "syria")
		resolved := e.newForecast(golden)
		if rec := e.resolve(resolved, `{"outcome":1}`); rec.Code != http.StatusCreated {
			t.Fatalf("resolve: %d %s", rec.Code, rec.Body)
		}
		for _, o := range outcomeProbes {
			want := o.want
			if want == 0 {
				want = http.StatusCreated
			}
			for _, method := range []string{http.MethodPost, http.MethodPut} {
				id, path, header := e.newForecast(golden), "", []string(nil)
				if method == http.MethodPost {
					path = "/api/v1/forecasts/" + id + "/outcome"
				} else {
					id, path, header = resolved, "/api/v1/admin/forecasts/"+resolved+"/outcome", admin
					if want == http.StatusCreated {
						want = http.StatusOK
					}
				}
				p := probe{name: method + " outcome " + o.name, method: method, path: path, body: []byte(o.body), want: want, field: o.field}
				req := httptest.NewRequest(method, path, bytes.NewReader(p.body))
				req.Header.Set("Content-Type", "application/json")
				rec := e.serve(req, header...)
				check(p, rec)
				if rec.Code < 300 {
					back := e.do(http.MethodGet, "/api/v1/forecasts/"+id+"/outcome", nil)
					sentDoc := jsonDoc(t, p.body).(map[string]any)
					if diff := sameAs(sentDoc, jsonDoc(t, back.Body.Bytes()), "$"); len(diff) > 0 {
						t.Errorf("%s: stored altered:\n%s", p.name, strings.Join(diff, "\n"))
					}
				}
				if want == http.StatusOK {
					want = http.StatusCreated
				}
			}
		}
		for _, p := range keys {
			req := httptest.NewRequest(p.method, p.path, bytes.NewReader(p.body))
			req.Header.Set("Content-Type", "application/json")
			rec := e.serve(req, admin...)
			check(p, rec)
			if rec.Code == http.StatusCreated {
				created := decode[handlers.CreatedKey](t, rec)
				listReq := httptest.NewRequest(http.MethodGet, "/api/v1/admin/keys", nil)
				found := false
				for _, k := range decode[handlers.KeyList](t, e.serve(listReq, admin...)).Items {
					if k.ID == created.ID {
						found = true
						if want, ok := p.sent["client_name"].(string); ok && k.ClientName != want {
							t.Errorf("%s: stored %q, sent %q", p.name, k.ClientName, want)
						}
					}
				}
				if !found {
					t.Errorf("%s: created key %d is not listed", p.name, created.ID)
				}
			}
		}
		for _, p := range append(queries, cursors...) {
			check(p, e.send(p))
		}
		t.Logf("%d hostile requests: %d accepted (each read back and compared), %d refused, %d answered 5xx", sent, accepted, refused, failed)
		if sent < 300 {
			t.Errorf("only %d probes", sent)
		}
	})
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func base64URL(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// A zero sent as -0 answers 0 on both databases: PostgreSQL keeps the sign of a zero in a
// double precision column, SQLite does not.
func TestNegativeZeroAnswersAlike(t *testing.T) {
	eachBackend(t, func(t *testing.T, e *env) {
		body := bytes.Replace(golden(t, "syria"), []byte(`"probability":0.62`), []byte(`"probability":-0`), 1)
		rec := e.post(body)
		if rec.Code != http.StatusCreated {
			t.Fatalf("POST: %d %s", rec.Code, rec.Body)
		}
		id := decode[struct {
			ForecastID string `json:"forecast_id"`
		}](t, rec).ForecastID
		e.server.Cache = memCache() // read the row, not a cached copy
		get := e.do(http.MethodGet, "/api/v1/forecasts/"+id, nil)
		if !bytes.Contains(get.Body.Bytes(), []byte(`"probability":0,`)) {
			t.Errorf("GET answers %.200s", get.Body)
		}
		if rec := e.resolve(id, `{"outcome":-0}`); !bytes.Contains(rec.Body.Bytes(), []byte(`"outcome":0,`)) {
			t.Errorf("outcome -0: %d %.200s", rec.Code, rec.Body)
		}
		back := e.do(http.MethodGet, "/api/v1/forecasts/"+id+"/outcome", nil)
		if !bytes.Contains(back.Body.Bytes(), []byte(`"outcome":0,`)) {
			t.Errorf("GET outcome answers %.200s", back.Body)
		}
	})
}
