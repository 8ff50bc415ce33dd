package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"geopol/config"
)

const healthUsage = `usage: geopol health [--url BASE] [--timeout 3s]

Asks the API on this host whether it is ready: GET BASE/api/v1/readyz (or
BASE/api/v1/health on a server without readyz). BASE defaults to HTTP_ADDR on the
loopback interface (":8000" -> http://127.0.0.1:8000). For Docker HEALTHCHECK and
compose: the image has no shell or HTTP client.

Exit status: 0 when the server answers 2xx (ready; "degraded" health counts, since the
database answers), 1 when it answers otherwise, does not answer within --timeout or
cannot be reached, 2 for a usage error.`

// healthCmd probes the local API and exits 0 when it is ready.
func healthCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("health", healthUsage, stderr)
	base := fs.String("url", "", "base URL of the API (default: from HTTP_ADDR)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if help, err := parseFlags(fs, args); help || err != nil {
		return err
	}
	if fs.NArg() > 0 || *timeout <= 0 {
		fs.Usage()
		return usagef("health takes no arguments and a positive --timeout")
	}
	if *base == "" {
		cfg, err := config.Load(config.Options{})
		if err != nil {
			return err
		}
		*base = localURL(cfg.HTTPAddr)
	} else if u, err := url.Parse(*base); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		fs.Usage()
		return usagef("--url %q: want http://host:port", *base)
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	client := &http.Client{}
	base2 := strings.TrimRight(*base, "/")
	for _, path := range []string{"/api/v1/readyz", "/api/v1/health"} {
		status, state, err := probe(ctx, client, base2+path)
		if err != nil {
			return fmt.Errorf("not ready: %w", err)
		}
		if status == http.StatusNotFound && path == "/api/v1/readyz" {
			continue // a server without readiness: its health answers
		}
		line := fmt.Sprintf("%s %d", base2+path, status)
		if state != "" {
			line += " " + state
		}
		if status/100 != 2 {
			return fmt.Errorf("not ready: %s", line)
		}
		fmt.Fprintln(stdout, "ready:", line)
		return nil
	}
	return fmt.Errorf("not ready: %s answered neither readyz nor health", base2)
}

// probe GETs u and returns its status and the body's "status" member, if any.
func probe(ctx context.Context, client *http.Client, u string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&body)
	return resp.StatusCode, body.Status, nil
}

// localURL turns a listen address into the URL that reaches it from this host: an
// unspecified or missing host becomes the loopback address.
func localURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "http://" + addr
	}
	switch ip := net.ParseIP(host); {
	case host == "" || (ip != nil && ip.IsUnspecified() && ip.To4() != nil):
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port)
}
