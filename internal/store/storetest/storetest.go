// Package storetest is the conformance suite every store.Store passes:
// Load's order and byte-exact data, Apply's atomicity and order, deletes,
// metadata, the store version, concurrent writers, Close, and (for a
// durable store) what survives a reopen. A store's own tests run it:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) (store.Store, storetest.Reopen) { … })
//	}
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/assumed-dev/assumed/internal/store"
)

// Open returns a new, empty store for one subtest, and how to reopen its
// durable state once it is closed (nil for a store that keeps nothing,
// whose durability subtests are then skipped). The suite closes every
// store it is given.
type Open func(t *testing.T) (store.Store, Reopen)

// Reopen opens again the durable state of a closed store.
type Reopen func(t *testing.T) store.Store

// Run runs the suite, each part as a subtest with a store of its own.
func Run(t *testing.T, open Open) {
	for _, tc := range []struct {
		name string
		fn   func(t *testing.T, open Open)
	}{
		{"Empty", testEmpty},
		{"LoadOrder", testLoadOrder},
		{"DataByteExact", testDataByteExact},
		{"UpdateAndDelete", testUpdateAndDelete},
		{"BatchOrder", testBatchOrder},
		{"AtomicInvalidChange", testAtomicInvalidChange},
		{"AtomicCancelled", testAtomicCancelled},
		{"AtomicCancelledMidBatch", testAtomicCancelledMidBatch},
		{"Meta", testMeta},
		{"VersionMonotonic", testVersionMonotonic},
		{"ConcurrentWriters", testConcurrentWriters},
		{"Closed", testClosed},
		{"CloseDuringWrites", testCloseDuringWrites},
		{"ReopenDurable", testReopenDurable},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// openStore opens a store that is closed when the test ends.
func openStore(t *testing.T, open Open) (store.Store, Reopen) {
	t.Helper()
	s, reopen := open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, reopen
}

// reopenStore reopens a durable state; it is closed when the test ends.
func reopenStore(t *testing.T, reopen Reopen) store.Store {
	t.Helper()
	s := reopen(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func rec(kind, account, id, data string) store.Record {
	return store.Record{Kind: kind, Account: account, ID: id, Data: []byte(data)}
}

func put(r store.Record) store.Change { return store.Change{Record: r} }

func del(kind, account, id string) store.Change {
	return store.Change{Record: store.Record{Kind: kind, Account: account, ID: id}, Delete: true}
}

func apply(t *testing.T, s store.Store, changes ...store.Change) {
	t.Helper()
	if err := s.Apply(context.Background(), changes); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

func load(t *testing.T, s store.Store) []store.Record {
	t.Helper()
	recs, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return recs
}

func version(t *testing.T, s store.Store) int64 {
	t.Helper()
	v, err := s.Version(context.Background())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	return v
}

// compareRecords orders records as Load must: by kind, account and id,
// byte-wise.
func compareRecords(a, b store.Record) int {
	if c := strings.Compare(a.Kind, b.Kind); c != 0 {
		return c
	}
	if c := strings.Compare(a.Account, b.Account); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

func recordsEqual(a, b store.Record) bool {
	return a.Kind == b.Kind && a.Account == b.Account && a.ID == b.ID && bytes.Equal(a.Data, b.Data)
}

// wantRecords fails the test unless got is exactly want (in want's order).
func wantRecords(t *testing.T, what string, got, want []store.Record) {
	t.Helper()
	if slices.EqualFunc(got, want, recordsEqual) {
		return
	}
	t.Fatalf("%s: Load returned %d records, want %d:\n got  %s\n want %s", what, len(got), len(want), describe(got), describe(want))
}

func describe(recs []store.Record) string {
	const most = 8
	var b strings.Builder
	for i, r := range recs {
		if i == most {
			fmt.Fprintf(&b, " … (%d more)", len(recs)-most)
			break
		}
		fmt.Fprintf(&b, " (%q %q %q %d bytes)", r.Kind, r.Account, r.ID, len(r.Data))
	}
	return b.String()
}

func testEmpty(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	if recs := load(t, s); len(recs) != 0 {
		t.Fatalf("a new store holds %d records", len(recs))
	}
	if v := version(t, s); v != 0 {
		t.Fatalf("a new store's version = %d, want 0", v)
	}
	if _, ok, err := s.Meta(context.Background(), "absent"); err != nil || ok {
		t.Fatalf("Meta(absent) = ok %v, err %v; want absent", ok, err)
	}
	// A batch of no changes is no write.
	apply(t, s)
	if recs := load(t, s); len(recs) != 0 {
		t.Fatalf("an empty batch left %d records", len(recs))
	}
}

func testLoadOrder(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	// Byte-wise order, which a database collation other than a binary one
	// gets wrong: upper case before lower, "a/b" before "ab", multi-byte
	// UTF-8 after ASCII, a prefix before its extensions, "" first.
	var want []store.Record
	for _, kind := range []string{"role", "account", "Role", "accesskey", "policy-version", "policy", "é"} {
		for _, account := range []string{"", "111111111111", "222222222222", "0"} {
			for _, id := range []string{"a", "A", "ab", "a/b", "a-b", "a b", "Z", "é", "日本", "AROA0000000000000001", "~", ""} {
				want = append(want, rec(kind, account, id, fmt.Sprintf(`{"k":%q,"a":%q,"i":%q}`, kind, account, id)))
			}
		}
	}
	shuffled := slices.Clone(want)
	rand.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	// In several batches, so that insertion order is not Load's order.
	for len(shuffled) > 0 {
		n := min(len(shuffled), 50)
		var changes []store.Change
		for _, r := range shuffled[:n] {
			changes = append(changes, put(r))
		}
		apply(t, s, changes...)
		shuffled = shuffled[n:]
	}
	slices.SortFunc(want, compareRecords)
	wantRecords(t, "records put in random order", load(t, s), want)
}

func testDataByteExact(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	big := bytes.Repeat([]byte(`{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"},`), 20000) // ~1 MiB
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	cases := []store.Record{
		rec("doc", "1", "spacing", "{ \"a\" :\t1 ,\n\"b\":[ ] }\n"),                                 // whitespace kept, not normalized JSON
		rec("doc", "1", "keys", `{"b":1,"a":2,"a":3}`),                                              // key order and duplicates kept
		rec("doc", "1", "escapes", `{"s":"\u00e9\u0000\ud83d\ude00","n":1.0e+00}`),                  // escapes and number forms kept
		rec("doc", "1", "utf8", `{"s":"é日本😀"}`),                                                     // raw UTF-8
		{Kind: "doc", Account: "1", ID: "bytes", Data: all},                                         // every byte value, NUL and invalid UTF-8 included
		{Kind: "doc", Account: "1", ID: "empty", Data: []byte{}},                                    // empty, not absent
		{Kind: "doc", Account: "1", ID: "big", Data: append(append([]byte("["), big...), "{}]"...)}, // large
	}
	var changes []store.Change
	for _, r := range cases {
		changes = append(changes, put(r))
	}
	apply(t, s, changes...)
	want := slices.Clone(cases)
	slices.SortFunc(want, compareRecords)
	got := load(t, s)
	wantRecords(t, "documents of every shape", got, want)
	for _, r := range got {
		if r.Data == nil {
			t.Errorf("record %s: Data is nil, want non-nil (empty)", r.ID)
		}
	}
}

func testUpdateAndDelete(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	apply(t, s,
		put(rec("role", "1", "a", `{"v":1}`)),
		put(rec("role", "1", "b", `{"v":1}`)),
		put(rec("role", "2", "a", `{"v":1}`)),
		put(rec("user", "1", "a", `{"v":1}`)),
	)
	apply(t, s,
		put(rec("role", "1", "a", `{"v":2}`)), // overwrite
		del("role", "1", "b"),                 // delete
		del("role", "1", "absent"),            // deleting what is not there is no error
		del("role", "3", "a"),                 // nor in an account that has nothing
	)
	wantRecords(t, "after an overwrite and a delete", load(t, s), []store.Record{
		rec("role", "1", "a", `{"v":2}`),
		rec("role", "2", "a", `{"v":1}`),
		rec("user", "1", "a", `{"v":1}`),
	})
	// A delete names one record exactly: same id in another kind or
	// account stays.
	apply(t, s, del("role", "2", "a"))
	wantRecords(t, "after deleting one of three records named a", load(t, s), []store.Record{
		rec("role", "1", "a", `{"v":2}`),
		rec("user", "1", "a", `{"v":1}`),
	})
	// Deleted, then put again.
	apply(t, s, put(rec("role", "2", "a", `{"v":3}`)))
	wantRecords(t, "after putting a deleted record again", load(t, s), []store.Record{
		rec("role", "1", "a", `{"v":2}`),
		rec("role", "2", "a", `{"v":3}`),
		rec("user", "1", "a", `{"v":1}`),
	})
}

func testBatchOrder(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	apply(t, s, put(rec("k", "1", "deleted-then-put", `{"v":0}`)), put(rec("k", "1", "put-then-deleted", `{"v":0}`)))
	apply(t, s,
		put(rec("k", "1", "twice", `{"v":1}`)),
		put(rec("k", "1", "twice", `{"v":2}`)),
		del("k", "1", "deleted-then-put"),
		put(rec("k", "1", "deleted-then-put", `{"v":1}`)),
		put(rec("k", "1", "put-then-deleted", `{"v":1}`)),
		del("k", "1", "put-then-deleted"),
		put(rec("k", "1", "new-then-deleted", `{"v":1}`)),
		del("k", "1", "new-then-deleted"),
	)
	wantRecords(t, "a batch's changes apply in order", load(t, s), []store.Record{
		rec("k", "1", "deleted-then-put", `{"v":1}`),
		rec("k", "1", "twice", `{"v":2}`),
	})
}

// before is a store's state: its records, version and one meta value.
type before struct {
	recs    []store.Record
	version int64
}

func seed(t *testing.T, s store.Store) before {
	t.Helper()
	apply(t, s, put(rec("role", "1", "kept", `{"v":1}`)), put(rec("role", "1", "overwritten", `{"v":1}`)))
	return before{recs: load(t, s), version: version(t, s)}
}

func (b before) unchanged(t *testing.T, s store.Store, what string) {
	t.Helper()
	wantRecords(t, what, load(t, s), b.recs)
	if v := version(t, s); v != b.version {
		t.Fatalf("%s: version %d, want %d (unchanged)", what, v, b.version)
	}
}

// failingBatch is a batch whose last change is invalid (a put without
// data), after writes of every sort.
func failingBatch(n int) []store.Change {
	changes := []store.Change{
		put(rec("role", "1", "overwritten", `{"v":2}`)),
		del("role", "1", "kept"),
	}
	for i := range n {
		changes = append(changes, put(rec("role", "1", fmt.Sprintf("new-%05d", i), `{}`)))
	}
	return append(changes, store.Change{Record: store.Record{Kind: "role", Account: "1", ID: "invalid"}})
}

func testAtomicInvalidChange(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	b := seed(t, s)
	for _, n := range []int{0, 1, 200} {
		if err := s.Apply(context.Background(), failingBatch(n)); err == nil {
			t.Fatalf("Apply of a batch ending in a put without data succeeded")
		}
		b.unchanged(t, s, fmt.Sprintf("after a failed batch of %d changes", n+3))
	}
	// The store still takes writes.
	apply(t, s, put(rec("role", "1", "after", `{}`)))
	if got := len(load(t, s)); got != 3 {
		t.Fatalf("after a good batch: %d records, want 3", got)
	}
}

func testAtomicCancelled(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	b := seed(t, s)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := s.Apply(ctx, []store.Change{put(rec("role", "1", "overwritten", `{"v":2}`)), put(rec("role", "1", "new", `{}`))})
	if err == nil {
		t.Fatal("Apply with a cancelled context succeeded")
	}
	if !errors.Is(err, context.Canceled) {
		t.Logf("note: Apply with a cancelled context: %v (does not wrap context.Canceled)", err)
	}
	b.unchanged(t, s, "after Apply with a cancelled context")
}

// testAtomicCancelledMidBatch cancels large batches at moments spread
// over their run: each lands whole or not at all.
func testAtomicCancelledMidBatch(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	const size = 2000
	batch := func(round int) []store.Change {
		changes := make([]store.Change, 0, size)
		for i := range size {
			changes = append(changes, put(rec("bulk", "1", fmt.Sprintf("%05d", i), fmt.Sprintf(`{"round":%d}`, round))))
		}
		return changes
	}
	// How long one batch (overwriting the last) takes uncancelled, to
	// spread the cancellations over it.
	apply(t, s, batch(0)...)
	start := time.Now()
	apply(t, s, batch(0)...)
	full := time.Since(start)
	landed, failed, prev := 0, 0, 0
	for round := 1; round <= 16; round++ {
		before := version(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), full*time.Duration(round)/8)
		err := s.Apply(ctx, batch(round))
		cancel()
		// A commit whose answer was lost may still be landing: a later
		// batch lands after it.
		apply(t, s, put(rec("barrier", "1", "after", fmt.Sprint(round))))
		rounds := map[string]int{}
		for _, r := range load(t, s) {
			if r.Kind == "bulk" {
				rounds[string(r.Data)]++
			}
		}
		after := version(t, s)
		switch {
		case len(rounds) == 1 && rounds[fmt.Sprintf(`{"round":%d}`, round)] == size:
			landed++
			prev = round
			if after < before+2 {
				t.Fatalf("round %d and a batch after it landed but the version rose from %d to %d only", round, before, after)
			}
			if err != nil {
				t.Logf("round %d landed whole although Apply answered %v (a commit whose answer was lost)", round, err)
			}
		case len(rounds) == 1 && rounds[fmt.Sprintf(`{"round":%d}`, prev)] == size:
			failed++
			if err == nil {
				t.Fatalf("round %d: Apply returned nil but its batch is not in the store", round)
			}
			if after < before {
				t.Fatalf("round %d: the version went down from %d to %d", round, before, after)
			}
		default:
			t.Fatalf("round %d (Apply: %v): the records are a mix of batches: %v", round, err, rounds)
		}
	}
	t.Logf("batches of %d changes (%v uncancelled): %d landed whole, %d cancelled and left nothing", size, full.Round(time.Millisecond), landed, failed)
}

func testMeta(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	ctx := context.Background()
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	values := map[string][]byte{
		"session-keyring": []byte("sealed-v1"),
		"bytes":           all,
		"empty":           {},
		"":                []byte("the empty key"),
		"é/日本":            []byte("unicode key"),
	}
	for k, v := range values {
		if err := s.SetMeta(ctx, k, v); err != nil {
			t.Fatalf("SetMeta(%q): %v", k, err)
		}
	}
	if err := s.SetMeta(ctx, "session-keyring", []byte("sealed-v2")); err != nil {
		t.Fatalf("SetMeta overwrite: %v", err)
	}
	values["session-keyring"] = []byte("sealed-v2")
	for k, want := range values {
		got, ok, err := s.Meta(ctx, k)
		if err != nil || !ok || !bytes.Equal(got, want) || got == nil {
			t.Errorf("Meta(%q) = %q, %v, %v; want %q", k, got, ok, err, want)
		}
	}
	// Metadata is not records, and records are not metadata.
	if recs := load(t, s); len(recs) != 0 {
		t.Fatalf("SetMeta left %d records", len(recs))
	}
	apply(t, s, put(rec("meta", "", "bytes", `{}`)))
	if got, _, _ := s.Meta(ctx, "bytes"); !bytes.Equal(got, all) {
		t.Fatalf("a record of the same name changed a meta value")
	}
	if _, ok, err := s.Meta(ctx, "absent"); err != nil || ok {
		t.Fatalf("Meta(absent) = ok %v, err %v", ok, err)
	}
}

func testVersionMonotonic(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	ctx := context.Background()
	last := version(t, s)
	for i := range 20 {
		var changes []store.Change
		switch i % 3 {
		case 0:
			changes = []store.Change{put(rec("role", "1", fmt.Sprint(i), `{}`))}
		case 1:
			changes = []store.Change{del("role", "1", fmt.Sprint(i-1))}
		default:
			changes = []store.Change{del("role", "1", "never-there")} // a delete of nothing is a write too
		}
		apply(t, s, changes...)
		v := version(t, s)
		if v <= last {
			t.Fatalf("after Apply %d the version is %d, not above %d", i, v, last)
		}
		last = v
		// Neither an empty batch, a failed one, a read nor metadata lowers it.
		apply(t, s)
		_ = s.Apply(ctx, failingBatch(1))
		load(t, s)
		if err := s.SetMeta(ctx, "k", []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if v := version(t, s); v < last {
			t.Fatalf("the version went down from %d to %d", last, v)
		}
		if v := version(t, s); v != last {
			t.Fatalf("the version moved from %d to %d without a batch applied", last, v)
		}
	}
}

// testConcurrentWriters applies batches from many goroutines while others
// read: every acknowledged write is there after, the version rose by at
// least one per batch, and no reader saw it go down.
func testConcurrentWriters(t *testing.T, open Open) {
	s, _ := openStore(t, open)
	ctx := context.Background()
	const writers, batches = 16, 25
	start := version(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, writers*batches+8)
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for r := range 2 {
		readers.Go(func() {
			var last int64
			for {
				select {
				case <-stop:
					return
				default:
				}
				v, err := s.Version(ctx)
				if err != nil {
					errs <- fmt.Errorf("reader %d: Version: %w", r, err)
					return
				}
				if v < last {
					errs <- fmt.Errorf("reader %d: the version went down from %d to %d", r, last, v)
					return
				}
				last = v
				if _, err := s.Load(ctx); err != nil {
					errs <- fmt.Errorf("reader %d: Load: %w", r, err)
					return
				}
				time.Sleep(2 * time.Millisecond)
			}
		})
	}
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				err := s.Apply(ctx, []store.Change{
					put(rec("role", "1", fmt.Sprintf("w%02d-b%03d", w, b), fmt.Sprintf(`{"w":%d,"b":%d}`, w, b))),
					put(rec("policy", "1", fmt.Sprintf("w%02d-b%03d", w, b), `{}`)),
					put(rec("shared", "1", "last", fmt.Sprintf(`{"w":%d,"b":%d}`, w, b))),
					del("role", "1", fmt.Sprintf("w%02d-b%03d", w, b-1)),
				})
				if err != nil {
					errs <- fmt.Errorf("writer %d batch %d: %w", w, b, err)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		return
	}
	got := load(t, s)
	var want []store.Record
	for w := range writers {
		want = append(want, rec("role", "1", fmt.Sprintf("w%02d-b%03d", w, batches-1), fmt.Sprintf(`{"w":%d,"b":%d}`, w, batches-1)))
		for b := range batches {
			want = append(want, rec("policy", "1", fmt.Sprintf("w%02d-b%03d", w, b), `{}`))
		}
	}
	// The shared record holds the last batch of some writer.
	var shared *store.Record
	for i, r := range got {
		if r.Kind == "shared" {
			shared = &got[i]
		}
	}
	if shared == nil {
		t.Fatal("the record every batch wrote is missing")
	}
	ok := false
	for w := range writers {
		ok = ok || string(shared.Data) == fmt.Sprintf(`{"w":%d,"b":%d}`, w, batches-1)
	}
	if !ok {
		t.Fatalf("the record every batch wrote holds %s, not any writer's last batch", shared.Data)
	}
	want = append(want, *shared)
	slices.SortFunc(want, compareRecords)
	wantRecords(t, "after concurrent writers", got, want)
	if v := version(t, s); v < start+writers*batches {
		t.Fatalf("after %d batches the version is %d, want at least %d", writers*batches, v, start+writers*batches)
	}
}

func testClosed(t *testing.T, open Open) {
	s, _ := open(t)
	ctx := context.Background()
	apply(t, s, put(rec("role", "1", "a", `{}`)))
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
	if err := s.Apply(ctx, []store.Change{put(rec("role", "1", "b", `{}`))}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Apply after Close = %v, want ErrClosed", err)
	}
	if err := s.SetMeta(ctx, "k", []byte("v")); !errors.Is(err, store.ErrClosed) {
		t.Errorf("SetMeta after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Load(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Load after Close = %v, want ErrClosed", err)
	}
	if _, _, err := s.Meta(ctx, "k"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Meta after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Version(ctx); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Version after Close = %v, want ErrClosed", err)
	}
}

// testCloseDuringWrites closes a store while writers run: every batch
// acknowledged before is durable, and after Close writes fail with
// ErrClosed.
func testCloseDuringWrites(t *testing.T, open Open) {
	s, reopen := open(t)
	if reopen == nil {
		s.Close()
		t.Skip("the store keeps nothing across a reopen")
	}
	ctx := context.Background()
	const writers = 8
	var mu sync.Mutex
	var acked []store.Record
	var wg sync.WaitGroup
	started := make(chan struct{}, writers)
	for w := range writers {
		wg.Go(func() {
			for b := 0; ; b++ {
				r := rec("role", "1", fmt.Sprintf("w%02d-b%05d", w, b), fmt.Sprintf(`{"w":%d}`, w))
				err := s.Apply(ctx, []store.Change{put(r)})
				if b == 0 {
					started <- struct{}{}
				}
				if errors.Is(err, store.ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("writer %d: Apply racing Close = %v, want nil or ErrClosed", w, err)
					return
				}
				mu.Lock()
				acked = append(acked, r)
				mu.Unlock()
			}
		})
	}
	for range writers {
		<-started
	}
	time.Sleep(50 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatalf("Close while writing: %v", err)
	}
	wg.Wait()
	s = reopenStore(t, reopen)
	got := map[string]bool{}
	for _, r := range load(t, s) {
		got[r.ID] = true
	}
	for _, r := range acked {
		if !got[r.ID] {
			t.Errorf("acknowledged write %s is missing after Close and reopen", r.ID)
		}
	}
	t.Logf("%d batches acknowledged before Close, all present after reopen", len(acked))
}

func testReopenDurable(t *testing.T, open Open) {
	s, reopen := open(t)
	if reopen == nil {
		s.Close()
		t.Skip("the store keeps nothing across a reopen")
	}
	ctx := context.Background()
	apply(t, s,
		put(rec("account", "", "111111111111", `{"id":"111111111111"}`)),
		put(rec("role", "111111111111", "AROAEXAMPLE1", `{"name":"a"}`)),
		put(rec("role", "111111111111", "AROAEXAMPLE2", `{"name":"b"}`)),
	)
	apply(t, s,
		put(rec("role", "111111111111", "AROAEXAMPLE1", `{"name":"a2"}`)),
		del("role", "111111111111", "AROAEXAMPLE2"),
	)
	if err := s.SetMeta(ctx, "session-keyring", []byte("k1")); err != nil {
		t.Fatal(err)
	}
	v := version(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = reopenStore(t, reopen)
	wantRecords(t, "after reopen", load(t, s), []store.Record{
		rec("account", "", "111111111111", `{"id":"111111111111"}`),
		rec("role", "111111111111", "AROAEXAMPLE1", `{"name":"a2"}`),
	})
	if got, ok, err := s.Meta(ctx, "session-keyring"); err != nil || !ok || string(got) != "k1" {
		t.Fatalf("Meta after reopen = %q, %v, %v; want k1", got, ok, err)
	}
	if got := version(t, s); got != v {
		t.Fatalf("version after reopen = %d, want %d", got, v)
	}
	// And it goes on rising.
	apply(t, s, put(rec("role", "111111111111", "AROAEXAMPLE3", `{}`)))
	if got := version(t, s); got <= v {
		t.Fatalf("version after a write on the reopened store = %d, not above %d", got, v)
	}
}
