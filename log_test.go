package raft

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// newTestLog returns a log whose storage holds a dummy at (dummyIndex,
// dummyTerm) and stable entries with the given terms, then appends the
// unstable entries (which must follow them).
func newTestLog(t *testing.T, dummyIndex, dummyTerm uint64, stable []uint64, unstableEnts []pb.Entry) *raftLog {
	t.Helper()
	ms := newTestMemoryStorage(dummyIndex, dummyTerm, stable...)
	l, err := newRaftLog(ms, discardLogger, 0)
	require.NoError(t, err)
	if len(unstableEnts) > 0 {
		l.append(unstableEnts...)
	}
	return l
}

// failingStorage fails the calls whose flag is set.
type failingStorage struct {
	*MemoryStorage
	failFirst, failLast, failTerm bool
}

var errBroken = errors.New("broken disk")

func (s *failingStorage) FirstIndex() (uint64, error) {
	if s.failFirst {
		return 0, errBroken
	}
	return s.MemoryStorage.FirstIndex()
}

func (s *failingStorage) LastIndex() (uint64, error) {
	if s.failLast {
		return 0, errBroken
	}
	return s.MemoryStorage.LastIndex()
}

func (s *failingStorage) Term(i uint64) (uint64, error) {
	if s.failTerm {
		return 0, errBroken
	}
	return s.MemoryStorage.Term(i)
}

func TestNewRaftLog(t *testing.T) {
	ms := newTestMemoryStorage(3, 3, 4, 5)
	l, err := newRaftLog(ms, discardLogger, 0)
	require.NoError(t, err)
	require.Equal(t, uint64(3), l.committed)
	require.Equal(t, uint64(3), l.applying)
	require.Equal(t, uint64(3), l.applied)
	require.Equal(t, uint64(6), l.unstable.offset)
	require.Equal(t, uint64(6), l.unstable.offsetInProgress)
	require.Equal(t, uint64(noLimit), l.maxApplyingEntsSize)
	require.Equal(t, uint64(4), l.firstIndex())
	require.Equal(t, uint64(5), l.lastIndex())
	require.Equal(t, entryID{5, 5}, l.lastEntryID())
	require.Equal(t, uint64(5), l.lastTerm())

	_, err = newRaftLog(&failingStorage{MemoryStorage: ms, failFirst: true}, discardLogger, 0)
	require.ErrorIs(t, err, errBroken)
	_, err = newRaftLog(&failingStorage{MemoryStorage: ms, failLast: true}, discardLogger, 0)
	require.ErrorIs(t, err, errBroken)
	_, err = newRaftLog(nil, discardLogger, 0)
	require.Error(t, err)

	l, err = newRaftLog(ms, nil, 100)
	require.NoError(t, err)
	require.NotNil(t, l.logger())
	require.Equal(t, uint64(100), l.maxApplyingEntsSize)
}

func TestRaftLogTerm(t *testing.T) {
	// storage: dummy 3/3, 4@4 5@4; unstable: 6@5 7@5.
	l := newTestLog(t, 3, 3, []uint64{4, 4}, idsFrom(6, 5, 5))
	for _, tt := range []struct {
		i       uint64
		want    uint64
		wantErr error
	}{
		{0, 0, ErrCompacted},
		{2, 0, ErrCompacted},
		{3, 3, nil}, // firstIndex()-1: the dummy's term is known
		{4, 4, nil},
		{5, 4, nil},
		{6, 5, nil},
		{7, 5, nil},
		{8, 0, ErrUnavailable},
		{1 << 62, 0, ErrUnavailable},
	} {
		t.Run(fmt.Sprint(tt.i), func(t *testing.T) {
			got, err := l.term(tt.i)
			require.Equal(t, tt.wantErr, err)
			require.Equal(t, tt.want, got)
		})
	}

	t.Run("unstable snapshot", func(t *testing.T) {
		l := newTestLog(t, 3, 3, []uint64{4}, nil)
		l.restore(*testSnap(10, 6))
		for i, want := range map[uint64]error{9: ErrCompacted, 4: ErrCompacted, 11: ErrUnavailable} {
			_, err := l.term(i)
			require.Equal(t, want, err, "index %d", i)
		}
		got, err := l.term(10)
		require.NoError(t, err)
		require.Equal(t, uint64(6), got)
	})

	t.Run("storage error passed on", func(t *testing.T) {
		fs := &failingStorage{MemoryStorage: newTestMemoryStorage(3, 3, 4)}
		l, err := newRaftLog(fs, discardLogger, 0)
		require.NoError(t, err)
		fs.failTerm = true
		_, err = l.term(4)
		require.ErrorIs(t, err, errBroken)
		require.False(t, l.matchTerm(entryID{4, 4}))
	})
}

