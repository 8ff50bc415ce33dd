// Package stream is geopol's live event stream: what the API's writes produce
// (forecast.created, outcome.recorded, calibration.updated) and what ingest processes
// report (ingest.completed), fanned out to Server-Sent Events clients.
//
// A Hub keeps the newest events in a bounded ring for Last-Event-ID resume and hands
// each subscriber its own bounded queue: publishing never waits for a subscriber, and a
// subscriber whose queue is full is dropped (it reconnects and resumes).
//
// Event ids are decimal integers. Without Redis a process numbers its events itself,
// from its start time in microseconds, so ids grow across restarts and an id from an
// earlier run is recognised as outside the buffer. With Redis (ConnectRedis) one
// counter in Redis numbers the events of every process, and each event is stored in a
// bounded history list and published on a channel in one atomic script: every process
// receives every event in id order and keeps the same ring, so a client may resume on
// any replica with the id it last saw on another.
package stream

import (
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"geopol/metrics"
)

// Event types.
const (
	ForecastCreated    = "forecast.created"
	OutcomeRecorded    = "outcome.recorded"
	CalibrationUpdated = "calibration.updated"
	IngestCompleted    = "ingest.completed"
	// Reset tells a resuming client that events it has not seen are no longer buffered
	// (or that its id is from another numbering): it should reload what it shows from
	// the REST API. It is never published; the stream sends it to that client alone.
	Reset = "stream.reset"
)

// Types are the event types a client may ask for.
var Types = []string{ForecastCreated, OutcomeRecorded, CalibrationUpdated, IngestCompleted}

// Event is one published event. Data is its JSON payload.
type Event struct {
	ID   uint64
	Type string
	Time time.Time
	Data json.RawMessage
}

// envelope is an event's JSON form: the SSE data line, the Redis message and the
// history entry.
type envelope struct {
	ID   string          `json:"id,omitempty"`
	Type string          `json:"type"`
	Time time.Time       `json:"time"`
	Data json.RawMessage `json:"data"`
}

// JSON is the event as a client receives it in the SSE data field.
func (e Event) JSON() []byte {
	b, _ := json.Marshal(envelope{ID: strconv.FormatUint(e.ID, 10), Type: e.Type, Time: e.Time, Data: e.Data})
	return b
}

// Publisher publishes events. Publish never blocks on subscribers or on Redis; an event
// that cannot be published is counted (geopol_stream_publish_failures_total) and logged.
type Publisher interface {
	Publish(typ string, data any)
}

// Options tune a Hub. Zero values take the defaults.
type Options struct {
	Buffer       int           // events kept for Last-Event-ID resume (default 1024)
	ClientBuffer int           // events queued per client before it is dropped (default 256)
	MaxClients   int           // open subscriptions per process (default 1000)
	Heartbeat    time.Duration // comment line sent to idle clients (default 15 s)
	Log          *slog.Logger
	// Now is the clock of event times and of the first local id; nil means time.Now.
	Now func() time.Time
}

// Errors of Subscribe.
var (
	ErrTooManyClients = errors.New("too many stream clients on this process")
	ErrClosed         = errors.New("the stream is shutting down")
)

// Hub fans events out to subscribers and keeps the newest for resume.
type Hub struct {
	opts Options

	mu      sync.Mutex
	ring    []Event // oldest first, at most opts.Buffer
	base    uint64  // resume is complete from any id in [base, newest]
	newest  uint64
	clients map[*Subscription]struct{}
	closed  bool
	// remote, when set, publishes through Redis; events come back through dispatch.
	remote *redisBridge
}

// NewHub returns a hub that numbers and delivers events in-process.
func NewHub(opts Options) *Hub {
	if opts.Buffer <= 0 {
		opts.Buffer = 1024
	}
	if opts.ClientBuffer <= 0 {
		opts.ClientBuffer = 256
	}
	if opts.MaxClients <= 0 {
		opts.MaxClients = 1000
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = 15 * time.Second
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	start := uint64(opts.Now().UnixMicro())
	return &Hub{opts: opts, base: start, newest: start, clients: map[*Subscription]struct{}{}}
}

// Heartbeat is how often an idle client gets a comment line.
func (h *Hub) Heartbeat() time.Duration { return h.opts.Heartbeat }

// Publish implements Publisher: it encodes data and delivers the event, through Redis
// when the hub is connected to it, else at once in this process.
func (h *Hub) Publish(typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		metrics.StreamPublishFailures.Inc()
		h.opts.Log.Error("stream: event not published: cannot encode it", "type", typ, "error", err.Error())
		return
	}
	ev := Event{Type: typ, Time: h.opts.Now().UTC().Truncate(time.Microsecond), Data: b}
	h.mu.Lock()
	remote, closed := h.remote, h.closed
	if remote == nil && !closed {
		ev.ID = h.newest + 1
		h.dispatchLocked(ev)
	}
	h.mu.Unlock()
	if remote != nil {
		remote.enqueue(ev)
	}
}

