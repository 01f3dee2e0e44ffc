package raft

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// idsFrom builds data-less entries with indexes starting at first and the
// given terms.
func idsFrom(first uint64, terms ...uint64) []pb.Entry {
	ents := make([]pb.Entry, len(terms))
	for i, t := range terms {
		ents[i] = pb.Entry{Index: first + uint64(i), Term: t}
	}
	return ents
}

// newTestMemoryStorage returns a storage whose dummy entry is at
// (dummyIndex, dummyTerm), holding entries after it with the given terms.
func newTestMemoryStorage(dummyIndex, dummyTerm uint64, terms ...uint64) *MemoryStorage {
	ms := &MemoryStorage{ents: append([]pb.Entry{{Index: dummyIndex, Term: dummyTerm}}, idsFrom(dummyIndex+1, terms...)...)}
	ms.snapshot = &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: dummyIndex, Term: dummyTerm}}
	return ms
}

func TestMemoryStorageEmpty(t *testing.T) {
	ms := NewMemoryStorage()
	first, err := ms.FirstIndex()
	require.NoError(t, err)
	require.Equal(t, uint64(1), first)
	last, err := ms.LastIndex()
	require.NoError(t, err)
	require.Equal(t, uint64(0), last)
	term, err := ms.Term(0)
	require.NoError(t, err)
	require.Zero(t, term)
	_, err = ms.Term(1)
	require.ErrorIs(t, err, ErrUnavailable)
	_, err = ms.Entries(1, 2, noLimit)
	require.ErrorIs(t, err, ErrUnavailable)
	ents, err := ms.Entries(1, 1, noLimit)
	require.NoError(t, err)
	require.Empty(t, ents)
	hs, cs, err := ms.InitialState()
	require.NoError(t, err)
	require.True(t, IsEmptyHardState(hs))
	require.Equal(t, pb.ConfState{}, cs)
	snap, err := ms.Snapshot()
	require.NoError(t, err)
	require.True(t, IsEmptySnap(snap))
}

func TestMemoryStorageTerm(t *testing.T) {
	// Dummy at 3/3, entries 4/4 and 5/5.
	for _, tt := range []struct {
		i       uint64
		wantErr error
		want    uint64
	}{
		{2, ErrCompacted, 0},
		{3, nil, 3},
		{4, nil, 4},
		{5, nil, 5},
		{6, ErrUnavailable, 0},
	} {
		t.Run(fmt.Sprint(tt.i), func(t *testing.T) {
			ms := newTestMemoryStorage(3, 3, 4, 5)
			term, err := ms.Term(tt.i)
			require.Equal(t, tt.wantErr, err)
			require.Equal(t, tt.want, term)
		})
	}
}

func TestMemoryStorageEntries(t *testing.T) {
	// Dummy at 3/3, entries 4..6 with terms 4, 5, 6. All have the same size.
	sz := uint64((&pb.Entry{Index: 4, Term: 4}).Size())
	for _, tt := range []struct {
		name    string
		lo, hi  uint64
		maxSize uint64
		wantErr error
		want    []pb.Entry
	}{
		{"compacted dummy", 2, 6, noLimit, ErrCompacted, nil},
		{"compacted lo", 3, 4, noLimit, ErrCompacted, nil},
		{"beyond last", 4, 8, noLimit, ErrUnavailable, nil},
		{"one", 4, 5, noLimit, nil, idsFrom(4, 4)},
		{"all", 4, 7, noLimit, nil, idsFrom(4, 4, 5, 6)},
		{"empty range", 5, 5, noLimit, nil, nil},
		{"at least one even if too large", 4, 7, 0, nil, idsFrom(4, 4)},
		{"one fits exactly", 4, 7, sz, nil, idsFrom(4, 4)},
		{"two fit", 4, 7, 2*sz + 1, nil, idsFrom(4, 4, 5)},
		{"three fit exactly", 4, 7, 3 * sz, nil, idsFrom(4, 4, 5, 6)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ms := newTestMemoryStorage(3, 3, 4, 5, 6)
			ents, err := ms.Entries(tt.lo, tt.hi, tt.maxSize)
			require.Equal(t, tt.wantErr, err)
			require.Equal(t, tt.want, ents)
		})
	}
	t.Run("lo > hi", func(t *testing.T) {
		ms := newTestMemoryStorage(3, 3, 4, 5, 6)
		_, err := ms.Entries(6, 5, noLimit)
		require.Error(t, err)
	})
}