func TestRaftLogMatchTerm(t *testing.T) {
	l := newTestLog(t, 3, 3, []uint64{4}, idsFrom(5, 5))
	for _, tt := range []struct {
		id   entryID
		want bool
	}{
		{entryID{3, 3}, true},
		{entryID{2, 3}, false},
		{entryID{4, 4}, true},
		{entryID{5, 5}, true},
		{entryID{4, 5}, false},
		{entryID{5, 6}, false},
		{entryID{0, 2}, false},
	} {
		require.Equal(t, tt.want, l.matchTerm(tt.id), "%s", tt.id)
	}
}

// TestRaftLogIsUpToDate checks the election restriction (§5.4.1) against
// a log whose last entry is 3/5.
func TestRaftLogIsUpToDate(t *testing.T) {
	l := newTestLog(t, 0, 0, []uint64{1, 2, 3}, idsFrom(4, 3, 3))
	require.Equal(t, entryID{3, 5}, l.lastEntryID())
	for _, tt := range []struct {
		cand entryID
		want bool
	}{
		{entryID{4, 1}, true},  // higher last term wins even if shorter
		{entryID{4, 5}, true},  // higher last term
		{entryID{4, 9}, true},  // higher last term, longer
		{entryID{3, 4}, false}, // same term, shorter
		{entryID{3, 5}, true},  // same term, same length
		{entryID{3, 6}, true},  // same term, longer
		{entryID{2, 9}, false}, // lower last term loses even if longer
	} {
		require.Equal(t, tt.want, l.isUpToDate(tt.cand), "%s", tt.cand)
	}
}

