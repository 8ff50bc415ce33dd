package handlers_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// HEAD answers every GET route like GET does, status and headers, without a body.
func TestHeadAnswersLikeGet(t *testing.T) {
	e := newEnv(t, sqliteConfig(t), memCache())
	id := e.newForecast(golden(t, "syria"))
	srv := httptest.NewServer(e.router)
	defer srv.Close()
	for _, path := range []string{"/api/v1/health", "/api/v1/openapi.json", "/docs", "/api/v1/forecasts/" + id,
		"/api/v1/countries", "/api/v1/forecasts/top", "/api/v1/forecasts/00000000-0000-4000-8000-000000000000",
		"/api/v1/sources"} {
		answers := map[string]*http.Response{}
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			req, _ := http.NewRequest(method, srv.URL+path, nil)
			for k, v := range e.headers {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if method == http.MethodHead && len(body) != 0 {
				t.Errorf("HEAD %s sent a body", path)
			}
			answers[method] = resp
		}
		get, head := answers[http.MethodGet], answers[http.MethodHead]
		sameETag := head.Header.Get("ETag") == get.Header.Get("ETag") || path == "/api/v1/health" // health is timestamped
		if head.StatusCode != get.StatusCode || head.Header.Get("Content-Type") != get.Header.Get("Content-Type") || !sameETag {
			t.Errorf("%s: HEAD %d %q %q, GET %d %q %q", path, head.StatusCode, head.Header.Get("Content-Type"),
				head.Header.Get("ETag"), get.StatusCode, get.Header.Get("Content-Type"), get.Header.Get("ETag"))
		}
	}
}
