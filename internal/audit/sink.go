package audit

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of a Sink's Options.
const (
	DefaultMaxSize        = 100 << 20 // bytes of PATH before it is rotated
	DefaultMaxFiles       = 5         // rotated files kept: PATH.1 … PATH.5
	DefaultMaxQueuedBytes = 8 << 20   // encoded records waiting for the writer
	DefaultMaxWait        = 50 * time.Millisecond
	DefaultFlushInterval  = 20 * time.Millisecond
	// dropLogEvery bounds how often dropped records are logged.
	dropLogEvery = 10 * time.Second
)

// Options configure a Sink; zero fields take the defaults.
type Options struct {
	// MaxSize is the size PATH may reach before it is rotated: it becomes
	// PATH.1, PATH.1 becomes PATH.2, …, and the oldest beyond MaxFiles is
	// deleted.
	MaxSize int64
	// MaxFiles is how many rotated files are kept (PATH.1 … PATH.N).
	MaxFiles int
	// MaxQueuedBytes bounds the records encoded but not yet written.
	// When they would exceed it, a request waits up to MaxWait for the
	// writer to make room, then its record is dropped and counted
	// (Dropped), and a warning is logged at most every 10 s: a stalled
	// disk slows requests by MaxWait at most and never stops them.
	MaxQueuedBytes int
	// MaxWait is how long a request waits for room; a negative value
	// never waits.
	MaxWait time.Duration
	// FlushInterval is how long records gather before the writer writes
	// them, in one write.
	FlushInterval time.Duration
	// Log receives the sink's warnings (drops, write errors); nil
	// discards them.
	Log *slog.Logger
}