func TestMemoryStorageIndexes(t *testing.T) {
	ms := newTestMemoryStorage(3, 3, 4, 5)
	first, err := ms.FirstIndex()
	require.NoError(t, err)
	require.Equal(t, uint64(4), first)
	last, err := ms.LastIndex()
	require.NoError(t, err)
	require.Equal(t, uint64(5), last)

	require.NoError(t, ms.Append(idsFrom(6, 5)))
	last, _ = ms.LastIndex()
	require.Equal(t, uint64(6), last)

	require.NoError(t, ms.Compact(4))
	first, _ = ms.FirstIndex()
	require.Equal(t, uint64(5), first)
}

func TestMemoryStorageCompact(t *testing.T) {
	for _, tt := range []struct {
		i         uint64
		wantErr   error
		wantIndex uint64 // of the dummy entry afterwards
		wantTerm  uint64
		wantLen   int
	}{
		{2, ErrCompacted, 3, 3, 3},
		{3, ErrCompacted, 3, 3, 3},
		{4, nil, 4, 4, 2},
		{5, nil, 5, 5, 1},
	} {
		t.Run(fmt.Sprint(tt.i), func(t *testing.T) {
			ms := newTestMemoryStorage(3, 3, 4, 5)
			err := ms.Compact(tt.i)
			require.Equal(t, tt.wantErr, err)
			require.Equal(t, tt.wantIndex, ms.ents[0].Index)
			require.Equal(t, tt.wantTerm, ms.ents[0].Term)
			require.Len(t, ms.ents, tt.wantLen)
		})
	}
	t.Run("beyond last", func(t *testing.T) {
		ms := newTestMemoryStorage(3, 3, 4, 5)
		require.ErrorIs(t, ms.Compact(6), ErrUnavailable)
		require.Len(t, ms.ents, 3)
	})
	t.Run("releases memory and keeps no data in the dummy", func(t *testing.T) {
		ms := NewMemoryStorage()
		ents := idsFrom(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)
		for i := range ents {
			ents[i].Data = []byte("payload")
		}
		require.NoError(t, ms.Append(ents))
		require.NoError(t, ms.Compact(9))
		require.Len(t, ms.ents, 2) // the dummy at 9 and entry 10
		require.Equal(t, 2, cap(ms.ents))
		require.Nil(t, ms.ents[0].Data)
		require.Equal(t, []byte("payload"), ms.ents[1].Data)
	})
}

func TestMemoryStorageCreateSnapshot(t *testing.T) {
	cs := &pb.ConfState{Voters: []uint64{1, 2, 3}}
	data := []byte("data")
	for _, tt := range []struct {
		i        uint64
		wantErr  error
		wantSnap pb.Snapshot
	}{
		{4, nil, pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{Index: 4, Term: 4, ConfState: *cs}}},
		{5, nil, pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{Index: 5, Term: 5, ConfState: *cs}}},
		{3, ErrSnapOutOfDate, pb.Snapshot{}},
		{2, ErrSnapOutOfDate, pb.Snapshot{}},
	} {
		t.Run(fmt.Sprint(tt.i), func(t *testing.T) {
			ms := newTestMemoryStorage(3, 3, 4, 5)
			snap, err := ms.CreateSnapshot(tt.i, cs, data)
			require.Equal(t, tt.wantErr, err)
			require.Equal(t, tt.wantSnap, snap)
		})
	}
	t.Run("beyond last", func(t *testing.T) {
		ms := newTestMemoryStorage(3, 3, 4, 5)
		_, err := ms.CreateSnapshot(6, cs, data)
		require.Error(t, err)
	})
	t.Run("compacted without snapshot", func(t *testing.T) {
		ms := newTestMemoryStorage(3, 3, 4, 5, 6)
		require.NoError(t, ms.Compact(5))
		_, err := ms.CreateSnapshot(4, cs, data)
		require.Equal(t, ErrCompacted, err)
		snap, err := ms.CreateSnapshot(5, nil, data)
		require.NoError(t, err)
		// A nil ConfState keeps the previous snapshot's (here empty).
		require.Equal(t, pb.SnapshotMetadata{Index: 5, Term: 5}, snap.Metadata)
	})
}

func TestMemoryStorageAppend(t *testing.T) {
	for _, tt := range []struct {
		name    string
		ents    []pb.Entry
		wantErr bool
		want    []pb.Entry // including the dummy
	}{
		{"nothing", nil, false, idsFrom(3, 3, 4, 5)},
		{"same entries", idsFrom(3, 3, 4, 5), false, idsFrom(3, 3, 4, 5)},
		{"replace a suffix", idsFrom(3, 3, 6, 6), false, idsFrom(3, 3, 6, 6)},
		{"extend", idsFrom(3, 3, 4, 5, 5), false, idsFrom(3, 3, 4, 5, 5)},
		{"all compacted", idsFrom(2, 3, 3), false, idsFrom(3, 3, 4, 5)},
		{"compacted prefix ignored", idsFrom(2, 3, 3, 4, 5), false, idsFrom(3, 3, 4, 5)},
		{"compacted prefix then conflict", idsFrom(2, 3, 3, 4, 6), false, idsFrom(3, 3, 4, 6)},
		{"truncate at first", idsFrom(4, 5), false, idsFrom(3, 3, 5)},
		{"plain append", idsFrom(6, 5), false, idsFrom(3, 3, 4, 5, 5)},
		{"gap", idsFrom(7, 5), true, idsFrom(3, 3, 4, 5)},
		{"not contiguous", []pb.Entry{{Index: 6, Term: 5}, {Index: 8, Term: 5}}, true, idsFrom(3, 3, 4, 5)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ms := newTestMemoryStorage(3, 3, 4, 5)
			err := ms.Append(tt.ents)
			if tt.wantErr {
				require.Error(t, err)
			} else {
				require.NoError(t, err)
			}
			require.Equal(t, tt.want, ms.ents)
		})
	}
}

