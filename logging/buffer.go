package logging

import (
	"io"
	"sync"
	"time"
)

// Buffer batches log lines for a writer that costs a system call per Write (stderr, a
// file, a pipe), so that a server writing one access line per request does not make one
// write per request. Lines reach the writer when the buffer holds size bytes, every
// interval, and on Flush or Close; a line is never split. Writes keep their order.
//
// What a crash loses is at most interval's worth of lines: the price of keeping the
// write out of every request. A Buffer is safe for concurrent use.
type Buffer struct {
	mu   sync.Mutex // guards buf and every write to w
	buf  []byte
	size int
	w    io.Writer
	// closed makes Write go straight to w: nothing would flush a buffer after Close.
	closed bool

	stop chan struct{}
	done chan struct{}
	once sync.Once
}

// NewBuffer starts a Buffer of size bytes in front of w that flushes every interval.
// Close stops it.
func NewBuffer(w io.Writer, size int, interval time.Duration) *Buffer {
	b := &Buffer{buf: make([]byte, 0, size), size: size, w: w,
		stop: make(chan struct{}), done: make(chan struct{})}
	go b.flushEvery(interval)
	return b
}

// Write implements io.Writer. It copies p, so the caller may reuse it; it fails only
// when a write it had to make (the buffer being full) failed. A p larger than the
// buffer goes straight to w, after what was buffered.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return b.w.Write(p)
	}
	if len(b.buf)+len(p) > b.size {
		if err := b.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > b.size {
			return b.w.Write(p)
		}
	}
	b.buf = append(b.buf, p...)
	return len(p), nil
}

// Flush writes out what is buffered.
func (b *Buffer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.flushLocked()
}

// Close stops the periodic flush and writes out what is buffered. Later writes go
// straight to w, so a line logged after Close (by a logger that outlives the server) is
// not lost.
func (b *Buffer) Close() error {
	b.once.Do(func() { close(b.stop) })
	<-b.done
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	return b.flushLocked()
}

// flushLocked writes the buffer to w and empties it (even when the write fails: a
// writer that failed once must not make every later line fail). b.mu must be held.
func (b *Buffer) flushLocked() error {
	if len(b.buf) == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf)
	b.buf = b.buf[:0]
	return err
}

func (b *Buffer) flushEvery(interval time.Duration) {
	defer close(b.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
			_ = b.Flush()
		}
	}
}