// TestRaftLogMaybeAppend covers the follower side of AppendEntries (§5.3)
// on a log 1/1 2/2 3/3 (all stable) with committed = 1.
func TestRaftLogMaybeAppend(t *testing.T) {
	for _, tt := range []struct {
		name        string
		prev        entryID
		ents        []pb.Entry
		wantLastNew uint64
		wantOK      bool
		wantErr     bool
		wantLog     []pb.Entry // from index 1
	}{
		{"prev term mismatch", entryID{2, 3}, idsFrom(4, 4), 0, false, false, idsFrom(1, 1, 2, 3)},
		{"prev beyond last", entryID{3, 4}, idsFrom(5, 4), 0, false, false, idsFrom(1, 1, 2, 3)},
		{"heartbeat-like, no entries", entryID{3, 3}, nil, 3, true, false, idsFrom(1, 1, 2, 3)},
		{"no entries, earlier prev", entryID{2, 2}, nil, 2, true, false, idsFrom(1, 1, 2, 3)},
		{"append", entryID{3, 3}, idsFrom(4, 4, 4), 5, true, false, idsFrom(1, 1, 2, 3, 4, 4)},
		{"all present", entryID{1, 1}, idsFrom(2, 2, 3), 3, true, false, idsFrom(1, 1, 2, 3)},
		{"some present, then new", entryID{1, 1}, idsFrom(2, 2, 3, 4), 4, true, false, idsFrom(1, 1, 2, 3, 4)},
		// Present entries at the start do not truncate the suffix after
		// them: a stale, shorter append must not shorten the log.
		{"prefix present", entryID{1, 1}, idsFrom(2, 2), 2, true, false, idsFrom(1, 1, 2, 3)},
		{"conflict truncates", entryID{2, 2}, idsFrom(3, 4, 4), 4, true, false, idsFrom(1, 1, 2, 4, 4)},
		{"conflict after present", entryID{1, 1}, idsFrom(2, 2, 4), 3, true, false, idsFrom(1, 1, 2, 4)},
		{"conflict at committed+1", entryID{1, 1}, idsFrom(2, 4), 2, true, false, idsFrom(1, 1, 4)},
		{"conflict at committed", entryID{0, 0}, idsFrom(1, 4), 0, false, true, idsFrom(1, 1, 2, 3)},
		{"not contiguous", entryID{3, 3}, []pb.Entry{{Index: 4, Term: 3}, {Index: 6, Term: 3}}, 0, false, true, idsFrom(1, 1, 2, 3)},
		{"first not after prev", entryID{3, 3}, idsFrom(5, 3), 0, false, true, idsFrom(1, 1, 2, 3)},
		{"decreasing terms", entryID{3, 3}, idsFrom(4, 4, 3), 0, false, true, idsFrom(1, 1, 2, 3)},
		{"term below prev", entryID{3, 3}, idsFrom(4, 2), 0, false, true, idsFrom(1, 1, 2, 3)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLog(t, 0, 0, []uint64{1, 2, 3}, nil)
			l.commitTo(1)
			lastNew, ok, err := l.maybeAppend(tt.prev, tt.ents)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.wantLastNew, lastNew)
			require.Equal(t, tt.wantLog, l.allEntries())
			require.Equal(t, uint64(1), l.committed, "maybeAppend never commits")
		})
	}
}

func TestRaftLogAppend(t *testing.T) {
	for _, tt := range []struct {
		name     string
		ents     []pb.Entry
		wantLast uint64
		wantLog  []pb.Entry
		// unstable.offset afterwards: moves back when stable entries are replaced
		wantOffset uint64
	}{
		{"nothing", nil, 2, idsFrom(1, 1, 2), 3},
		{"append", idsFrom(3, 2), 3, idsFrom(1, 1, 2, 2), 3},
		{"replace the stable suffix", idsFrom(2, 3), 2, idsFrom(1, 1, 3), 2},
		{"replace all", idsFrom(1, 3, 3), 2, idsFrom(1, 3, 3), 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newTestLog(t, 0, 0, []uint64{1, 2}, nil)
			require.Equal(t, tt.wantLast, l.append(tt.ents...))
			require.Equal(t, tt.wantLog, l.allEntries())
			require.Equal(t, tt.wantOffset, l.unstable.offset)
		})
	}
	t.Run("below committed panics", func(t *testing.T) {
		l := newTestLog(t, 0, 0, []uint64{1, 2}, nil)
		l.commitTo(2)
		require.Panics(t, func() { l.append(idsFrom(2, 3)...) })
		require.NotPanics(t, func() { l.append(idsFrom(3, 3)...) })
	})
	t.Run("gap panics", func(t *testing.T) {
		l := newTestLog(t, 0, 0, []uint64{1, 2}, nil)
		require.Panics(t, func() { l.append(idsFrom(4, 3)...) })
	})
}

// TestRaftLogFindConflictByTerm uses the worked example of
// findConflictByTerm's doc comment:
//
//	index: 1 2 3 4 5 6 7
//	term:  1 1 2 2 5 5 5
//
// with index 1 compacted (the storage's dummy), so firstIndex() = 2.
// Entries 2..4 are stable, 5..7 unstable.
func TestRaftLogFindConflictByTerm(t *testing.T) {
	l := newTestLog(t, 1, 1, []uint64{1, 2, 2}, idsFrom(5, 5, 5, 5))
	for _, tt := range []struct {
		index, term         uint64
		wantIndex, wantTerm uint64
	}{
		{7, 5, 7, 5}, // the entry itself qualifies
		{7, 6, 7, 5},
		{7, 4, 4, 2}, // skips the term-5 run
		{6, 2, 4, 2},
		{9, 3, 4, 2}, // index clamped to 7 first
		{4, 1, 2, 1},
		{3, 2, 3, 2},
		{4, 0, 1, 1}, // stops at firstIndex()-1
		{1, 0, 1, 1},
		{0, 0, 0, 0}, // below firstIndex()-1: term unknown
	} {
		t.Run(fmt.Sprintf("%d/%d", tt.term, tt.index), func(t *testing.T) {
			index, term := l.findConflictByTerm(tt.index, tt.term)
			require.Equal(t, tt.wantIndex, index)
			require.Equal(t, tt.wantTerm, term)
		})
	}
}

