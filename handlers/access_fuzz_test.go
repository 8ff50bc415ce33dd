package handlers

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"geopol/apikey"
)

// Generated keys have the documented shape, draw only base62 characters and do not
// repeat; the header parser finds them in either header.
func TestNewAPIKey(t *testing.T) {
	seen := map[string]bool{}
	counts := map[rune]int{}
	for i := 0; i < 2000; i++ {
		k, err := apikey.New()
		if err != nil {
			t.Fatal(err)
		}
		if !apikey.WellFormed(k) || len(k) != 51 || seen[k] {
			t.Fatalf("key %d: %q (repeat %v)", i, k, seen[k])
		}
		seen[k] = true
		for _, r := range k[len(apikey.Prefix):] {
			counts[r]++
		}
		for _, h := range []http.Header{{"X-Api-Key": {k}}, {"Authorization": {"Bearer " + k}}, {"Authorization": {"bearer  " + k + " "}}} {
			if got, ok := extractAPIKey(h, "X-API-Key"); !ok || got != k {
				t.Fatalf("extract from %v: %q %v", h, got, ok)
			}
		}
	}
	// 2000 keys hold 86000 characters, about 1387 of each symbol: all 62 must occur.
	if len(counts) != 62 {
		t.Errorf("only %d distinct characters drawn", len(counts))
	}
	if h := apikey.Hash("gp_live_x"); len(h) != 64 || strings.ToLower(h) != h {
		t.Errorf("hash %q is not lower-case SHA-256 hex", h)
	}
}

// FuzzExtractAPIKey feeds arbitrary header values to the key parser: it never panics,
// returns only well-formed keys, and only keys that were in one of the headers.
func FuzzExtractAPIKey(f *testing.F) {
	k, _ := apikey.New()
	for _, s := range [][2]string{
		{k, ""}, {"", "Bearer " + k}, {" " + k + " ", ""}, {"", "bearer\t" + k},
		{"gp_live_", ""}, {"", "Basic " + k}, {k + "x", "Bearer " + k[:50]}, {"", "Bearer"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, header, auth string) {
		h := http.Header{}
		h.Set("X-API-Key", header)
		h.Set("Authorization", auth)
		got, ok := extractAPIKey(h, "X-API-Key")
		if !ok {
			if got != "" {
				t.Fatalf("refused but returned %q", got)
			}
			if apikey.WellFormed(strings.TrimSpace(header)) {
				t.Fatalf("a well-formed key in the header was refused: %q", header)
			}
			return
		}
		if !apikey.WellFormed(got) || !utf8.ValidString(got) || len(got) != 51 {
			t.Fatalf("returned a malformed key %q", got)
		}
		if !strings.Contains(header, got) && !strings.Contains(auth, got) {
			t.Fatalf("returned %q, which neither header holds", got)
		}
		if apikey.WellFormed(strings.TrimSpace(header)) && got != strings.TrimSpace(header) {
			t.Fatalf("the configured header must win: got %q", got)
		}
	})
}

// FuzzParseCreateKey feeds arbitrary bodies to the admin create decoder: it never
// panics, fails only with 400 or 422 problems, and accepts only valid UTF-8 bodies and
// names that fit the column and are exactly what the JSON says.
func FuzzParseCreateKey(f *testing.F) {
	for _, s := range []string{
		`{"client_name":"globe-dashboard"}`, `{"client_name":""}`, `{}`, `[]`, `null`, `"x"`,
		`{"client_name":"x","extra":1}`, `{"client_name":7}`, `{"client_name":"a\u0000b"}`,
		`{"client_name":"` + strings.Repeat("é", 60) + `"}`, `{"client_name":"x"} {}`, `{"client_name":`,
		`{"CLIENT_NAME":"upper"}`, `{"client_name":"\u202eevil"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		name, err := parseCreateKey(body)
		if err != nil {
			if api := asAPIError(err); api.Status != http.StatusBadRequest && api.Status != http.StatusUnprocessableEntity {
				t.Fatalf("%q: error %v is not a 400/422 problem", body, err)
			}
			return
		}
		if n, msg := apikey.NormalizeClientName(name); name == "" || msg != "" || n != name {
			t.Fatalf("%q: accepted name %q", body, name)
		}
		var m map[string]any
		if json.Unmarshal(body, &m) != nil || !utf8.Valid(body) {
			t.Fatalf("%q: accepted a body that is not a UTF-8 JSON object", body)
		}
		if len(m) != 1 || m["client_name"] != name {
			t.Fatalf("%q: name %q is not the body's only field, client_name, as sent", body, name)
		}
	})
}
