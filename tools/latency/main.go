// Command latency measures a server's response time at a fixed request rate, for
// scripts/loadbench. wrk keeps every connection busy, so its latencies at saturation are
// the queue in front of the server (32 connections at N req/s wait 32/N s on average)
// plus the machine's scheduling, the same for any server; latency at a given load is
// what a caller sees.
//
//	latency -rate 8000 -duration 8s -connections 32 -header "X-API-Key: gp_live_..." URL
//
// Requests are sent open-loop: the i-th is due at start + i/rate whatever the answers
// before it did, and its latency runs from when it was due to when its body was read, so
// a stalled server counts the wait of every request it held up (no coordinated
// omission). At most -connections are in flight on keep-alive connections; a request
// that finds them all busy waits, and that wait counts. It prints one line:
//
//	requests=N errors=E rate=R p50_ms=... p90_ms=... p99_ms=... max_ms=...
//
// and exits 1 when a request failed or answered other than 200.
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	rate := flag.Float64("rate", 1000, "requests per second")
	duration := flag.Duration("duration", 8*time.Second, "how long to send")
	conns := flag.Int("connections", 32, "connections (requests in flight at most)")
	header := flag.String("header", "", `one request header, "Name: value"`)
	flag.Parse()
	if flag.NArg() != 1 || *rate <= 0 || *conns < 1 {
		log.Fatal("usage: latency [-rate R] [-duration D] [-connections C] [-header H] URL")
	}
	url := flag.Arg(0)
	var hname, hvalue string
	if *header != "" {
		n, v, ok := strings.Cut(*header, ":")
		if !ok {
			log.Fatalf("latency: -header %q is not Name: value", *header)
		}
		hname, hvalue = strings.TrimSpace(n), strings.TrimSpace(v)
	}
	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxConnsPerHost: *conns, MaxIdleConnsPerHost: *conns, DisableCompression: true},
	}

	total := int(*rate * duration.Seconds())
	interval := time.Duration(float64(time.Second) / *rate)
	lat := make([]time.Duration, total)
	var errs atomic.Int64
	var firstErr sync.Once
	slots := make(chan struct{}, *conns)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range total {
		due := start.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		slots <- struct{}{} // all connections busy: this request waits, and it counts
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-slots }()
			req, _ := http.NewRequest(http.MethodGet, url, nil)
			if hname != "" {
				req.Header.Set(hname, hvalue)
			}
			resp, err := client.Do(req)
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err == nil && resp.StatusCode != http.StatusOK {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			lat[i] = time.Since(due)
			if err != nil {
				errs.Add(1)
				firstErr.Do(func() { fmt.Fprintln(os.Stderr, "latency:", err) })
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	slices.Sort(lat)
	q := func(p float64) float64 {
		return float64(lat[min(int(p*float64(len(lat))), len(lat)-1)]) / float64(time.Millisecond)
	}
	fmt.Printf("requests=%d errors=%d rate=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f\n",
		total, errs.Load(), float64(total)/elapsed.Seconds(), q(0.50), q(0.90), q(0.99), q(1))
	if errs.Load() > 0 {
		os.Exit(1)
	}
}
