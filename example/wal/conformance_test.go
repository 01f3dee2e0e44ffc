package wal

import (
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// The conformance tests run one sequence of operations against a
// raft.MemoryStorage (the reference) and a wal.Storage, and compare every
// answer after every operation.
//
// The one deliberate difference: compaction deletes whole segments, so the
// wal may keep entries below the reference's first index. The comparison
// therefore checks that the wal's FirstIndex is at most the reference's,
// that both agree on everything from the reference's FirstIndex-1 on, and
// that what the wal keeps below that is what was last written there (a
// shadow map tracks it). With SegmentSize 1 (one entry per segment) the two
// agree exactly except after Compact(LastIndex()).

// op is one step of a conformance sequence.
type op struct {
	kind string // "save", "snap" (CreateSnapshot), "compact", "restart"
	hs   pb.HardState
	ents []pb.Entry
	snap pb.Snapshot
	i    uint64
	cs   *pb.ConfState
	data []byte
}

func (o op) String() string {
	switch o.kind {
	case "save":
		s := "save"
		if !raft.IsEmptySnap(o.snap) {
			s += fmt.Sprintf(" snap=%d/%d", o.snap.Metadata.Index, o.snap.Metadata.Term)
		}
		if len(o.ents) > 0 {
			s += fmt.Sprintf(" ents=[%d..%d]@%d", o.ents[0].Index, o.ents[len(o.ents)-1].Index, o.ents[0].Term)
		}
		if !raft.IsEmptyHardState(o.hs) {
			s += " hs=" + raft.DescribeHardState(o.hs)
		}
		return s
	case "snap", "compact":
		return fmt.Sprintf("%s %d", o.kind, o.i)
	}
	return o.kind
}

// conformance drives both storages.
type conformance struct {
	t      *testing.T
	dir    string
	opts   Options
	mem    *raft.MemoryStorage
	wal    *Storage
	shadow map[uint64]pb.Entry // the last entry written at each index
}

func newConformance(t *testing.T, opts Options) *conformance {
	c := &conformance{t: t, dir: t.TempDir(), opts: opts, mem: raft.NewMemoryStorage(), shadow: map[uint64]pb.Entry{}}
	c.wal = mustOpen(t, c.dir, opts)
	t.Cleanup(func() { c.wal.Close() })
	return c
}

func (c *conformance) bounds() (walFirst, memFirst, last uint64) {
	walFirst, _ = c.wal.FirstIndex()
	memFirst, _ = c.mem.FirstIndex()
	last, _ = c.mem.LastIndex()
	return
}

func (c *conformance) step(n int, o op) {
	t := c.t
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("step %d (%s): %s", n, o, fmt.Sprintf(format, args...))
	}
	switch o.kind {
	case "save":
		var memErr error
		if !raft.IsEmptySnap(o.snap) {
			memErr = c.mem.ApplySnapshot(o.snap)
		}
		if memErr == nil {
			memErr = c.mem.Append(o.ents)
		}
		if memErr == nil && !raft.IsEmptyHardState(o.hs) {
			memErr = c.mem.SetHardState(o.hs)
		}
		walFirst, _, _ := c.bounds()
		walErr := c.wal.Save(o.hs, o.ents, o.snap)
		if errClass(memErr) != errClass(walErr) {
			fail("memory storage says %v, wal says %v", memErr, walErr)
		}
		if walErr == nil {
			if !raft.IsEmptySnap(o.snap) {
				c.shadow = map[uint64]pb.Entry{}
				walFirst = o.snap.Metadata.Index + 1
			}
			c.recordShadow(o.ents, walFirst)
		}
	case "snap":
		want, memErr := c.mem.CreateSnapshot(o.i, o.cs, o.data)
		walFirst, _, _ := c.bounds()
		if errors.Is(memErr, raft.ErrCompacted) && o.i >= walFirst-1 {
			// The wal still knows the term of o.i and would succeed; skip it
			// to keep the two in step (see the comment at the top).
			return
		}
		got, walErr := c.wal.CreateSnapshot(o.i, o.cs, o.data)
		if errClass(memErr) != errClass(walErr) {
			fail("memory storage says %v, wal says %v", memErr, walErr)
		}
		if !sameBytes(marshalOf(&want), marshalOf(&got)) {
			fail("snapshot %v, want %v", got.Metadata, want.Metadata)
		}
	case "compact":
		walFirst, _, _ := c.bounds()
		memErr := c.mem.Compact(o.i)
		walErr := c.wal.Compact(o.i)
		ok := errClass(memErr) == errClass(walErr) ||
			(errors.Is(memErr, raft.ErrCompacted) && walErr == nil && o.i >= walFirst)
		if !ok {
			fail("memory storage says %v, wal says %v", memErr, walErr)
		}
	case "restart":
		before := dump(t, c.wal)
		if err := c.wal.Close(); err != nil {
			fail("Close: %v", err)
		}
		c.wal = mustOpen(t, c.dir, c.opts)
		if after := dump(t, c.wal); after != before {
			fail("state changed across restart:\nbefore:\n%s\nafter:\n%s", before, after)
		}
	default:
		fail("unknown op")
	}
	c.compare(n, o)
}

