package storetest

import (
	"io"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy is a TCP proxy of a test's own between geopol and a server (the test
// PostgreSQL), so that a test can take the server away from geopol without touching
// the server that other tests share: Cut resets every proxied connection at once and
// resets each new one as soon as it is accepted, the way a crashed or restarting
// server looks from the client; Restore lets connections through again.
type Proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{} // both ends of every proxied connection
	wg    sync.WaitGroup
}

// NewProxy listens on a free loopback port and forwards every connection to target
// (host:port) until the test ends.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("storetest: proxy: %v", err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// ProxiedPostgresURL creates an empty database for this test (as PostgresURL does) and
// returns its URL through a Proxy of the test's own, with the proxy.
func ProxiedPostgresURL(t testing.TB) (string, *Proxy) {
	t.Helper()
	u, err := url.Parse(PostgresURL(t))
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	p := NewProxy(t, u.Host)
	u.Host = p.Addr()
	return u.String(), p
}

// Addr is the proxy's host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Cut resets every open connection (both ends) and every connection accepted until
// Restore.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		reset(c)
		delete(p.conns, c)
	}
}

// Restore forwards new connections again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.forward(c)
	}
}

// forward proxies one client connection until either side closes it or Cut resets it.
func (p *Proxy) forward(client net.Conn) {
	defer p.wg.Done()
	if !p.track(client) {
		return
	}
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		p.drop(client)
		return
	}
	if !p.track(server) {
		p.drop(client)
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		done <- struct{}{}
	}
	go pipe(server, client)
	go pipe(client, server)
	<-done
	// One direction ended (a side closed, or Cut reset both): end the other.
	p.drop(client)
	p.drop(server)
	<-done
}

// track registers c, or resets it and reports false while the proxy is cut.
func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut || p.conns == nil {
		reset(c)
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

// drop closes c (gracefully, unless Cut reset it already) and forgets it.
func (p *Proxy) drop(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *Proxy) close() {
	_ = p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		reset(c)
	}
	p.conns = nil
	p.mu.Unlock()
	p.wg.Wait()
}

// reset closes c with a TCP RST rather than a FIN, as a connection to a server that
// died looks.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}
