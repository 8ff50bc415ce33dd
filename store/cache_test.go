package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"geopol/store"
	"geopol/store/storetest"
)

func exerciseCache(t *testing.T, c store.Cache) {
	ctx := context.Background()
	if _, ok, err := c.Get(ctx, "absent"); ok || err != nil {
		t.Fatalf("absent key: ok=%v err=%v", ok, err)
	}
	if err := c.Set(ctx, "k", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.Get(ctx, "k"); !ok || err != nil || string(v) != "v1" {
		t.Fatalf("get k = %q %v %v", v, ok, err)
	}
	if err := c.Set(ctx, "short", []byte("x"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete(ctx, "k", "never-set"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, "k"); ok {
		t.Fatal("deleted key still present")
	}
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, ok, err := c.Get(ctx, "short")
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("entry with a 50ms TTL never expired")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestRedisCache(t *testing.T) { exerciseCache(t, storetest.Redis(t)) }

func TestMemoryCache(t *testing.T) { exerciseCache(t, store.NewMemoryCache("t:", 100)) }

// Two caches with different prefixes on one Redis do not see each other's keys.
func TestRedisCachePrefixIsolation(t *testing.T) {
	a, b := storetest.Redis(t), storetest.Redis(t)
	ctx := context.Background()
	if err := a.Set(ctx, "shared-name", []byte("a"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := b.Get(ctx, "shared-name"); ok {
		t.Fatal("prefix did not isolate caches")
	}
}

func TestMemoryCacheStaysBounded(t *testing.T) {
	c := store.NewMemoryCache("", 100)
	ctx := context.Background()
	for i := 0; i < 1000; i++ {
		if err := c.Set(ctx, time.Duration(i).String(), []byte("x"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	for i := 0; i < 1000; i++ {
		if _, ok, _ := c.Get(ctx, time.Duration(i).String()); ok {
			n++
		}
	}
	if n == 0 || n > 100 {
		t.Fatalf("%d entries present, want 1..100", n)
	}
	if _, ok, _ := c.Get(ctx, time.Duration(999).String()); !ok {
		t.Fatal("the newest entry must survive eviction")
	}
}

func TestUnreachableRedisReportsErrors(t *testing.T) {
	c, err := store.OpenCache("redis://127.0.0.1:1/0", "t:")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if err := c.Ping(ctx); err == nil {
		t.Fatal("ping to a closed port succeeded")
	}
	if _, ok, err := c.Get(ctx, "k"); ok || err == nil {
		t.Fatalf("get from unreachable redis: ok=%v err=%v", ok, err)
	}
}

// A byte budget bounds the in-process cache by the size of its values too.
func TestMemoryCacheByteBudget(t *testing.T) {
	c := store.NewMemoryCacheBytes("", 1000, 1000)
	ctx := context.Background()
	if err := c.Set(ctx, "big", make([]byte, 101), time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Get(ctx, "big"); ok {
		t.Error("a value over a tenth of the budget was kept")
	}
	for i := 0; i < 50; i++ {
		if err := c.Set(ctx, fmt.Sprint("k", i), make([]byte, 100), time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	kept := 0
	for i := 0; i < 50; i++ {
		if _, ok, _ := c.Get(ctx, fmt.Sprint("k", i)); ok {
			kept++
		}
	}
	if kept == 0 || kept > 10 {
		t.Errorf("%d values of 100 bytes kept under a 1000-byte budget", kept)
	}
}

// Subscribers of a channel hear what is published on it under the same prefix only, and
// are told when their subscription is live.
func TestRedisPublishSubscribe(t *testing.T) {
	a, b := storetest.Redis(t), storetest.Redis(t)
	live := make(chan bool, 10)
	got := make(chan string, 10)
	a.Subscribe("news", func(p string) { got <- p }, func(l bool) { live <- l })
	select {
	case l := <-live:
		if !l {
			t.Fatal("subscription not live")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("subscription never confirmed")
	}
	ctx := context.Background()
	if err := b.Publish(ctx, "news", "other prefix"); err != nil {
		t.Fatal(err)
	}
	if err := a.Publish(ctx, "news", "hello"); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "hello" {
			t.Fatalf("got %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing received")
	}
}