func (c *conformance) recordShadow(ents []pb.Entry, walFirst uint64) {
	for len(ents) > 0 && ents[0].Index < walFirst {
		ents = ents[1:]
	}
	if len(ents) == 0 {
		return
	}
	for i := range c.shadow {
		if i >= ents[0].Index {
			delete(c.shadow, i)
		}
	}
	for _, e := range ents {
		c.shadow[e.Index] = e
	}
}

// compare checks every answer of the two storages against each other.
func (c *conformance) compare(n int, o op) {
	t := c.t
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("after step %d (%s): %s", n, o, fmt.Sprintf(format, args...))
	}
	walFirst, memFirst, last := c.bounds()
	if walLast, _ := c.wal.LastIndex(); walLast != last {
		fail("LastIndex %d, want %d", walLast, last)
	}
	if walFirst > memFirst {
		fail("FirstIndex %d beyond the reference's %d", walFirst, memFirst)
	}
	hs1, cs1, _ := c.mem.InitialState()
	hs2, cs2, _ := c.wal.InitialState()
	if hs1 != hs2 || !sameBytes(marshalOf(&cs1), marshalOf(&cs2)) {
		fail("InitialState %v %v, want %v %v", hs2, cs2, hs1, cs1)
	}
	snap1, _ := c.mem.Snapshot()
	snap2, err := c.wal.Snapshot()
	if err != nil || !sameBytes(marshalOf(&snap1), marshalOf(&snap2)) {
		fail("Snapshot %v (%v), want %v", snap2.Metadata, err, snap1.Metadata)
	}

	// Terms: identical from the reference's FirstIndex-1 on, from the
	// shadow in between, compacted below the wal's FirstIndex-1.
	for i := memFirst - 1; i <= last+2; i++ {
		want, got := describeTerm(c.mem.Term(i)), describeTerm(c.wal.Term(i))
		if want != got {
			fail("Term(%d) = %s, want %s", i, got, want)
		}
	}
	for i := walFirst; i < memFirst; i++ {
		e, ok := c.shadow[i]
		if got, err := c.wal.Term(i); !ok || err != nil || got != e.Term {
			fail("Term(%d) = %d, %v; the last write there was %v (%v)", i, got, err, e, ok)
		}
		ents, err := c.wal.Entries(i, i+1, 0)
		if err != nil || len(ents) != 1 || !sameBytes(marshalOf(&ents[0]), marshalOf(&e)) {
			fail("Entries(%d) = %v, %v; want %v", i, ents, err, e)
		}
	}
	if walFirst >= 2 {
		if _, err := c.wal.Term(walFirst - 2); !errors.Is(err, raft.ErrCompacted) {
			fail("Term(%d) below the first index: %v, want ErrCompacted", walFirst-2, err)
		}
	}
	if walFirst >= 1 {
		if _, err := c.wal.Entries(walFirst-1, last+1, 100); !errors.Is(err, raft.ErrCompacted) && walFirst > 1 {
			fail("Entries from %d: %v, want ErrCompacted", walFirst-1, err)
		}
	}

	// Entries over a grid of ranges and size limits.
	sizes := []uint64{0, 45, 100, ^uint64(0)}
	for lo := memFirst; lo <= last+1; lo++ {
		for _, hi := range []uint64{lo, lo + 3, last + 1, last + 2} {
			if hi < lo {
				continue
			}
			for _, max := range sizes {
				want := describeEnts(c.mem.Entries(lo, hi, max))
				got := describeEnts(c.wal.Entries(lo, hi, max))
				if want != got {
					fail("Entries(%d, %d, %d) =\n  %s\nwant\n  %s", lo, hi, max, got, want)
				}
			}
		}
	}
	if want, got := describeEnts(c.mem.Entries(last, last-1, 0)), describeEnts(c.wal.Entries(last, last-1, 0)); last > memFirst && want != got {
		fail("Entries with lo > hi: %s, want %s", got, want)
	}
}

