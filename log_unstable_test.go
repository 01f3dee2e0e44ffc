package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

func testSnap(index, term uint64) *pb.Snapshot {
	return &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: index, Term: term}}
}

// newTestUnstable builds an unstable holding snap (may be nil) and entries
// from offset with the given terms, with the first inProgress entries (and
// the snapshot, if snapInProgress) in progress.
func newTestUnstable(snap *pb.Snapshot, snapInProgress bool, offset uint64, inProgress int, terms ...uint64) unstable {
	return unstable{
		snapshot:           snap,
		snapshotInProgress: snapInProgress,
		entries:            idsFrom(offset, terms...),
		offset:             offset,
		offsetInProgress:   offset + uint64(inProgress),
		logger:             discardLogger,
	}
}

// checkUnstableInvariants asserts the invariants written on unstable's fields.
func checkUnstableInvariants(t *testing.T, u *unstable) {
	t.Helper()
	if u.snapshot != nil {
		require.Equal(t, u.snapshot.Metadata.Index+1, u.offset, "offset follows the snapshot")
	} else {
		require.False(t, u.snapshotInProgress, "snapshotInProgress without snapshot")
	}
	for i := range u.entries {
		require.Equal(t, u.offset+uint64(i), u.entries[i].Index)
	}
	require.LessOrEqual(t, u.offset, u.offsetInProgress)
	require.LessOrEqual(t, u.offsetInProgress, u.offset+uint64(len(u.entries)))
}

func TestUnstableMaybeIndexesAndTerm(t *testing.T) {
	for _, tt := range []struct {
		name      string
		u         unstable
		wantFirst uint64 // 0: unknown
		wantLast  uint64 // 0: unknown
		// terms of indexes 3..7; 0: unknown
		wantTerms [5]uint64
	}{
		{"empty", newTestUnstable(nil, false, 5, 0), 0, 0, [5]uint64{}},
		{"entries only", newTestUnstable(nil, false, 5, 0, 1, 2), 0, 6, [5]uint64{0, 0, 1, 2, 0}},
		{"snapshot only", newTestUnstable(testSnap(4, 1), false, 5, 0), 5, 4, [5]uint64{0, 1, 0, 0, 0}},
		{"snapshot and entries", newTestUnstable(testSnap(4, 1), false, 5, 0, 1, 2), 5, 6, [5]uint64{0, 1, 1, 2, 0}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			first, ok := tt.u.maybeFirstIndex()
			require.Equal(t, tt.wantFirst != 0, ok)
			require.Equal(t, tt.wantFirst, first)
			last, ok := tt.u.maybeLastIndex()
			require.Equal(t, tt.wantLast != 0, ok)
			require.Equal(t, tt.wantLast, last)
			for i, want := range tt.wantTerms {
				term, ok := tt.u.maybeTerm(uint64(i) + 3)
				require.Equal(t, want != 0, ok, "index %d", i+3)
				require.Equal(t, want, term, "index %d", i+3)
			}
		})
	}
}

func TestUnstableNextAndAccept(t *testing.T) {
	u := newTestUnstable(testSnap(4, 1), false, 5, 0, 1, 1)
	require.Equal(t, testSnap(4, 1), u.nextSnapshot())
	require.Equal(t, idsFrom(5, 1, 1), u.nextEntries())
	next := u.nextEntries()
	require.Equal(t, len(next), cap(next), "capped")

	u.acceptInProgress()
	checkUnstableInvariants(t, &u)
	require.Nil(t, u.nextSnapshot())
	require.Nil(t, u.nextEntries())
	require.Equal(t, uint64(7), u.offsetInProgress)

	// New entries are handed out; the in-progress ones are not again.
	u.truncateAndAppend(idsFrom(7, 2))
	require.Equal(t, idsFrom(7, 2), u.nextEntries())
	u.acceptInProgress()
	require.Nil(t, u.nextEntries())
	checkUnstableInvariants(t, &u)

	// acceptInProgress with nothing is a no-op.
	e := newTestUnstable(nil, false, 3, 0)
	e.acceptInProgress()
	require.Equal(t, uint64(3), e.offsetInProgress)
	require.False(t, e.snapshotInProgress)
}

