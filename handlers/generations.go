package handlers

import (
	"strings"
	"sync"
)

// generationsChannel is where a bump is announced ("<scope> <token>") to every process
// sharing the Redis.
const generationsChannel = "generations"

// generations is a process's copy of the invalidation generations in Redis, kept current
// by the bumps announced on generationsChannel, so that a cached list can be checked
// without a round trip. It is trusted only while the subscription is live and the cache's
// breaker has not opened since (a message may have been missed otherwise): then every
// scope is read from Redis again.
type generations struct {
	mu      sync.RWMutex
	tokens  map[string]string
	live    bool
	outages uint64 // the breaker's count when the copy was started
	// epoch changes with every message and reset, so a token read from Redis is kept only
	// when nothing newer arrived while it was being read.
	epoch uint64
}

// setLive starts the copy afresh: empty, trusted or not.
func (g *generations) setLive(live bool, outages uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.tokens)
	g.live, g.outages = live, outages
	g.epoch++
}

// announced applies an announced bump.
func (g *generations) announced(payload string) {
	scope, token, ok := strings.Cut(payload, " ")
	if !ok {
		return
	}
	g.set(scope, token)
}

// set records scope's new token (announced, or bumped by this process).
func (g *generations) set(scope, token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live {
		if g.tokens == nil {
			g.tokens = map[string]string{}
		}
		g.tokens[scope] = token
	}
	g.epoch++
}

// get returns scope's token when the copy can be trusted, and the epoch to pass to learn.
func (g *generations) get(scope string, outages uint64) (string, uint64, bool) {
	g.mu.RLock()
	if outages == g.outages {
		token, ok := g.tokens[scope]
		live, epoch := g.live, g.epoch
		g.mu.RUnlock()
		return token, epoch, ok && live
	}
	g.mu.RUnlock()
	g.mu.Lock()
	defer g.mu.Unlock()
	if outages != g.outages {
		// The breaker opened since: bumps may have been missed. Start afresh.
		clear(g.tokens)
		g.outages = outages
		g.epoch++
	}
	if !g.live {
		return "", g.epoch, false
	}
	token, ok := g.tokens[scope]
	return token, g.epoch, ok
}

// learn records a token read from Redis, unless something changed since epoch.
func (g *generations) learn(scope, token string, epoch uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.live && g.epoch == epoch {
		if g.tokens == nil {
			g.tokens = map[string]string{}
		}
		g.tokens[scope] = token
	}
}
