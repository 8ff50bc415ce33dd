package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthCommand(t *testing.T) {
	cases := []struct {
		name      string
		readyz    int // 0: route absent (404)
		health    int
		wantExit  int
		wantProbe string
	}{
		{"ready", 200, 200, exitOK, "/api/v1/readyz 200"},
		{"not ready", 503, 200, exitFailure, "/api/v1/readyz 503"},
		{"no readyz, healthy", 0, 200, exitOK, "/api/v1/health 200 degraded"},
		{"no readyz, database down", 0, 503, exitFailure, "/api/v1/health 503 unhealthy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch {
				case r.URL.Path == "/api/v1/readyz" && tc.readyz != 0:
					w.WriteHeader(tc.readyz)
				case r.URL.Path == "/api/v1/health":
					state := "degraded"
					if tc.health != 200 {
						state = "unhealthy"
					}
					w.WriteHeader(tc.health)
					_, _ = w.Write([]byte(`{"status":"` + state + `"}`))
				default:
					http.NotFound(w, r)
				}
			}))
			defer srv.Close()
			var out, errOut bytes.Buffer
			err := run(context.Background(), []string{"health", "--url", srv.URL}, &out, &errOut)
			if got := exitCode(err); got != tc.wantExit {
				t.Fatalf("exit %d (%v), want %d", got, err, tc.wantExit)
			}
			said := out.String()
			if err != nil {
				said = err.Error()
			}
			if !strings.Contains(said, tc.wantProbe) {
				t.Errorf("said %q, want it to name %q", said, tc.wantProbe)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		if err := run(context.Background(), []string{"health", "--url", url, "--timeout", "1s"}, &bytes.Buffer{}, &bytes.Buffer{}); exitCode(err) != exitFailure {
			t.Errorf("a closed port: %v, want exit 1", err)
		}
	})
	t.Run("usage", func(t *testing.T) {
		for _, args := range [][]string{{"health", "extra"}, {"health", "--url", "ftp://x"}, {"health", "--timeout", "0s"}} {
			if err := run(context.Background(), args, &bytes.Buffer{}, &bytes.Buffer{}); exitCode(err) != exitUsage {
				t.Errorf("%q: %v, want exit 2", args, err)
			}
		}
	})
}

func TestHealthLocalURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8000": "http://127.0.0.1:8000", "0.0.0.0:80": "http://127.0.0.1:80", "[::]:8000": "http://[::1]:8000",
		"10.1.2.3:9000": "http://10.1.2.3:9000", "localhost:8080": "http://localhost:8080",
	} {
		if got := localURL(addr); got != want {
			t.Errorf("localURL(%q) = %q, want %q", addr, got, want)
		}
	}
}