func TestUnstableStableTo(t *testing.T) {
	for _, tt := range []struct {
		name           string
		u              unstable
		id             entryID
		wantOffset     uint64
		wantInProgress uint64
		wantLen        int
	}{
		{"empty", newTestUnstable(nil, false, 5, 0), entryID{1, 4}, 5, 5, 0},
		{"all", newTestUnstable(nil, false, 5, 1, 1), entryID{1, 5}, 6, 6, 0},
		{"prefix, all in progress", newTestUnstable(nil, false, 5, 2, 1, 1), entryID{1, 5}, 6, 7, 1},
		{"prefix, none in progress", newTestUnstable(nil, false, 5, 0, 1, 1), entryID{1, 5}, 6, 6, 1},
		{"term mismatch: stale", newTestUnstable(nil, false, 6, 1, 2), entryID{1, 6}, 6, 7, 1},
		{"index beyond: stale", newTestUnstable(nil, false, 5, 1, 1), entryID{1, 6}, 5, 6, 1},
		{"index before: already stable", newTestUnstable(nil, false, 5, 1, 1), entryID{1, 4}, 5, 6, 1},
		{"snapshot index: ignored", newTestUnstable(testSnap(4, 1), true, 5, 1, 1), entryID{1, 4}, 5, 6, 1},
		{"snapshot in progress: confirmed too", newTestUnstable(testSnap(4, 1), true, 5, 2, 1, 1), entryID{1, 5}, 6, 7, 1},
		{"snapshot in progress, stale entry", newTestUnstable(testSnap(4, 1), true, 5, 2, 1, 1), entryID{2, 5}, 5, 7, 2},
		{"snapshot not handed out: stale", newTestUnstable(testSnap(4, 1), false, 5, 0, 1, 1), entryID{1, 5}, 5, 5, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.u
			u.stableTo(tt.id)
			checkUnstableInvariants(t, &u)
			require.Equal(t, tt.wantOffset, u.offset)
			require.Equal(t, tt.wantInProgress, u.offsetInProgress)
			require.Len(t, u.entries, tt.wantLen)
		})
	}
	t.Run("snapshot and entries confirmed in either order", func(t *testing.T) {
		for _, snapFirst := range []bool{true, false} {
			u := newTestUnstable(testSnap(4, 1), false, 5, 0, 1, 1)
			u.acceptInProgress()
			if snapFirst {
				u.stableSnapTo(4)
			}
			u.stableTo(entryID{1, 6})
			u.stableSnapTo(4)
			checkUnstableInvariants(t, &u)
			require.Nil(t, u.snapshot)
			require.Empty(t, u.entries)
			require.Equal(t, uint64(7), u.offset)
		}
	})
}

// TestUnstableStaleStableToAfterTruncation follows a write confirmation
// that arrives after the entries it confirms were replaced:
//
//  1. entries 5..7 at term 1 are handed out for writing;
//  2. a new leader's entries 6..7 at term 2 replace 6..7;
//  3. the write of step 1 completes: it confirms 7@1, which is gone.
//
// Nothing may be dropped: 6@2 and 7@2 are not persisted. Entry 5@1 was
// written by step 1, and the confirmation for 5@1 alone is honoured.
func TestUnstableStaleStableToAfterTruncation(t *testing.T) {
	u := newTestUnstable(nil, false, 5, 0, 1, 1, 1)
	u.acceptInProgress()
	u.truncateAndAppend(idsFrom(6, 2, 2))
	checkUnstableInvariants(t, &u)
	require.Equal(t, uint64(6), u.offsetInProgress, "the in-progress marker moved back")
	require.Equal(t, idsFrom(6, 2, 2), u.nextEntries())

	u.stableTo(entryID{term: 1, index: 7})
	require.Equal(t, uint64(5), u.offset, "stale confirmation ignored")
	require.Len(t, u.entries, 3)
	u.stableTo(entryID{term: 1, index: 6})
	require.Equal(t, uint64(5), u.offset, "stale confirmation ignored")

	u.stableTo(entryID{term: 1, index: 5})
	require.Equal(t, uint64(6), u.offset)
	require.Equal(t, idsFrom(6, 2, 2), u.entries)
	checkUnstableInvariants(t, &u)
}