func (o Options) withDefaults() Options {
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.MaxFiles <= 0 {
		o.MaxFiles = DefaultMaxFiles
	}
	if o.MaxQueuedBytes <= 0 {
		o.MaxQueuedBytes = DefaultMaxQueuedBytes
	}
	if o.MaxWait == 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// Sink writes records to a file, one JSON object a line, rotated by size.
// Write encodes a record on the caller's goroutine and appends the line
// to a bounded buffer; a writer goroutine, woken once per FlushInterval
// while records arrive (not once per record), writes the buffer whole.
// A request never waits for the disk; Close writes what is buffered and
// closes the file.
type Sink struct {
	path string
	opt  Options
	kick chan struct{} // the buffer became non-empty
	full chan struct{} // the buffer is half full: write now
	stop chan struct{}
	done chan struct{}

	mu       sync.Mutex
	pending  []byte // whole lines, waiting for the writer
	pendingN uint64 // how many
	closed   bool

	written  atomic.Uint64
	dropped  atomic.Uint64
	lastWarn atomic.Int64 // unix nanoseconds of the last drop warning

	// The writer goroutine's own.
	f     *os.File
	size  int64
	spare []byte // the other of the two buffers pending alternates between
	err   error  // the last write error, logged once per change
}

// bufs recycles the buffers records are encoded into.
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// Open opens (or creates, mode 0600) the audit log at path and starts its
// writer. A last line cut short (by a crash mid-write) is ended first, so
// that it spoils no other line.
func Open(path string, opt Options) (*Sink, error) {
	opt = opt.withDefaults()
	s := &Sink{path: path, opt: opt, kick: make(chan struct{}, 1), full: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	// Both buffers are made whole once, so that requests never grow
	// them (the kernel maps their pages only as they are written).
	s.pending = make([]byte, 0, opt.MaxQueuedBytes)
	s.spare = make([]byte, 0, opt.MaxQueuedBytes)
	if err := s.open(); err != nil {
		return nil, err
	}
	go s.run()
	return s, nil
}

// Path is the file the sink writes.
func (s *Sink) Path() string { return s.path }

// Written is how many records have been written to the file.
func (s *Sink) Written() uint64 { return s.written.Load() }

// Dropped is how many records were lost: there was no room for MaxWait,
// the sink was closed, or the file could not be written.
func (s *Sink) Dropped() uint64 { return s.dropped.Load() }

// Write encodes the records and queues them for the writer, each as one
// line. It never blocks longer than MaxWait.
func (s *Sink) Write(recs ...*Record) {
	buf := bufs.Get().(*[]byte)
	b := (*buf)[:0]
	for _, r := range recs {
		b = r.AppendJSON(b)
		b = append(b, '\n')
	}
	s.enqueue(b, uint64(len(recs)))
	if cap(b) <= 64<<10 {
		*buf = b
		bufs.Put(buf)
	}
}

// WriteShared writes a cross-account call's two records: r, and its copy
// for the resource's owner (AppendShared).
func (s *Sink) WriteShared(r *Record, c *Copy) {
	buf := bufs.Get().(*[]byte)
	b := AppendShared((*buf)[:0], r, c)
	s.enqueue(b, 2)
	if cap(b) <= 64<<10 {
		*buf = b
		bufs.Put(buf)
	}
}

// enqueue appends whole lines to the pending buffer, waiting up to
// MaxWait for room.
func (s *Sink) enqueue(lines []byte, n uint64) {
	var deadline time.Time
	for {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			s.drop(n)
			return
		}
		if len(s.pending)+len(lines) <= s.opt.MaxQueuedBytes || len(s.pending) == 0 {
			wasEmpty := len(s.pending) == 0
			halfBefore := len(s.pending) >= s.opt.MaxQueuedBytes/2
			s.pending = append(s.pending, lines...)
			s.pendingN += n
			half := len(s.pending) >= s.opt.MaxQueuedBytes/2
			s.mu.Unlock()
			if wasEmpty {
				select {
				case s.kick <- struct{}{}:
				default:
				}
			}
			if half && !halfBefore {
				select {
				case s.full <- struct{}{}:
				default:
				}
			}
			return
		}
		s.mu.Unlock()
		// Full: the writer is behind (a slow or stalled disk).
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(s.opt.MaxWait)
		}
		if s.opt.MaxWait < 0 || !now.Before(deadline) {
			s.drop(n)
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// drop counts lost records and warns, at most every dropLogEvery.
func (s *Sink) drop(n uint64) {
	total := s.dropped.Add(n)
	now := time.Now().UnixNano()
	last := s.lastWarn.Load()
	if now-last >= int64(dropLogEvery) && s.lastWarn.CompareAndSwap(last, now) {
		s.opt.Log.Warn("audit records dropped", "path", s.path, "dropped_total", total,
			"hint", "the audit log's writer can't keep up (a slow or full disk?): records are dropped rather than holding requests")
	}
}

// Close writes the pending records, syncs and closes the file. Records
// written after Close are dropped and counted.
func (s *Sink) Close() error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		<-s.done
		return nil
	}
	close(s.stop)
	<-s.done
	if s.f == nil {
		return s.err
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if err != nil {
		return fmt.Errorf("close the audit log %s: %w", s.path, err)
	}
	return nil
}

// run is the writer: woken when records arrive, it lets them gather for
// FlushInterval (or until they fill half the buffer), then writes them
// all.
func (s *Sink) run() {
	defer close(s.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		select {
		case <-s.kick:
		case <-s.stop:
			s.flush()
			return
		}
		timer.Reset(s.opt.FlushInterval)
		select {
		case <-timer.C:
		case <-s.full:
			timer.Stop()
		case <-s.stop:
			timer.Stop()
			s.flush()
			return
		}
		s.flush()
	}
}

// flush takes the pending lines and writes them.
func (s *Sink) flush() {
	s.mu.Lock()
	batch, n := s.pending, s.pendingN
	s.pending, s.pendingN = s.spare[:0], 0
	s.mu.Unlock()
	s.writeBatch(batch, n)
	if cap(batch) > s.opt.MaxQueuedBytes {
		// A line longer than the buffer grew it: don't keep that.
		batch = make([]byte, 0, s.opt.MaxQueuedBytes)
	}
	s.spare = batch[:0]
}

// writeBatch writes whole lines (n of them), rotating the file where the
// next line would take it past MaxSize (a line longer than MaxSize gets a
// file of its own).
func (s *Sink) writeBatch(b []byte, n uint64) {
	for len(b) > 0 {
		room := s.opt.MaxSize - s.size
		if int64(len(b)) <= room {
			s.writeFile(b, n)
			return
		}
		cut := 0
		if room > 0 {
			cut = bytes.LastIndexByte(b[:room], '\n') + 1
		}
		if cut == 0 && s.size == 0 {
			cut = bytes.IndexByte(b, '\n') + 1
			if cut == 0 {
				cut = len(b)
			}
		}
		if cut > 0 {
			lines := uint64(bytes.Count(b[:cut], []byte{'\n'}))
			s.writeFile(b[:cut], lines)
			b, n = b[cut:], n-lines
		}
		if len(b) > 0 {
			if err := s.rotate(); err != nil {
				s.fail(err)
				s.drop(n)
				return
			}
		}
	}
}

// writeFile writes whole lines (that many) to the file.
func (s *Sink) writeFile(b []byte, lines uint64) {
	if s.f == nil {
		if err := s.open(); err != nil {
			s.fail(err)
			s.drop(lines)
			return
		}
	}
	n, err := s.f.Write(b)
	s.size += int64(n)
	done := lines
	if n < len(b) {
		done = uint64(bytes.Count(b[:n], []byte{'\n'}))
	}
	s.written.Add(done)
	if err != nil {
		s.fail(fmt.Errorf("write the audit log %s: %w", s.path, err))
		s.drop(lines - done)
		return
	}
	s.err = nil
}

// fail logs a write error once, until the sink writes again.
func (s *Sink) fail(err error) {
	if s.err == nil || s.err.Error() != err.Error() {
		s.opt.Log.Error("audit log", "path", s.path, "err", err)
	}
	s.err = err
}

// open opens PATH for appending and ends a cut-short last line.
func (s *Sink) open() error {
	f, err := os.OpenFile(s.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open the audit log: %w", err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("open the audit log: %w", err)
	}
	size := st.Size()
	if size > 0 {
		last := make([]byte, 1)
		r, err := os.Open(s.path)
		if err == nil {
			_, err = r.ReadAt(last, size-1)
			r.Close()
		}
		if err == nil && last[0] != '\n' {
			n, _ := f.Write([]byte{'\n'})
			size += int64(n)
		}
	}
	s.f, s.size = f, size
	return nil
}

// rotate closes PATH and shifts it to PATH.1 (PATH.1 to PATH.2, …), the
// oldest beyond MaxFiles replaced; then opens a new PATH.
func (s *Sink) rotate() error {
	if s.f != nil {
		s.f.Sync()
		s.f.Close()
		s.f = nil
	}
	for i := s.opt.MaxFiles - 1; i >= 1; i-- {
		if err := os.Rename(rotated(s.path, i), rotated(s.path, i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("rotate the audit log: %w", err)
		}
	}
	if err := os.Rename(s.path, rotated(s.path, 1)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("rotate the audit log: %w", err)
	}
	return s.open()
}

// rotated is the name of the i-th rotated file of path.
func rotated(path string, i int) string { return path + "." + strconv.Itoa(i) }