func TestRaftLogCommitTo(t *testing.T) {
	l := newTestLog(t, 0, 0, []uint64{1, 2, 3}, nil)
	l.commitTo(2)
	require.Equal(t, uint64(2), l.committed)
	l.commitTo(1) // never lowers
	require.Equal(t, uint64(2), l.committed)
	l.commitTo(3)
	require.Equal(t, uint64(3), l.committed)
	require.Panics(t, func() { l.commitTo(4) })

	require.False(t, l.maybeCommit(entryID{3, 3}), "already committed")
	l.append(idsFrom(4, 4, 5)...)
	require.False(t, l.maybeCommit(entryID{4, 5}), "term mismatch")
	require.True(t, l.maybeCommit(entryID{5, 5}))
	require.Equal(t, uint64(5), l.committed)
}

// TestRaftLogApplyingBudget follows committed/applying/applied with a
// budget of 2.5 entries (all entries have the same size).
func TestRaftLogApplyingBudget(t *testing.T) {
	ms := NewMemoryStorage()
	ents := idsFrom(1, 1, 1, 1, 1, 1, 1)
	for i := range ents {
		ents[i].Data = []byte("0123456789")
	}
	require.NoError(t, ms.Append(ents))
	sz := uint64(ents[0].Size())
	l, err := newRaftLog(ms, discardLogger, sz*5/2)
	require.NoError(t, err)

	require.False(t, l.hasNextCommittedEnts(true), "nothing committed")
	require.Nil(t, l.nextCommittedEnts(true))

	l.commitTo(6)
	require.True(t, l.hasNextCommittedEnts(true))
	got := l.nextCommittedEnts(true)
	require.Equal(t, ents[:2], got, "two fit in the budget")
	l.acceptApplying(2, entsSize(got), true)
	require.Equal(t, uint64(2), l.applying)

	// 0.5 entries of budget left: nothing more while two are in flight.
	require.False(t, l.hasNextCommittedEnts(true))
	require.Nil(t, l.nextCommittedEnts(true))

	// One applied: 1.5 left, one more fits.
	l.appliedTo(1, sz)
	require.Equal(t, uint64(1), l.applied)
	require.True(t, l.hasNextCommittedEnts(true))
	got = l.nextCommittedEnts(true)
	require.Equal(t, ents[2:3], got)
	l.acceptApplying(3, sz, true)

	// Everything applied: the budget is whole again.
	l.appliedTo(3, 2*sz)
	require.Zero(t, l.applyingEntsSize)
	require.Equal(t, ents[3:5], l.nextCommittedEnts(true))

	// With nothing in flight, one entry is handed out even if it exceeds
	// the budget.
	l.maxApplyingEntsSize = 1
	require.True(t, l.hasNextCommittedEnts(true))
	got = l.nextCommittedEnts(true)
	require.Equal(t, ents[3:4], got)
	l.acceptApplying(4, sz, true)
	require.False(t, l.hasNextCommittedEnts(true))
	require.Nil(t, l.nextCommittedEnts(true))

	// Releasing more than is in flight does not underflow.
	l.appliedTo(4, 10*sz)
	require.Zero(t, l.applyingEntsSize)

	// Bookkeeping panics.
	require.Panics(t, func() { l.appliedTo(7, 0) }, "beyond committed")
	require.Panics(t, func() { l.appliedTo(3, 0) }, "below applied")
	require.Panics(t, func() { l.acceptApplying(3, 0, true) }, "below applying")
	require.Panics(t, func() { l.acceptApplying(7, 0, true) }, "beyond committed")
}