func TestMemoryStorageApplySnapshot(t *testing.T) {
	cs := pb.ConfState{Voters: []uint64{1, 2, 3}}
	ms := NewMemoryStorage()
	require.NoError(t, ms.Append(idsFrom(1, 1, 1, 2)))

	snap := pb.Snapshot{Data: []byte("s"), Metadata: pb.SnapshotMetadata{Index: 4, Term: 4, ConfState: cs}}
	require.NoError(t, ms.ApplySnapshot(snap))
	first, _ := ms.FirstIndex()
	last, _ := ms.LastIndex()
	require.Equal(t, uint64(5), first)
	require.Equal(t, uint64(4), last)
	term, err := ms.Term(4)
	require.NoError(t, err)
	require.Equal(t, uint64(4), term)
	_, gotCS, _ := ms.InitialState()
	require.Equal(t, cs, gotCS)
	got, _ := ms.Snapshot()
	require.Equal(t, snap, got)

	// Not newer: rejected, nothing changes.
	older := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 3, Term: 3}}
	require.Equal(t, ErrSnapOutOfDate, ms.ApplySnapshot(older))
	same := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 4, Term: 4}}
	require.Equal(t, ErrSnapOutOfDate, ms.ApplySnapshot(same))
	got, _ = ms.Snapshot()
	require.Equal(t, snap, got)
}

func TestMemoryStorageSetHardState(t *testing.T) {
	ms := NewMemoryStorage()
	hs := pb.HardState{Term: 3, Vote: 2, Commit: 1}
	require.NoError(t, ms.SetHardState(hs))
	got, _, err := ms.InitialState()
	require.NoError(t, err)
	require.Equal(t, hs, got)
}

// TestMemoryStorageNoAliasing checks that what Entries returned is not
// changed by later writes, whether they append or truncate.
func TestMemoryStorageNoAliasing(t *testing.T) {
	ms := NewMemoryStorage()
	ents := idsFrom(1, 1, 1, 1)
	ents = append(make([]pb.Entry, 0, 100), ents...) // spare capacity
	require.NoError(t, ms.Append(ents))

	held, err := ms.Entries(1, 3, noLimit)
	require.NoError(t, err)
	require.Equal(t, len(held), cap(held))
	snapshot := append([]pb.Entry(nil), held...)

	// Appending would write past len(held) in the old array if it were not capped.
	held2, err := ms.Entries(1, 4, noLimit)
	require.NoError(t, err)
	_ = append(held2, pb.Entry{Index: 99, Term: 99}) // the caller appends to its copy
	require.NoError(t, ms.Append(idsFrom(4, 1)))

	// Truncating at index 2 must not change held[1].
	require.NoError(t, ms.Append(idsFrom(2, 2, 2)))
	require.Equal(t, snapshot, held)
	require.Equal(t, idsFrom(1, 1, 1, 1), held2)
	got, err := ms.Entries(1, 4, noLimit)
	require.NoError(t, err)
	require.Equal(t, idsFrom(1, 1, 2, 2), got)
}

// TestMemoryStorageConcurrent exercises every method from several
// goroutines; run with -race.
func TestMemoryStorageConcurrent(t *testing.T) {
	ms := NewMemoryStorage()
	const writers, readers, rounds = 2, 4, 300
	var wg sync.WaitGroup
	var writeMu sync.Mutex // writers append in turn so the log stays contiguous
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				writeMu.Lock()
				last, _ := ms.LastIndex()
				_ = ms.Append([]pb.Entry{{Index: last + 1, Term: 1, Data: []byte{byte(w)}}})
				if r%10 == 9 {
					_, _ = ms.CreateSnapshot(last, &pb.ConfState{Voters: []uint64{1}}, nil)
					_ = ms.Compact(last - 5)
				}
				_ = ms.SetHardState(pb.HardState{Term: 1, Commit: last})
				writeMu.Unlock()
			}
		}(w)
	}
	for r := 0; r < readers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < rounds; i++ {
				first, _ := ms.FirstIndex()
				last, _ := ms.LastIndex()
				if ents, err := ms.Entries(first, last+1, noLimit); err == nil {
					for j := range ents {
						_ = ents[j].Data // read what we hold while writers run
					}
				}
				_, _ = ms.Term(last)
				_, _ = ms.Snapshot()
				_, _, _ = ms.InitialState()
			}
		}()
	}
	wg.Wait()
	last, _ := ms.LastIndex()
	require.Equal(t, uint64(writers*rounds), last)
}