func snapAt(index, term uint64, voters ...uint64) pb.Snapshot {
	return pb.Snapshot{
		Data:     []byte(fmt.Sprintf("state@%d", index)),
		Metadata: pb.SnapshotMetadata{Index: index, Term: term, ConfState: pb.ConfState{Voters: voters}},
	}
}

// conformanceTable is a hand-written sequence that visits every operation
// and every error of the contract.
func conformanceTable() []op {
	cs := &pb.ConfState{Voters: []uint64{1, 2, 3}}
	return []op{
		{kind: "restart"}, // empty storage
		{kind: "save", hs: pb.HardState{Term: 1, Vote: 1}},       // hard state only
		{kind: "save", ents: mkEnts(1, 6, 1)},                    // first entries
		{kind: "save", ents: mkEnts(8, 9, 1)},                    // gap: error
		{kind: "save", ents: []pb.Entry{{Index: 6}, {Index: 8}}}, // not contiguous
		{kind: "restart"},
		{kind: "save", ents: mkEnts(6, 11, 1), hs: pb.HardState{Term: 1, Vote: 1, Commit: 3}},
		{kind: "save", ents: mkEnts(8, 10, 2), hs: pb.HardState{Term: 2, Vote: 2, Commit: 3}}, // truncate 8..10
		{kind: "restart"},
		{kind: "save", ents: mkEnts(10, 14, 2)},
		{kind: "snap", i: 0},  // out of date
		{kind: "snap", i: 20}, // beyond the last index
		{kind: "snap", i: 5, cs: cs, data: []byte("five")},
		{kind: "snap", i: 5, cs: cs}, // not newer
		{kind: "restart"},
		{kind: "compact", i: 4},
		{kind: "compact", i: 4},  // again
		{kind: "compact", i: 30}, // beyond
		{kind: "restart"},
		{kind: "snap", i: 9, data: []byte("nine")}, // inherits the ConfState
		{kind: "compact", i: 9},
		{kind: "restart"},
		{kind: "save", ents: mkEnts(12, 15, 3)},   // truncate again
		{kind: "save", snap: snapAt(9, 1, 1)},     // out of date
		{kind: "save", snap: snapAt(12, 3, 1, 2)}, // snapshot inside the log, same term
		{kind: "restart"},
		{kind: "save", ents: mkEnts(13, 20, 3)},
		{kind: "save", snap: snapAt(30, 4, 1, 2, 3), ents: mkEnts(31, 33, 4), hs: pb.HardState{Term: 4, Commit: 30}},
		{kind: "restart"},
		{kind: "compact", i: 32}, // to the last index
		{kind: "restart"},
		{kind: "save", ents: mkEnts(33, 40, 4)},
		{kind: "snap", i: 35},
		{kind: "snap", i: 37},
		{kind: "snap", i: 39}, // three snapshots: the oldest file goes
		{kind: "compact", i: 38},
		{kind: "restart"},
		{kind: "save", snap: snapAt(35, 4)}, // older than the current one
		{kind: "save", snap: snapAt(60, 6, 1)},
		{kind: "restart"},
		{kind: "save", ents: mkEnts(61, 62, 6)},
		{kind: "restart"},
	}
}

type namedOptions struct {
	name string
	opts Options
}

func conformanceOptions() []namedOptions {
	return []namedOptions{
		{"default", Options{NoSync: true}},
		{"segment=1", Options{NoSync: true, SegmentSize: 1}},
		{"segment=200", Options{NoSync: true, SegmentSize: 200}},
		{"segment=200/nocache", Options{NoSync: true, SegmentSize: 200, CacheSize: -1}},
		{"segment=300/cache=60", Options{NoSync: true, SegmentSize: 300, CacheSize: 60}},
	}
}

func TestConformanceTable(t *testing.T) {
	for _, no := range conformanceOptions() {
		t.Run(no.name, func(t *testing.T) {
			c := newConformance(t, no.opts)
			for n, o := range conformanceTable() {
				c.step(n, o)
			}
		})
	}
}

