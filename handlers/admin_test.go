package handlers_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"geopol/handlers"
)

// Without ADMIN_TOKEN the admin routes do not exist at all.
func TestAdminRoutesAbsentWithoutToken(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	for _, r := range [][2]string{{"POST", "/api/v1/admin/keys"}, {"GET", "/api/v1/admin/keys"}, {"DELETE", "/api/v1/admin/keys/1"}} {
		if rec := e.do(r[0], r[1], []byte(`{"client_name":"x"}`), bearer("")...); rec.Code != http.StatusNotFound {
			t.Errorf("%s %s without ADMIN_TOKEN: %d", r[0], r[1], rec.Code)
		}
	}
}

// Only Authorization: Bearer <ADMIN_TOKEN> opens the admin routes; an API key does not.
func TestAdminTokenIsRequired(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	logs := withLogs(e, testAdminToken)
	for name, h := range map[string][]string{
		"none":          {"X-API-Key", ""},
		"wrong":         bearer("wrong-token"),
		"prefix of it":  bearer(testAdminToken[:len(testAdminToken)-1]),
		"longer":        bearer(testAdminToken + "x"),
		"basic scheme":  {"Authorization", "Basic " + testAdminToken},
		"api key":       bearer(e.headers.Get("X-API-Key")),
		"token as key":  {"X-API-Key", testAdminToken},
		"empty bearer":  {"Authorization", "Bearer "},
		"scheme only":   {"Authorization", "Bearer"},
		"token no auth": {"Authorization", testAdminToken},
	} {
		rec := e.do(http.MethodGet, "/api/v1/admin/keys", nil, h...)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %v", name, rec.Code, rec.Header())
		}
	}
	if rec := e.do(http.MethodGet, "/api/v1/admin/keys", nil, "Authorization", "bearer "+testAdminToken); rec.Code != http.StatusOK {
		t.Errorf("right token: %d %s", rec.Code, rec.Body)
	}
	if strings.Contains(logs.String(), testAdminToken) {
		t.Errorf("the admin token was logged:\n%s", logs)
	}
}

// Admin create validates its body the way POST /forecasts does; revoke answers 404
// for ids that name no key.
func TestAdminErrors(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	withLogs(e, testAdminToken)
	auth := bearer(testAdminToken)
	for _, tc := range []struct {
		body string
		want int
	}{
		{`{"client_name":""}`, 422},
		{`{"client_name":"   "}`, 422},
		{`{"client_name":"` + strings.Repeat("n", 101) + `"}`, 422},
		{`{"client_name":"bad\u0000name"}`, 422},
		{`{"client_name":"bell\u0007"}`, 422},
		{`{"client_name":7}`, 422},
		{`{"client":"x"}`, 422},
		{`{}`, 422},
		{`{"client_name":"x"} {}`, 400},
		{`{"client_name":`, 400},
		{``, 400},
	} {
		if rec := e.do(http.MethodPost, "/api/v1/admin/keys", []byte(tc.body), auth...); rec.Code != tc.want {
			t.Errorf("%q: %d, want %d: %s", tc.body, rec.Code, tc.want, rec.Body)
		}
	}
	if rec := e.do(http.MethodPost, "/api/v1/admin/keys", []byte(`{"client_name":"x"}`), append(auth, "Content-Type", "text/plain")...); rec.Code != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain body: %d", rec.Code)
	}
	for _, id := range []string{"987654", "abc", "0", "-1", "99999999999999999999"} {
		if rec := e.do(http.MethodDelete, "/api/v1/admin/keys/"+id, nil, auth...); rec.Code != http.StatusNotFound {
			t.Errorf("revoke %s: %d", id, rec.Code)
		}
	}
	// The API stores a name as sent or refuses it: surrounding white space is refused,
	// not trimmed away behind the client's back.
	if rec := e.do(http.MethodPost, "/api/v1/admin/keys", []byte(`{"client_name":"  trimmed  "}`), auth...); rec.Code != http.StatusUnprocessableEntity ||
		!strings.Contains(rec.Body.String(), `"client_name"`) {
		t.Errorf("name with surrounding spaces: %d %s", rec.Code, rec.Body)
	}
}

// Bodies over MAX_BODY_BYTES are refused with 413, whether the client declares the
// length or streams the body.
func TestBodyLimit(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	withLogs(e, testAdminToken)
	e.cfg.MaxBodyBytes = 2048
	body := []byte(`{"client_name":"` + strings.Repeat("x", 4096) + `"}`)
	for _, declared := range []bool{true, false} {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/admin/keys", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+testAdminToken)
		if !declared {
			req.ContentLength = -1
		}
		rec := httptest.NewRecorder()
		e.router.ServeHTTP(rec, req)
		if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != handlers.ProblemContentType ||
			!strings.Contains(rec.Body.String(), "2048") {
			t.Errorf("declared length %v: %d %s", declared, rec.Code, rec.Body)
		}
	}
	if rec := e.do(http.MethodPost, "/api/v1/admin/keys", []byte(`{"client_name":"small"}`), bearer(testAdminToken)...); rec.Code != http.StatusCreated {
		t.Errorf("a body under the limit: %d %s", rec.Code, rec.Body)
	}
}
