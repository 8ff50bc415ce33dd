package ratelimit

import (
	"testing"
	"time"
)

// The in-process GCRA on a fake clock: a burst of 3 at 60 a minute passes three
// requests, refuses the fourth for exactly one second, and refills one request per
// second up to the burst.
func TestLocalLimiterArithmetic(t *testing.T) {
	l := newLocalLimiter(10)
	lim := Limit{Rate: 60, Burst: 3, Period: time.Minute}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		if r := l.allow("k", lim, now); !r.Allowed || r.Remaining != 2-i || r.ResetAfter != time.Duration(i+1)*time.Second {
			t.Fatalf("request %d: %+v", i+1, r)
		}
	}
	if r := l.allow("k", lim, now); r.Allowed || r.RetryAfter != time.Second || r.ResetAfter != 3*time.Second {
		t.Fatalf("fourth request: %+v", r)
	}
	if r := l.allow("other", lim, now); !r.Allowed {
		t.Fatalf("keys must not share budgets: %+v", r)
	}
	if r := l.allow("k", lim, now.Add(999*time.Millisecond)); r.Allowed {
		t.Fatalf("allowed before Retry-After: %+v", r)
	}
	if r := l.allow("k", lim, now.Add(time.Second)); !r.Allowed || r.Remaining != 0 {
		t.Fatalf("after one second: %+v", r)
	}
	if r := l.allow("k", lim, now.Add(time.Hour)); !r.Allowed || r.Remaining != 2 {
		t.Fatalf("after a long pause the burst is back: %+v", r)
	}
}

// A full table drops idle keys first, and never lets an active key past its budget
// while it still has state.
func TestLocalLimiterEviction(t *testing.T) {
	l := newLocalLimiter(4)
	lim := Limit{Rate: 1, Burst: 1, Period: time.Minute}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, k := range []string{"a", "b", "c", "d"} {
		l.allow(k, lim, now)
	}
	// "a".."d" are idle again two minutes later; a new key evicts them, not "busy".
	later := now.Add(2 * time.Minute)
	l.allow("busy", lim, later)
	l.allow("e", lim, later)
	if len(l.tat) > 4 {
		t.Fatalf("%d entries kept, limit 4", len(l.tat))
	}
	if r := l.allow("busy", lim, later); r.Allowed {
		t.Fatalf("eviction reset an active key: %+v", r)
	}
}

// An absurd rate does not divide by zero.
func TestLocalLimiterHugeRate(t *testing.T) {
	l := newLocalLimiter(4)
	if r := l.allow("k", Limit{Rate: 1 << 62, Burst: 1, Period: time.Minute}, time.Now()); !r.Allowed {
		t.Fatalf("%+v", r)
	}
}