// TestConformanceRandom runs a long random sequence (fixed seed) of valid
// and invalid operations shaped like what raft asks of a storage.
func TestConformanceRandom(t *testing.T) {
	steps := 1000
	if testing.Short() {
		steps = 250
	}
	for _, no := range conformanceOptions() {
		t.Run(no.name, func(t *testing.T) {
			rng := rand.New(rand.NewSource(42))
			c := newConformance(t, no.opts)
			maxLen := uint64(0)
			kinds := map[string]int{}
			for n := 0; n < steps; n++ {
				o := randomOp(rng, c)
				kinds[o.kind]++
				c.step(n, o)
				f, _ := c.wal.FirstIndex()
				l, _ := c.wal.LastIndex()
				maxLen = max(maxLen, l+1-f)
			}
			walFirst, memFirst, last := c.bounds()
			t.Logf("ops %v; longest log %d; final log [%d (reference %d), %d] in %d segments",
				kinds, maxLen, walFirst, memFirst, last, len(c.wal.segs))
		})
	}
}

func randomOp(rng *rand.Rand, c *conformance) op {
	walFirst, memFirst, last := c.bounds()
	hs, _, _ := c.mem.InitialState()
	snap, _ := c.mem.Snapshot()
	lastTerm, _ := c.mem.Term(last)
	term := max(hs.Term, lastTerm)
	between := func(lo, hi uint64) uint64 { // inclusive
		if hi <= lo {
			return lo
		}
		return lo + uint64(rng.Int63n(int64(hi-lo+1)))
	}
	data := func(i uint64) []byte {
		if rng.Intn(8) == 0 {
			return nil
		}
		b := make([]byte, rng.Intn(40))
		rng.Read(b)
		return append([]byte(fmt.Sprintf("%d:", i)), b...)
	}
	ents := func(from, n, term uint64) []pb.Entry {
		var out []pb.Entry
		for i := from; i < from+n; i++ {
			out = append(out, pb.Entry{Index: i, Term: term, Type: pb.EntryType(rng.Intn(3)), Data: data(i)})
		}
		return out
	}

	switch r := rng.Intn(100); {
	case r < 55: // append, often replacing a suffix
		from := last + 1
		if rng.Intn(3) == 0 {
			// Never below the snapshot: raft does not rewrite what it applied.
			from = between(max(memFirst, snap.Metadata.Index+1), last+1)
		}
		t := term
		if from <= last || rng.Intn(5) == 0 {
			t++
		}
		o := op{kind: "save", ents: ents(from, uint64(1+rng.Intn(6)), t)}
		if rng.Intn(2) == 0 {
			o.hs = pb.HardState{Term: t, Vote: uint64(rng.Intn(4)), Commit: hs.Commit}
		}
		return o
	case r < 60: // invalid appends and no-ops
		switch rng.Intn(3) {
		case 0:
			return op{kind: "save", ents: ents(last+2, 2, term)}
		case 1:
			e := ents(last+1, 3, term)
			e[2].Index++
			return op{kind: "save", ents: e}
		default:
			if walFirst > 2 {
				return op{kind: "save", ents: ents(1, walFirst-2, term)}
			}
			return op{kind: "save"}
		}
	case r < 68: // hard state
		return op{kind: "save", hs: pb.HardState{Term: term + uint64(rng.Intn(2)), Vote: uint64(rng.Intn(4)), Commit: between(hs.Commit, last)}}
	case r < 78:
		cs := &pb.ConfState{Voters: []uint64{1, uint64(2 + rng.Intn(3))}}
		if rng.Intn(2) == 0 {
			cs = nil
		}
		return op{kind: "snap", i: between(memFirst-1, last+1), cs: cs, data: data(last)}
	case r < 86:
		return op{kind: "compact", i: between(memFirst-1, last+1)}
	case r < 91: // a snapshot from a leader, sometimes with entries after it
		idx := between(snap.Metadata.Index, last+5)
		st := term
		if rng.Intn(2) == 0 {
			st++
		}
		if idx >= memFirst && idx <= last && rng.Intn(2) == 0 {
			st, _ = c.mem.Term(idx) // a snapshot the log agrees with
		}
		o := op{kind: "save", snap: snapAt(idx, st, 1, 2, 3), hs: pb.HardState{Term: max(term, st), Commit: idx}}
		if rng.Intn(2) == 0 {
			o.ents = ents(idx+1, uint64(1+rng.Intn(3)), max(term, st))
		}
		return o
	default:
		return op{kind: "restart"}
	}
}