func TestRaftLogAppliedToRaisesApplying(t *testing.T) {
	// A restart with Config.Applied: applied moves without acceptApplying.
	l := newTestLog(t, 0, 0, []uint64{1, 1, 1}, nil)
	l.commitTo(3)
	l.appliedTo(2, 0)
	require.Equal(t, uint64(2), l.applying)
	require.Equal(t, idsFrom(3, 1), l.nextCommittedEnts(false))
}

// TestRaftLogNextCommittedEntsUnstable checks that, without allowUnstable,
// only persisted entries are handed out for applying, and that nothing is
// while a snapshot is pending.
func TestRaftLogNextCommittedEntsUnstable(t *testing.T) {
	// stable 1..2, unstable 3..4, committed 4, applied 1.
	newLog := func() *raftLog {
		l := newTestLog(t, 0, 0, []uint64{1, 1}, idsFrom(3, 1, 1))
		l.commitTo(4)
		l.appliedTo(1, 0)
		return l
	}
	for _, tt := range []struct {
		allowUnstable bool
		want          []pb.Entry
	}{
		{false, idsFrom(2, 1)},
		{true, idsFrom(2, 1, 1, 1)},
	} {
		t.Run(fmt.Sprint(tt.allowUnstable), func(t *testing.T) {
			l := newLog()
			require.Equal(t, tt.want != nil, l.hasNextCommittedEnts(tt.allowUnstable))
			require.Equal(t, tt.want, l.nextCommittedEnts(tt.allowUnstable))
		})
	}
	t.Run("acceptApplying beyond persisted panics", func(t *testing.T) {
		l := newLog()
		require.Panics(t, func() { l.acceptApplying(3, 0, false) })
	})
	t.Run("pending snapshot", func(t *testing.T) {
		l := newLog()
		l.restore(*testSnap(10, 2))
		require.False(t, l.hasNextCommittedEnts(true))
		require.Nil(t, l.nextCommittedEnts(true))
	})
}

// TestRaftLogAsyncWrites follows entries through the in-progress markers of
// asynchronous storage writes, including a stale write confirmation after a
// truncation.
func TestRaftLogAsyncWrites(t *testing.T) {
	ms := newTestMemoryStorage(0, 0, 1)
	l, err := newRaftLog(ms, discardLogger, 0)
	require.NoError(t, err)

	l.append(idsFrom(2, 1, 1, 1)...)
	require.True(t, l.hasNextUnstableEnts())
	require.True(t, l.hasNextOrInProgressUnstableEnts())
	write1 := l.nextUnstableEnts()
	require.Equal(t, idsFrom(2, 1, 1, 1), write1)
	l.acceptUnstable()
	require.False(t, l.hasNextUnstableEnts())
	require.True(t, l.hasNextOrInProgressUnstableEnts())

	// A new leader replaces 3..4 before write1 is confirmed.
	_, ok, err := l.maybeAppend(entryID{1, 2}, idsFrom(3, 2, 2))
	require.NoError(t, err)
	require.True(t, ok)
	write2 := l.nextUnstableEnts()
	require.Equal(t, idsFrom(3, 2, 2), write2)
	l.acceptUnstable()
	require.Equal(t, idsFrom(2, 1, 1, 1), write1, "handed-out entries unchanged")

	// write1 lands in storage, and its confirmation (for 1/4) arrives.
	require.NoError(t, ms.Append(write1))
	l.stableTo(pbEntryID(&write1[len(write1)-1]))
	require.Equal(t, uint64(2), l.unstable.offset, "stale confirmation ignored")
	require.Equal(t, idsFrom(1, 1, 1, 2, 2), l.allEntries(), "unstable overrides stale storage")
	term, err := l.term(4)
	require.NoError(t, err)
	require.Equal(t, uint64(2), term)

	// write2 lands; its confirmation drops everything.
	require.NoError(t, ms.Append(write2))
	l.stableTo(entryID{2, 4})
	require.False(t, l.hasNextOrInProgressUnstableEnts())
	require.Equal(t, uint64(5), l.unstable.offset)
	require.Equal(t, idsFrom(1, 1, 1, 2, 2), l.allEntries())

	// That included 2/1, whose own confirmation was the stale one: writes
	// complete in order, so write2's completion implies write1's.
	require.Equal(t, entryID{2, 4}, l.lastEntryID())
}