func TestUnstableShrinksArray(t *testing.T) {
	u := newTestUnstable(nil, false, 1, 0)
	u.entries = make([]pb.Entry, 0, 1000) // as left by a burst of appends
	u.entries = append(u.entries, idsFrom(1, make([]uint64, 100)...)...)

	u.stableTo(entryID{0, 90})
	require.Len(t, u.entries, 10)
	require.Equal(t, 10, cap(u.entries), "a mostly unused array is released")

	u.stableTo(entryID{0, 92})
	require.Len(t, u.entries, 8)
	require.Equal(t, 8, cap(u.entries), "no copy while the array is mostly in use")

	u.stableTo(entryID{0, 100})
	require.Nil(t, u.entries, "an empty slice drops its array")
}

func TestUnstableStableSnapTo(t *testing.T) {
	u := newTestUnstable(testSnap(4, 1), true, 5, 0)
	u.stableSnapTo(3)
	require.NotNil(t, u.snapshot, "other index ignored")
	u.stableSnapTo(4)
	require.Nil(t, u.snapshot)
	require.False(t, u.snapshotInProgress)
	checkUnstableInvariants(t, &u)

	// Without snapshot: a no-op.
	u.stableSnapTo(4)
	require.Nil(t, u.snapshot)
}

func TestUnstableRestore(t *testing.T) {
	u := newTestUnstable(testSnap(4, 1), true, 5, 1, 1, 1)
	s := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 9, Term: 3}}
	u.restore(s)
	checkUnstableInvariants(t, &u)
	require.Equal(t, uint64(10), u.offset)
	require.Equal(t, uint64(10), u.offsetInProgress)
	require.Empty(t, u.entries)
	require.Equal(t, &s, u.snapshot)
	require.False(t, u.snapshotInProgress)
	require.Equal(t, &s, u.nextSnapshot())
}

func TestUnstableTruncateAndAppend(t *testing.T) {
	for _, tt := range []struct {
		name           string
		u              unstable
		ents           []pb.Entry
		wantOffset     uint64
		wantInProgress uint64
		wantEntries    []pb.Entry
	}{
		{"append", newTestUnstable(nil, false, 5, 0, 1), idsFrom(6, 1, 1),
			5, 5, idsFrom(5, 1, 1, 1)},
		{"append, in progress kept", newTestUnstable(nil, false, 5, 1, 1), idsFrom(6, 1, 1),
			5, 6, idsFrom(5, 1, 1, 1)},
		{"append to empty", newTestUnstable(nil, false, 5, 0), idsFrom(5, 1),
			5, 5, idsFrom(5, 1)},
		{"replace all at offset", newTestUnstable(nil, false, 5, 1, 1), idsFrom(5, 2, 2),
			5, 5, idsFrom(5, 2, 2)},
		{"replace all and stable suffix", newTestUnstable(nil, false, 5, 1, 1), idsFrom(4, 2, 2),
			4, 4, idsFrom(4, 2, 2)},
		{"truncate after in progress", newTestUnstable(nil, false, 5, 1, 1, 1, 1), idsFrom(6, 2),
			5, 6, idsFrom(5, 1, 2)},
		{"truncate into in progress", newTestUnstable(nil, false, 5, 3, 1, 1, 1), idsFrom(6, 2),
			5, 6, idsFrom(5, 1, 2)},
		{"truncate the last", newTestUnstable(nil, false, 5, 0, 1, 1, 1), idsFrom(7, 2, 2),
			5, 5, idsFrom(5, 1, 1, 2, 2)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := tt.u
			u.truncateAndAppend(tt.ents)
			checkUnstableInvariants(t, &u)
			require.Equal(t, tt.wantOffset, u.offset)
			require.Equal(t, tt.wantInProgress, u.offsetInProgress)
			require.Equal(t, tt.wantEntries, u.entries)
		})
	}
	t.Run("gap panics", func(t *testing.T) {
		u := newTestUnstable(nil, false, 5, 0, 1)
		require.Panics(t, func() { u.truncateAndAppend(idsFrom(7, 1)) })
	})
	t.Run("into the snapshot panics", func(t *testing.T) {
		u := newTestUnstable(testSnap(4, 1), false, 5, 0, 1)
		require.Panics(t, func() { u.truncateAndAppend(idsFrom(4, 2)) })
	})
}

