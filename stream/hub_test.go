package stream_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"geopol/store/storetest"
	"geopol/stream"
)

func ptr[T any](v T) *T { return &v }

// next receives one event or fails after a second.
func next(t *testing.T, sub *stream.Subscription) stream.Event {
	t.Helper()
	select {
	case ev, ok := <-sub.C:
		if !ok {
			t.Fatal("subscription closed")
		}
		return ev
	case <-time.After(time.Second):
		t.Fatal("no event within 1 s")
	}
	return stream.Event{}
}

func TestHubDeliversAndResumes(t *testing.T) {
	hub := stream.NewHub(stream.Options{Buffer: 4})
	defer hub.Close()
	sub, err := hub.Subscribe(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for i := range 6 {
		hub.Publish(stream.ForecastCreated, map[string]int{"n": i})
		ev := next(t, sub)
		if len(ids) > 0 && ev.ID != ids[len(ids)-1]+1 {
			t.Fatalf("ids not consecutive: %d after %v", ev.ID, ids)
		}
		ids = append(ids, ev.ID)
		if string(ev.Data) != fmt.Sprintf(`{"n":%d}`, i) || ev.Type != stream.ForecastCreated {
			t.Fatalf("event %d: %+v", i, ev)
		}
	}
	// The buffer holds the newest 4 (ids[2..5]): resuming after ids[1] is exact.
	r, _ := hub.Subscribe(ptr(ids[1]), nil)
	if r.Reset || len(r.Replay) != 4 || r.Replay[0].ID != ids[2] || r.Replay[3].ID != ids[5] {
		t.Errorf("resume after %d: reset %v replay %d", ids[1], r.Reset, len(r.Replay))
	}
	// After ids[0], ids[1] is gone: the client must reload.
	if r, _ := hub.Subscribe(ptr(ids[0]), nil); !r.Reset || len(r.Replay) != 0 || r.NewestID != ids[5] {
		t.Errorf("resume after an evicted id: reset %v replay %d newest %d", r.Reset, len(r.Replay), r.NewestID)
	}
	// An id from the future (another numbering, an earlier run) is a reset too.
	if r, _ := hub.Subscribe(ptr(ids[5]+100), nil); !r.Reset {
		t.Error("resume after an id never issued: no reset")
	}
	// Up to date: nothing to replay.
	if r, _ := hub.Subscribe(ptr(ids[5]), nil); r.Reset || len(r.Replay) != 0 {
		t.Errorf("resume at the newest id: reset %v replay %d", r.Reset, len(r.Replay))
	}
}

// A new process numbers after its start time, so an id of an earlier run is older than
// its buffer and gets a reset rather than unrelated events.
func TestHubIdsGrowAcrossRestarts(t *testing.T) {
	first := stream.NewHub(stream.Options{})
	first.Publish(stream.ForecastCreated, 1)
	old := first.Newest()
	first.Close()
	time.Sleep(2 * time.Microsecond)
	second := stream.NewHub(stream.Options{})
	defer second.Close()
	second.Publish(stream.ForecastCreated, 2)
	if second.Newest() <= old {
		t.Fatalf("second run's id %d is not above the first's %d", second.Newest(), old)
	}
	if r, _ := second.Subscribe(ptr(old), nil); !r.Reset {
		t.Error("an id of an earlier run resumed without a reset")
	}
}

func TestHubFiltersTypes(t *testing.T) {
	hub := stream.NewHub(stream.Options{})
	defer hub.Close()
	sub, _ := hub.Subscribe(nil, []string{stream.OutcomeRecorded})
	hub.Publish(stream.ForecastCreated, 1)
	hub.Publish(stream.OutcomeRecorded, 2)
	if ev := next(t, sub); ev.Type != stream.OutcomeRecorded {
		t.Errorf("filtered subscription got %s", ev.Type)
	}
}

// A client that does not read is dropped when its queue fills; publishing never waits
// for it, and other clients keep receiving.
func TestHubDropsSlowClients(t *testing.T) {
	hub := stream.NewHub(stream.Options{ClientBuffer: 8})
	defer hub.Close()
	slow, _ := hub.Subscribe(nil, nil)
	fast, _ := hub.Subscribe(nil, nil)
	var got []uint64
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ev := range fast.C {
			got = append(got, ev.ID)
			if len(got) == 100 {
				return
			}
		}
	}()
	start := time.Now()
	for i := range 100 {
		hub.Publish(stream.ForecastCreated, i)
		time.Sleep(100 * time.Microsecond) // the fast reader keeps up
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("publishing 100 events took %v with a stuck client", d)
	}
	wg.Wait()
	if len(got) != 100 {
		t.Errorf("the fast client got %d of 100 events", len(got))
	}
	n := 0
	for range slow.C {
		n++
	}
	if !slow.Dropped || n != 8 {
		t.Errorf("slow client: dropped %v after %d queued events, want dropped after 8", slow.Dropped, n)
	}
	if hub.Clients() != 1 {
		t.Errorf("clients after the drop: %d, want 1", hub.Clients())
	}
}