func TestRaftLogRestore(t *testing.T) {
	l := newTestLog(t, 0, 0, []uint64{1, 1}, idsFrom(3, 1))
	l.commitTo(2)
	s := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 10, Term: 3, ConfState: pb.ConfState{Voters: []uint64{1}}}}
	l.restore(s)
	require.Equal(t, uint64(10), l.committed)
	require.Equal(t, uint64(11), l.firstIndex())
	require.Equal(t, uint64(10), l.lastIndex())
	require.Equal(t, entryID{3, 10}, l.lastEntryID())
	require.Equal(t, uint64(11), l.unstable.offset)
	require.True(t, l.hasNextUnstableSnapshot())
	require.Equal(t, &s, l.nextUnstableSnapshot())
	got, err := l.snapshot()
	require.NoError(t, err)
	require.Equal(t, s, got)
	_, err = l.slice(10, 11, noLimit)
	require.Equal(t, ErrCompacted, err)
	require.Empty(t, l.allEntries())

	l.acceptUnstable()
	require.False(t, l.hasNextUnstableSnapshot())
	l.stableSnapTo(10)
	require.Nil(t, l.unstable.snapshot)

	require.Panics(t, func() { l.restore(*testSnap(9, 3)) }, "would lower committed")
}

func TestRaftLogSnapshotFromStorage(t *testing.T) {
	ms := NewMemoryStorage()
	snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 5, Term: 2}}
	require.NoError(t, ms.ApplySnapshot(snap))
	l, err := newRaftLog(ms, discardLogger, 0)
	require.NoError(t, err)
	got, err := l.snapshot()
	require.NoError(t, err)
	require.Equal(t, snap, got)
	require.Equal(t, uint64(5), l.committed)
}