// dispatch delivers an event numbered elsewhere (Redis). Events at or below the newest
// id already seen are ignored, so a backfill may overlap what arrived live.
func (h *Hub) dispatch(ev Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed || ev.ID <= h.newest {
		return
	}
	h.dispatchLocked(ev)
}

func (h *Hub) dispatchLocked(ev Event) {
	if ev.ID != h.newest+1 {
		// Events between newest and this one were missed (a Redis outage longer than the
		// history, a counter that restarted): older ids can no longer be resumed exactly.
		h.ring = h.ring[:0]
		h.base = ev.ID - 1
	}
	if len(h.ring) == h.opts.Buffer {
		h.base = h.ring[0].ID
		h.ring = append(h.ring[:0], h.ring[1:]...)
	}
	h.ring = append(h.ring, ev)
	h.newest = ev.ID
	metrics.StreamEvents.WithLabelValues(typeLabel(ev.Type)).Inc()
	for sub := range h.clients {
		if !sub.wants(ev.Type) {
			continue
		}
		select {
		case sub.ch <- ev:
		default: // the client does not keep up: drop it, never wait for it
			sub.Dropped = true
			h.removeLocked(sub)
			metrics.StreamDropped.Inc()
		}
	}
}

// typeLabel bounds the type label to the known types.
func typeLabel(t string) string {
	if slices.Contains(Types, t) {
		return t
	}
	return "other"
}

// Subscription is one client's view of the stream.
type Subscription struct {
	// C delivers events after Replay; it is closed when the client is dropped for being
	// slow (Dropped is then true) or the hub closes.
	C <-chan Event
	// Replay are the buffered events after the client's Last-Event-ID.
	Replay []Event
	// Reset is set when the client's Last-Event-ID cannot be resumed exactly: events
	// after it are no longer buffered, or it is not an id of this numbering. NewestID is
	// then the id to resume from after reloading.
	Reset    bool
	NewestID uint64
	// Dropped is set (before C closes) when the hub dropped the client.
	Dropped bool

	ch    chan Event
	types map[string]bool // nil: every type
}

func (s *Subscription) wants(t string) bool { return s.types == nil || s.types[t] }

// Subscribe registers a client. With lastID it replays the buffered events after it
// (or sets Reset); types, when not empty, limits the events to those types.
func (h *Hub) Subscribe(lastID *uint64, types []string) (*Subscription, error) {
	sub := &Subscription{ch: make(chan Event, h.opts.ClientBuffer)}
	sub.C = sub.ch
	if len(types) > 0 {
		sub.types = map[string]bool{}
		for _, t := range types {
			sub.types[t] = true
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	if len(h.clients) >= h.opts.MaxClients {
		return nil, ErrTooManyClients
	}
	sub.NewestID = h.newest
	if lastID != nil {
		if *lastID < h.base || *lastID > h.newest {
			sub.Reset = true
		} else {
			for _, ev := range h.ring {
				if ev.ID > *lastID && sub.wants(ev.Type) {
					sub.Replay = append(sub.Replay, ev)
				}
			}
		}
	}
	h.clients[sub] = struct{}{}
	metrics.StreamClients.Inc()
	return sub, nil
}

// Unsubscribe removes a client (a no-op when it was dropped already).
func (h *Hub) Unsubscribe(sub *Subscription) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.removeLocked(sub)
}

func (h *Hub) removeLocked(sub *Subscription) {
	if _, ok := h.clients[sub]; !ok {
		return
	}
	delete(h.clients, sub)
	close(sub.ch)
	metrics.StreamClients.Dec()
}

// Clients is the number of open subscriptions.
func (h *Hub) Clients() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.clients)
}

// Newest is the id of the newest event delivered (or the starting point).
func (h *Hub) Newest() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.newest
}

// Close ends every subscription (their streams end, clients reconnect elsewhere) and
// refuses new ones; events published afterwards are dropped.
func (h *Hub) Close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	for sub := range h.clients {
		h.removeLocked(sub)
	}
	remote := h.remote
	h.mu.Unlock()
	if remote != nil {
		remote.close()
	}
}