func TestHubLimitsAndClose(t *testing.T) {
	hub := stream.NewHub(stream.Options{MaxClients: 2})
	a, _ := hub.Subscribe(nil, nil)
	if _, err := hub.Subscribe(nil, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := hub.Subscribe(nil, nil); err != stream.ErrTooManyClients {
		t.Errorf("third client: %v, want ErrTooManyClients", err)
	}
	hub.Unsubscribe(a)
	hub.Unsubscribe(a) // twice is harmless
	hub.Close()
	if _, ok := <-a.C; ok {
		t.Error("a subscription stayed open")
	}
	if _, err := hub.Subscribe(nil, nil); err != stream.ErrClosed {
		t.Errorf("after Close: %v, want ErrClosed", err)
	}
	hub.Publish(stream.ForecastCreated, 1) // dropped, no panic
}

// redisHub returns a hub connected to the test Redis under prefix; its connections
// carry name (CLIENT SETNAME) when it is not empty.
func redisHub(t *testing.T, prefix string, opts stream.Options, name ...string) *stream.Hub {
	t.Helper()
	client, err := stream.OpenRedis(storetest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(name) > 0 {
		o := client.Options()
		o.ClientName = name[0]
		client = redis.NewClient(o)
	}
	hub := stream.NewHub(opts)
	t.Cleanup(func() { hub.Close(); client.Close() })
	if !stream.ConnectRedis(hub, client, prefix, 5*time.Second) {
		t.Fatal("not subscribed through Redis within 5 s")
	}
	return hub
}

// Two hubs sharing a Redis (two API replicas) see every event, with the same ids, in
// the same order; a client may resume on one with the id it saw on the other; a hub that
// starts later loads the history; a command's publisher reaches them all.
func TestRedisFanOutAcrossHubs(t *testing.T) {
	prefix := storetest.RedisPrefix(t)
	a := redisHub(t, prefix, stream.Options{})
	b := redisHub(t, prefix, stream.Options{})
	subA, _ := a.Subscribe(nil, nil)
	subB, _ := b.Subscribe(nil, nil)
	a.Publish(stream.ForecastCreated, map[string]string{"from": "a"})
	b.Publish(stream.OutcomeRecorded, map[string]string{"from": "b"})
	var seenA, seenB []stream.Event
	for range 2 {
		seenA = append(seenA, next(t, subA))
		seenB = append(seenB, next(t, subB))
	}
	for i := range seenA {
		if seenA[i].ID != seenB[i].ID || seenA[i].Type != seenB[i].Type || string(seenA[i].Data) != string(seenB[i].Data) {
			t.Errorf("event %d differs: a %+v, b %+v", i, seenA[i], seenB[i])
		}
	}
	if seenA[1].ID != seenA[0].ID+1 {
		t.Errorf("ids %d, %d are not consecutive", seenA[0].ID, seenA[1].ID)
	}
	// Resume on b after the first event a delivered.
	r, _ := b.Subscribe(ptr(seenA[0].ID), nil)
	if r.Reset || len(r.Replay) != 1 || r.Replay[0].ID != seenA[1].ID {
		t.Errorf("resume on the other replica: reset %v replay %+v", r.Reset, r.Replay)
	}

	client, err := stream.OpenRedis(storetest.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	pub := stream.NewRedisPublisher(client, prefix, 0, nil)
	pub.Publish(stream.IngestCompleted, map[string]int{"run_id": 7})
	pub.Close()
	if ev := next(t, subA); ev.Type != stream.IngestCompleted || ev.ID != seenA[1].ID+1 {
		t.Errorf("a command's event: %+v", ev)
	}
	next(t, subB)

	// A replica started now knows the history: a client may resume there too.
	c := redisHub(t, prefix, stream.Options{})
	r, _ = c.Subscribe(ptr(seenA[0].ID), nil)
	if r.Reset || len(r.Replay) != 2 {
		t.Errorf("resume on a replica started later: reset %v replay %d, want 2 events", r.Reset, len(r.Replay))
	}
}

// Events published while a replica's subscription was down are recovered from the
// history when it reconnects.
func TestRedisBackfillAfterReconnect(t *testing.T) {
	prefix := storetest.RedisPrefix(t)
	name := strings.TrimSuffix(prefix, ":") + "_b" // this test's connections only
	a := redisHub(t, prefix, stream.Options{})
	b := redisHub(t, prefix, stream.Options{}, name)
	subB, _ := b.Subscribe(nil, nil)
	a.Publish(stream.ForecastCreated, 1)
	first := next(t, subB)

	// Kill b's connections (by their name: nobody else's) on the server side, then
	// publish while b reconnects.
	opts, _ := redis.ParseURL(storetest.RedisURL(t))
	admin := redis.NewClient(opts)
	defer admin.Close()
	ctx := context.Background()
	clients, err := admin.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(strings.TrimSpace(clients), "\n") {
		if !strings.Contains(" "+line+" ", " name="+name+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if id, ok := strings.CutPrefix(f, "id="); ok && admin.Do(ctx, "CLIENT", "KILL", "ID", id).Err() == nil {
				killed++
			}
		}
	}
	if killed == 0 {
		t.Fatal("no connection of the replica found to kill")
	}
	a.Publish(stream.ForecastCreated, 2)
	a.Publish(stream.ForecastCreated, 3)
	deadline := time.After(5 * time.Second)
	var got []uint64
	for len(got) < 2 {
		select {
		case ev := <-subB.C:
			got = append(got, ev.ID)
		case <-deadline:
			t.Fatalf("after reconnecting, b got %v; want the 2 events published meanwhile", got)
		}
	}
	if got[0] != first.ID+1 || got[1] != first.ID+2 {
		t.Errorf("recovered ids %v after %d", got, first.ID)
	}
}