// TestRaftLogSlice reads ranges across the storage/unstable boundary: a
// storage with dummy 2/2 and entries 3..5 (terms 3), unstable 6..8 (terms 4).
func TestRaftLogSlice(t *testing.T) {
	l := newTestLog(t, 2, 2, []uint64{3, 3, 3}, idsFrom(6, 4, 4, 4))
	sz := uint64((&pb.Entry{Index: 3, Term: 3}).Size())
	for _, tt := range []struct {
		name    string
		lo, hi  uint64
		maxSize uint64
		want    []pb.Entry
		wantErr error
	}{
		{"compacted", 2, 4, noLimit, nil, ErrCompacted},
		{"beyond last", 7, 10, noLimit, nil, ErrUnavailable},
		{"empty", 4, 4, noLimit, nil, nil},
		{"empty at end", 9, 9, noLimit, nil, nil},
		{"storage only", 3, 6, noLimit, idsFrom(3, 3, 3, 3), nil},
		{"unstable only", 6, 9, noLimit, idsFrom(6, 4, 4, 4), nil},
		{"across", 4, 8, noLimit, idsFrom(4, 3, 3, 4, 4), nil},
		{"all", 3, 9, noLimit, idsFrom(3, 3, 3, 3, 4, 4, 4), nil},
		{"across, at least one", 5, 8, 0, idsFrom(5, 3), nil},
		{"across, storage part cut short", 3, 8, 2 * sz, idsFrom(3, 3, 3), nil},
		{"across, storage part exactly", 4, 8, 2 * sz, idsFrom(4, 3, 3), nil},
		{"across, into unstable", 4, 8, 3*sz + 1, idsFrom(4, 3, 3, 4), nil},
		{"across, everything fits exactly", 4, 8, 4 * sz, idsFrom(4, 3, 3, 4, 4), nil},
		{"unstable, limited", 6, 9, sz, idsFrom(6, 4), nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := l.slice(tt.lo, tt.hi, tt.maxSize)
			require.Equal(t, tt.wantErr, err)
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("lo > hi", func(t *testing.T) {
		_, err := l.slice(5, 4, noLimit)
		require.Error(t, err)
	})
	t.Run("entries", func(t *testing.T) {
		got, err := l.entries(5, noLimit)
		require.NoError(t, err)
		require.Equal(t, idsFrom(5, 3, 4, 4, 4), got)
		got, err = l.entries(9, noLimit)
		require.NoError(t, err)
		require.Empty(t, got)
		_, err = l.entries(2, noLimit)
		require.Equal(t, ErrCompacted, err)
	})
}

func TestRaftLogSliceStorageInconsistent(t *testing.T) {
	// The storage claims entries it does not return.
	l := newTestLog(t, 0, 0, []uint64{1, 1}, nil)
	l.storage = &shortStorage{l.storage.(*MemoryStorage)}
	_, err := l.slice(1, 3, noLimit)
	require.Error(t, err)
}

// shortStorage returns no entries at all, breaking the Storage contract.
type shortStorage struct{ *MemoryStorage }

func (s *shortStorage) Entries(lo, hi, maxSize uint64) ([]pb.Entry, error) { return nil, nil }

func TestRaftLogScan(t *testing.T) {
	l := newTestLog(t, 0, 0, []uint64{1, 1, 1, 1}, idsFrom(5, 2, 2, 2))
	sz := uint64((&pb.Entry{Index: 1, Term: 1}).Size())
	for _, pageSize := range []uint64{0, sz, 2 * sz, 3*sz - 1, 3 * sz, noLimit} {
		t.Run(fmt.Sprint(pageSize), func(t *testing.T) {
			var got []pb.Entry
			err := l.scan(2, 8, pageSize, func(page []pb.Entry) error {
				require.NotEmpty(t, page)
				require.True(t, len(page) == 1 || entsSize(page) <= pageSize)
				got = append(got, page...)
				return nil
			})
			require.NoError(t, err)
			require.Equal(t, idsFrom(2, 1, 1, 1, 2, 2, 2), got)
		})
	}
	stop := errors.New("stop")
	calls := 0
	err := l.scan(1, 8, sz, func([]pb.Entry) error {
		calls++
		if calls == 3 {
			return stop
		}
		return nil
	})
	require.Equal(t, stop, err)
	require.Equal(t, 3, calls)
	require.Equal(t, ErrCompacted, l.scan(0, 3, sz, func([]pb.Entry) error { return nil }))
}

func TestRaftLogString(t *testing.T) {
	l := newTestLog(t, 0, 0, []uint64{1}, idsFrom(2, 1))
	require.Equal(t,
		"first=1 last=2 committed=0 applying=0 applied=0 applyingBytes=0 unstable{snapshot=none offset=2 inProgress=2 len=1}",
		l.String())
}

// TestRaftLogSliceRandomized checks slice against a naive reference: the
// concatenation of the storage's entries and the unstable ones (the latter
// overriding), cut to the size limit entry by entry.
func TestRaftLogSliceRandomized(t *testing.T) {
	for seed := uint64(1); seed <= 200; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		dummy := rng.Uint64N(5)
		nStable := rng.IntN(6)
		terms := make([]uint64, nStable)
		for i := range terms {
			terms[i] = 1
		}
		ms := newTestMemoryStorage(dummy, 1, terms...)
		for i := 1; i < len(ms.ents); i++ {
			ms.ents[i].Data = make([]byte, rng.IntN(10))
		}
		l, err := newRaftLog(ms, discardLogger, 0)
		require.NoError(t, err)

		// Unstable entries start anywhere after the first index (replacing
		// a stable suffix) up to the end of the stable log.
		from := dummy + 1 + rng.Uint64N(uint64(nStable)+1)
		nUnstable := rng.IntN(6)
		var uents []pb.Entry
		for i := 0; i < nUnstable; i++ {
			uents = append(uents, pb.Entry{Index: from + uint64(i), Term: 2, Data: make([]byte, rng.IntN(10))})
		}
		l.append(uents...)

		var ref []pb.Entry // the log from firstIndex on
		for _, e := range ms.ents[1:] {
			if e.Index < from || len(uents) == 0 {
				ref = append(ref, e)
			}
		}
		ref = append(ref, uents...)
		first := dummy + 1
		last := first + uint64(len(ref)) - 1
		require.Equal(t, last, l.lastIndex(), "seed %d", seed)

		for q := 0; q < 30; q++ {
			lo := dummy + rng.Uint64N(uint64(len(ref))+2)
			hi := lo + rng.Uint64N(uint64(len(ref))+3)
			maxSize := rng.Uint64N(80)
			got, err := l.slice(lo, hi, maxSize)
			switch {
			case lo < first:
				require.Equal(t, ErrCompacted, err)
				continue
			case hi > last+1:
				require.Equal(t, ErrUnavailable, err)
				continue
			}
			require.NoError(t, err)
			var want []pb.Entry
			var size uint64
			for _, e := range ref[lo-first : hi-first] {
				size += uint64(e.Size())
				if len(want) > 0 && size > maxSize {
					break
				}
				want = append(want, e)
			}
			require.Equal(t, want, got, "seed %d: slice(%d, %d, %d)", seed, lo, hi, maxSize)
		}
	}
}

func TestRaftLogTermNeverPanics(t *testing.T) {
	fs := &failingStorage{MemoryStorage: newTestMemoryStorage(3, 3, 4)}
	l, err := newRaftLog(fs, discardLogger, 0)
	require.NoError(t, err)
	fs.failFirst, fs.failLast, fs.failTerm = true, true, true
	require.NotPanics(t, func() {
		_, err = l.term(4)
	})
	require.ErrorIs(t, err, errBroken)
	require.NotPanics(t, func() {
		_, err = l.slice(4, 5, noLimit)
	})
	require.ErrorIs(t, err, errBroken)
	// The last index is tracked, not asked for: a storage failing to
	// report it does not matter.
	require.Equal(t, uint64(4), l.lastIndex())
	require.Panics(t, func() { l.firstIndex() }, "documented: the storage broke its contract")
}

// TestRaftLogTracksStableLast: the log knows the storage's last index
// without asking it, through truncations and snapshots.
func TestRaftLogTracksStableLast(t *testing.T) {
	ms := newTestMemoryStorage(3, 3, 4, 5) // entries 4, 5 after a snapshot at 3
	fs := &failingStorage{MemoryStorage: ms}
	l, err := newRaftLog(fs, discardLogger, 0)
	require.NoError(t, err)
	fs.failLast = true // from now on, asking would fail
	require.Equal(t, uint64(5), l.lastIndex())

	// A truncation to 4 (term 4), written and confirmed.
	l.append(pb.Entry{Index: 5, Term: 4})
	ents := l.nextUnstableEnts()
	l.acceptUnstable()
	require.NoError(t, ms.Append(ents))
	l.stableTo(entryID{term: 4, index: 5})
	require.Equal(t, uint64(5), l.lastIndex())
	got, err := l.term(5)
	require.NoError(t, err)
	require.Equal(t, uint64(4), got)

	// A snapshot at 9 replaces everything.
	snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 9, Term: 5}}
	l.restore(snap)
	_, err = l.term(5)
	require.ErrorIs(t, err, ErrCompacted, "the storage's old entries are covered by the unstable snapshot")
	l.acceptUnstable()
	require.NoError(t, ms.ApplySnapshot(snap))
	l.stableSnapTo(9)
	require.Equal(t, uint64(9), l.lastIndex())
	got, err = l.term(9)
	require.NoError(t, err)
	require.Equal(t, uint64(5), got)
}
