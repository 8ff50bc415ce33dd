package logging

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is a writer that records each Write it gets.
type recorder struct {
	mu     sync.Mutex
	writes [][]byte
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, append([]byte(nil), p...))
	return len(p), nil
}

func (r *recorder) snapshot() (all []byte, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Join(r.writes, nil), len(r.writes)
}

func TestBufferBatchesWholeLinesInOrder(t *testing.T) {
	var r recorder
	b := NewBuffer(&r, 1024, time.Hour) // no periodic flush during the test
	var want strings.Builder
	for i := range 200 {
		line := fmt.Sprintf("line %03d of the access log\n", i)
		want.WriteString(line)
		if _, err := b.Write([]byte(line)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, writes := r.snapshot()
	if string(got) != want.String() {
		t.Fatalf("lines lost or reordered:\n%s", got)
	}
	// 200 lines of 27 bytes in a 1 KiB buffer: a write per 37 lines, not one per line.
	if writes > 200*27/1024+2 {
		t.Fatalf("%d writes for 200 lines", writes)
	}
	for _, w := range r.writes {
		if w[len(w)-1] != '\n' {
			t.Fatalf("a write ends mid-line: %q", w)
		}
	}
}

func TestBufferFlushesOnItsInterval(t *testing.T) {
	var r recorder
	b := NewBuffer(&r, 1<<16, 10*time.Millisecond)
	defer b.Close()
	if _, err := b.Write([]byte("one line\n")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if got, _ := r.snapshot(); string(got) == "one line\n" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a buffered line never reached the writer without a Flush")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestBufferLongLineAndConcurrentWriters(t *testing.T) {
	var r recorder
	b := NewBuffer(&r, 64, time.Millisecond)
	long := strings.Repeat("x", 200) + "\n"
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				line := fmt.Sprintf("w%d %03d\n", w, i)
				if i%10 == 0 {
					line = long
				}
				if _, err := b.Write([]byte(line)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := r.snapshot()
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 800 {
		t.Fatalf("%d lines, want 800", len(lines))
	}
	// Each writer's own lines keep their order.
	next := make(map[string]int)
	longs := 0
	for _, l := range lines {
		if l == long[:200] {
			longs++
			continue
		}
		var w string
		var i int
		if _, err := fmt.Sscanf(l, "%s %d", &w, &i); err != nil {
			t.Fatalf("mangled line %q", l)
		}
		want, seen := next[w]
		if !seen {
			want = 1 // line 0 is long
		}
		if i != want {
			t.Fatalf("%s: line %d came where line %d belongs", w, i, want)
		}
		next[w] = i + 1
		if next[w]%10 == 0 {
			next[w]++ // that writer's long line
		}
	}
	if longs != 80 {
		t.Fatalf("%d long lines, want 80", longs)
	}
}

func TestBufferWritesThroughAfterClose(t *testing.T) {
	var r recorder
	b := NewBuffer(&r, 1<<16, time.Hour)
	if _, err := b.Write([]byte("before\n")); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write([]byte("after\n")); err != nil {
		t.Fatal(err)
	}
	if got, _ := r.snapshot(); string(got) != "before\nafter\n" {
		t.Fatalf("got %q", got)
	}
}