// TestMemoryStorageRandomized checks Append, Compact, Entries and Term
// against a naive reference: a map from index to entry plus the compaction
// point.
func TestMemoryStorageRandomized(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0xC0FFEE))
			ms := NewMemoryStorage()
			ref := map[uint64]pb.Entry{0: {}}
			var compacted, last, term uint64 // compacted: index of the dummy

			for step := 0; step < 500; step++ {
				switch op := rng.IntN(10); {
				case op < 5: // append, possibly overlapping or with a gap
					from := compacted + 1 + rng.Uint64N(last-compacted+2) // may be last+2: a gap
					if rng.IntN(4) == 0 && from > 1 {
						from -= min(from-1, rng.Uint64N(3)) // may start in the compacted part
					}
					n := 1 + rng.IntN(5)
					if rng.IntN(3) == 0 {
						term++
					}
					ents := make([]pb.Entry, n)
					for i := range ents {
						ents[i] = pb.Entry{Index: from + uint64(i), Term: term, Data: make([]byte, rng.IntN(8))}
					}
					err := ms.Append(ents)
					if from > last+1 {
						require.Error(t, err, "gap")
						continue
					}
					require.NoError(t, err)
					end := from + uint64(n) - 1
					if end <= compacted {
						continue
					}
					for i := max(from, compacted+1); i <= last; i++ {
						delete(ref, i) // the truncated suffix
					}
					for _, e := range ents {
						if e.Index > compacted {
							ref[e.Index] = e
						}
					}
					last = end
				case op < 7: // compact
					ci := rng.Uint64N(last + 2)
					err := ms.Compact(ci)
					switch {
					case ci <= compacted:
						require.Equal(t, ErrCompacted, err)
					case ci > last:
						require.Error(t, err)
					default:
						require.NoError(t, err)
						for i := compacted; i < ci; i++ {
							delete(ref, i)
						}
						e := ref[ci]
						ref[ci] = pb.Entry{Index: e.Index, Term: e.Term}
						compacted = ci
					}
				default: // read
					lo := rng.Uint64N(last + 3)
					hi := lo + rng.Uint64N(last+3-lo)
					maxSize := rng.Uint64N(60)
					ents, err := ms.Entries(lo, hi, maxSize)
					switch {
					case lo <= compacted:
						require.Equal(t, ErrCompacted, err)
					case hi > last+1:
						require.Equal(t, ErrUnavailable, err)
					default:
						require.NoError(t, err)
						var want []pb.Entry
						var size uint64
						for i := lo; i < hi; i++ {
							e := ref[i]
							size += uint64(e.Size())
							if len(want) > 0 && size > maxSize {
								break
							}
							want = append(want, e)
						}
						require.Equal(t, want, ents, "Entries(%d, %d, %d)", lo, hi, maxSize)
					}
					i := rng.Uint64N(last + 3)
					got, err := ms.Term(i)
					switch {
					case i < compacted:
						require.Equal(t, ErrCompacted, err)
					case i > last:
						require.Equal(t, ErrUnavailable, err)
					default:
						require.NoError(t, err)
						require.Equal(t, ref[i].Term, got, "Term(%d)", i)
					}
				}
				first, _ := ms.FirstIndex()
				gotLast, _ := ms.LastIndex()
				require.Equal(t, compacted+1, first)
				require.Equal(t, last, gotLast)
				require.Len(t, ref, int(last-compacted+1))
			}
		})
	}
}

func TestMemoryStorageRegrowsAfterCompact(t *testing.T) {
	ms := NewMemoryStorage()
	for i := uint64(1); i <= 100; i++ {
		require.NoError(t, ms.Append(idsFrom(i, 1)))
	}
	held, err := ms.Entries(91, 101, noLimit)
	require.NoError(t, err)
	require.NoError(t, ms.Compact(90))
	require.Equal(t, 11, cap(ms.ents), "compaction keeps no spare room")
	require.NoError(t, ms.Append(idsFrom(101, 2)))
	require.GreaterOrEqual(t, cap(ms.ents), 101, "the next growth makes room for the length before compaction")
	require.Equal(t, idsFrom(91, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1), held)
	require.Equal(t, idsFrom(91, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2), ms.ents[1:])
}