// TestUnstableTruncateDoesNotAlias checks that entries handed out stay as
// they were when later truncated and replaced.
func TestUnstableTruncateDoesNotAlias(t *testing.T) {
	u := newTestUnstable(nil, false, 5, 0)
	ents := make([]pb.Entry, 0, 10) // spare capacity tempts in-place writes
	u.truncateAndAppend(append(ents, idsFrom(5, 1, 1, 1)...))
	held := u.nextEntries()
	u.acceptInProgress()

	u.truncateAndAppend(idsFrom(6, 2, 2, 2))
	require.Equal(t, idsFrom(5, 1, 1, 1), held, "handed-out entries changed")
	u.truncateAndAppend(idsFrom(9, 2))
	require.Equal(t, idsFrom(5, 1, 1, 1), held, "handed-out entries changed")

	// Taking ownership of a caller's slice must not write into its spare
	// capacity later.
	caller := make([]pb.Entry, 0, 10)
	caller = append(caller, idsFrom(5, 3)...)
	u2 := newTestUnstable(nil, false, 5, 0, 1)
	u2.truncateAndAppend(caller)
	u2.truncateAndAppend(idsFrom(6, 3))
	require.Equal(t, pb.Entry{}, caller[:2][1], "wrote into the caller's array")
}

func TestUnstableSlice(t *testing.T) {
	u := newTestUnstable(nil, false, 5, 0, 1, 2, 3)
	require.Equal(t, idsFrom(6, 2, 3), u.slice(6, 8))
	got := u.slice(5, 6)
	require.Equal(t, len(got), cap(got))
	require.Empty(t, u.slice(6, 6))
	for _, r := range [][2]uint64{{4, 6}, {6, 9}, {7, 6}} {
		t.Run(fmt.Sprint(r), func(t *testing.T) {
			require.Panics(t, func() { u.slice(r[0], r[1]) })
		})
	}
}

func TestUnstableGrowsForBurstOfAppends(t *testing.T) {
	for _, tt := range []struct {
		name         string
		expectedLast uint64
		wantCap      int
	}{
		{"no hint: doubles", 0, 2 * 200},
		{"hint within reach", 700, 700},
		{"distant hint: at most four times", 1 << 40, 4 * 200},
	} {
		t.Run(tt.name, func(t *testing.T) {
			u := newTestUnstable(nil, false, 1, 0)
			u.expectedLast = tt.expectedLast
			first := idsFrom(1, make([]uint64, 100)...)
			u.truncateAndAppend(first)
			handedOut := u.nextEntries()
			u.acceptInProgress()
			u.truncateAndAppend(idsFrom(101, make([]uint64, 100)...))
			require.Equal(t, tt.wantCap, cap(u.entries))
			require.Len(t, u.entries, 200)
			require.Equal(t, len(handedOut), cap(handedOut), "handed out slices stay capped")
			require.Equal(t, idsFrom(1, make([]uint64, 100)...), first, "the caller's array is not written")
			checkUnstableInvariants(t, &u)
		})
	}
}
