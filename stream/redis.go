package stream

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"geopol/metrics"
)

// Redis keys and channel, under the deployment's CACHE_PREFIX.
const (
	seqKey     = "stream:seq"
	historyKey = "stream:history"
	channel    = "stream:events"
)

// publishScript numbers an event, appends it to the bounded history and publishes it,
// atomically: every subscriber receives events in id order, and the history holds the
// newest ARGV[4] of them. A missing counter starts at ARGV[3] (the current time in
// microseconds), so ids keep growing even if Redis lost its data.
var publishScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('SET', KEYS[1], ARGV[3]) end
local id = redis.call('INCR', KEYS[1])
local msg = string.format('%d', id) .. ' ' .. ARGV[1] -- %d: ids exceed %.14g's exact digits
redis.call('RPUSH', KEYS[2], msg)
redis.call('LTRIM', KEYS[2], -tonumber(ARGV[4]), -1)
redis.call('PUBLISH', ARGV[2], msg)
return id
`)

// redisBridge publishes a process's events through Redis (in order, from one
// goroutine, so Publish never waits for Redis) and, for a hub, subscribes to every
// process's events.
type redisBridge struct {
	client  *redis.Client
	prefix  string
	history int
	log     *slog.Logger
	queue   chan Event

	stop     context.CancelFunc
	done     sync.WaitGroup
	closing  sync.Once
	outageMu sync.Mutex
	outage   bool
}

// queueSize bounds the events waiting to be published; past it they are dropped and
// counted, so a stalled Redis never holds memory or a request.
const queueSize = 4096

func newBridge(client *redis.Client, prefix string, history int, log *slog.Logger) *redisBridge {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &redisBridge{client: client, prefix: prefix, history: history, log: log,
		queue: make(chan Event, queueSize), stop: cancel}
	b.done.Add(1)
	go b.publishLoop(ctx)
	return b
}

// enqueue hands an event to the publishing goroutine, or drops it when the queue is full.
func (b *redisBridge) enqueue(ev Event) {
	select {
	case b.queue <- ev:
	default:
		metrics.StreamPublishFailures.Inc()
		b.log.Warn("stream: event dropped: the Redis publish queue is full", "type", ev.Type)
	}
}

func (b *redisBridge) publishLoop(ctx context.Context) {
	defer b.done.Done()
	for {
		select {
		case ev := <-b.queue:
			b.publish(ev)
		case <-ctx.Done():
			// Flush what is queued (bounded by close's deadline through each call's timeout).
			for {
				select {
				case ev := <-b.queue:
					b.publish(ev)
				default:
					return
				}
			}
		}
	}
}

func (b *redisBridge) publish(ev Event) {
	msg, err := json.Marshal(envelope{Type: ev.Type, Time: ev.Time, Data: ev.Data})
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = publishScript.Run(ctx, b.client, []string{b.prefix + seqKey, b.prefix + historyKey},
			string(msg), b.prefix+channel, time.Now().UnixMicro(), b.history).Err()
		cancel()
	}
	if err != nil {
		metrics.StreamPublishFailures.Inc()
		b.setOutage(true, "stream: event not published through Redis", "type", ev.Type, "error", err.Error())
		return
	}
	b.setOutage(false, "stream: publishing through Redis again")
}

// setOutage logs the first failure of an outage at WARN and its end at INFO, not every
// event in between.
func (b *redisBridge) setOutage(down bool, msg string, args ...any) {
	b.outageMu.Lock()
	changed := b.outage != down
	b.outage = down
	b.outageMu.Unlock()
	if !changed {
		return
	}
	if down {
		b.log.Warn(msg, args...)
	} else {
		b.log.Info(msg)
	}
}

// close stops the loops after publishing what is queued (each publish bounded to 2 s).
func (b *redisBridge) close() {
	b.closing.Do(func() {
		b.stop()
		b.done.Wait()
	})
}

// parseMessage decodes "<id> <envelope>".
func parseMessage(s string) (Event, error) {
	idText, body, ok := strings.Cut(s, " ")
	id, err := strconv.ParseUint(idText, 10, 64)
	if !ok || err != nil {
		return Event{}, fmt.Errorf("stream message without an id: %.40q", s)
	}
	var env envelope
	if err := json.Unmarshal([]byte(body), &env); err != nil {
		return Event{}, fmt.Errorf("stream message %d: %w", id, err)
	}
	return Event{ID: id, Type: env.Type, Time: env.Time, Data: env.Data}, nil
}

// subscribeLoop delivers every process's events to hub until ctx ends. On each
// (re)subscription it first replays the history, so events published while the
// connection was down are not missed (the hub ignores ids it has). ready is closed
// after the first subscription and its backfill.
func (b *redisBridge) subscribeLoop(ctx context.Context, hub *Hub, ready chan<- struct{}) {
	defer b.done.Done()
	ps := b.client.Subscribe(ctx)
	// Receive blocks in a read that ctx does not interrupt; closing the subscription does.
	stopAfter := context.AfterFunc(ctx, func() { _ = ps.Close() })
	defer stopAfter()
	first := true
	for ctx.Err() == nil {
		if first {
			// The first SUBSCRIBE is sent here; later ones by go-redis when it reconnects.
			if err := ps.Subscribe(ctx, b.prefix+channel); err != nil {
				b.setOutage(true, "stream: cannot subscribe through Redis; retrying", "error", err.Error())
				sleep(ctx, time.Second)
				continue
			}
		}
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			b.setOutage(true, "stream: Redis subscription lost; reconnecting", "error", err.Error())
			sleep(ctx, time.Second)
			continue
		}
		switch m := msg.(type) {
		case *redis.Subscription:
			if m.Kind != "subscribe" {
				continue
			}
			if err := b.backfill(ctx, hub); err != nil {
				b.log.Warn("stream: cannot read the event history", "error", err.Error())
			}
			b.setOutage(false, "stream: Redis subscription established")
			if first {
				first = false
				close(ready)
			}
		case *redis.Message:
			ev, err := parseMessage(m.Payload)
			if err != nil {
				b.log.Warn("stream: ignored a malformed message", "error", err.Error())
				continue
			}
			hub.dispatch(ev)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

// backfill delivers the history's events the hub does not have, oldest first.
func (b *redisBridge) backfill(ctx context.Context, hub *Hub) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	msgs, err := b.client.LRange(cctx, b.prefix+historyKey, 0, -1).Result()
	if err != nil {
		return err
	}
	for _, s := range msgs {
		ev, err := parseMessage(s)
		if err != nil {
			continue
		}
		hub.dispatch(ev)
	}
	return nil
}

// ConnectRedis makes hub publish through Redis and receive every process's events
// (its own included) from it. It waits up to wait for the subscription and the history;
// when Redis does not answer by then it returns false and keeps trying in the
// background (events published meanwhile are counted as failures). Closing the hub
// stops both loops.
func ConnectRedis(hub *Hub, client *redis.Client, prefix string, wait time.Duration) bool {
	ctx, cancel := context.WithCancel(context.Background())
	b := newBridge(client, prefix, hub.opts.Buffer, hub.opts.Log)
	publishStop := b.stop
	b.stop = func() { cancel(); publishStop() }
	hub.mu.Lock()
	// Ids now come from Redis: start with an empty numbering, which the history (or the
	// first event) sets.
	hub.ring, hub.base, hub.newest = hub.ring[:0], 0, 0
	hub.remote = b
	hub.mu.Unlock()
	ready := make(chan struct{})
	b.done.Add(1)
	go b.subscribeLoop(ctx, hub, ready)
	select {
	case <-ready:
		return true
	case <-time.After(wait):
		hub.opts.Log.Warn("stream: Redis does not answer yet; the live stream starts once it does", "waited", wait)
		return false
	}
}

// RedisPublisher publishes events through Redis without receiving any: for commands
// (ingest, calibrate) that report to the API processes. Close publishes what is queued.
type RedisPublisher struct{ b *redisBridge }

// NewRedisPublisher returns a publisher on client under prefix (CACHE_PREFIX).
// history is the length of the shared history (use the API's buffer, 1024 by default).
func NewRedisPublisher(client *redis.Client, prefix string, history int, log *slog.Logger) *RedisPublisher {
	if history <= 0 {
		history = 1024
	}
	return &RedisPublisher{b: newBridge(client, prefix, history, log)}
}

// Publish implements Publisher.
func (p *RedisPublisher) Publish(typ string, data any) {
	b, err := json.Marshal(data)
	if err != nil {
		metrics.StreamPublishFailures.Inc()
		return
	}
	p.b.enqueue(Event{Type: typ, Time: time.Now().UTC().Truncate(time.Microsecond), Data: b})
}

// Close publishes the queued events and stops.
func (p *RedisPublisher) Close() { p.b.close() }

// OpenRedis returns a client for the stream on redisURL: no read timeout on the
// subscription, short ones for publishing.
func OpenRedis(redisURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(redisURL)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opts.DialTimeout = 2 * time.Second
	opts.MaxRetries = 1
	return redis.NewClient(opts), nil
}
