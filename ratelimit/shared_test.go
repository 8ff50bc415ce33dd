package ratelimit

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"geopol/store"
	"geopol/store/storetest"
)

// Three limiters (three Redis clients, as three processes would have) hammering one key
// admit its budget, burst plus rate, within 10%, whatever the size of their leases: a
// burst of 10 leases single tokens, a burst of 50 up to five.
func TestLeasesShareOneBudget(t *testing.T) {
	prefix := storetest.RedisPrefix(t)
	for _, burst := range []int{10, 50} {
		var limiters []*Limiter
		for i := 0; i < 3; i++ {
			c, err := store.OpenCache(storetest.RedisURL(t), prefix)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			limiters = append(limiters, New(c, nil))
		}
		lim := Limit{Rate: 6000, Burst: burst, Period: time.Minute} // 100 a second
		key := storetest.Name("shared-")
		var allowed, refused atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		end := start.Add(2 * time.Second)
		for _, l := range limiters {
			for i := 0; i < 4; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for time.Now().Before(end) {
						if l.Allow(context.Background(), key, lim).Allowed {
							allowed.Add(1)
						} else {
							refused.Add(1)
						}
						time.Sleep(200 * time.Microsecond)
					}
				}()
			}
		}
		wg.Wait()
		want := float64(burst) + 100*end.Sub(start).Seconds()
		got := float64(allowed.Load())
		t.Logf("burst %d: %.0f admitted, %d refused; budget %.0f", burst, got, refused.Load(), want)
		if got < 0.9*want || got > 1.1*want {
			t.Errorf("burst %d: %.0f admitted, budget %.0f (want within 10%%)", burst, got, want)
		}
	}
}
