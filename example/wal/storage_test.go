package wal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// TestConcurrentReadsAndWrites has readers check every answer for internal
// consistency while a writer appends, replaces suffixes, snapshots and
// compacts. Run it with -race.
func TestConcurrentReadsAndWrites(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{NoSync: true, SegmentSize: 2 << 10, CacheSize: 1 << 10})
	defer s.Close()
	rounds := 400
	if testing.Short() {
		rounds = 150
	}
	var stop atomic.Bool
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 3; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := checkReadersView(s); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	term := uint64(1)
	for i := 0; i < rounds; i++ {
		last, _ := s.LastIndex()
		first, _ := s.FirstIndex()
		from := last + 1
		if i%7 == 3 && last >= first+3 {
			from = last - 2 // replace a suffix
			term++
		}
		if err := s.Save(pb.HardState{Term: term, Commit: first}, mkEnts(from, from+5, term), pb.Snapshot{}); err != nil {
			t.Fatal(err)
		}
		if i%20 == 19 {
			if _, err := s.CreateSnapshot(from, nil, []byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := s.Compact(from); err != nil {
				t.Fatal(err)
			}
		}
	}
	stop.Store(true)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// checkReadersView reads the extent, then entries and terms, and checks
// that whatever comes back is well-formed: the state may move on between
// calls, but each answer is either a consistent slice of some log or one
// of the contract's errors.
func checkReadersView(s *Storage) error {
	first, _ := s.FirstIndex()
	last, _ := s.LastIndex()
	if last+1 < first {
		return fmt.Errorf("FirstIndex %d > LastIndex+1 %d", first, last+1)
	}
	ents, err := s.Entries(first, last+1, 1<<12)
	switch {
	case errors.Is(err, raft.ErrCompacted), errors.Is(err, raft.ErrUnavailable):
		return nil
	case err != nil:
		return err
	}
	for i, e := range ents {
		if e.Index != first+uint64(i) {
			return fmt.Errorf("entry %d at position %d of a read from %d", e.Index, i, first)
		}
		if want := fmt.Sprintf("e%d.%d", e.Index, e.Term); !bytes.Equal(e.Data, []byte(want)) {
			return fmt.Errorf("entry %d/%d carries %q", e.Index, e.Term, e.Data)
		}
		if i > 0 && e.Term < ents[i-1].Term {
			return fmt.Errorf("terms go down at %d", e.Index)
		}
	}
	if _, err := s.Term(last); err != nil && !errors.Is(err, raft.ErrCompacted) && !errors.Is(err, raft.ErrUnavailable) {
		return err
	}
	if _, err := s.Snapshot(); err != nil {
		return err
	}
	return nil
}

// TestEntriesFromDiskAndCache reads ranges that straddle the cache
// boundary and checks the size limit: at least one entry, never more than
// maxSize beyond it.
func TestEntriesFromDiskAndCache(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{NoSync: true, SegmentSize: 256, CacheSize: 100})
	defer s.Close()
	for i := uint64(1); i <= 60; i += 3 {
		mustSave(t, s, pb.HardState{}, mkEnts(i, i+3, 1), pb.Snapshot{})
	}
	if len(s.cache) == 0 || len(s.cache) >= 60 {
		t.Fatalf("cache holds %d entries; the test wants some on disk and some cached", len(s.cache))
	}
	all := mkEnts(1, 61, 1)
	for lo := uint64(1); lo <= 60; lo++ {
		for _, maxSize := range []uint64{0, 15, 50, 200, 1 << 20} {
			got, err := s.Entries(lo, 61, maxSize)
			if err != nil {
				t.Fatal(err)
			}
			var size uint64
			for i := range got {
				size += uint64(got[i].Size())
				if !bytes.Equal(marshalOf(&got[i]), marshalOf(&all[lo-1+uint64(i)])) {
					t.Fatalf("Entries(%d, 61, %d)[%d] = %v", lo, maxSize, i, got[i])
				}
			}
			if len(got) == 0 || (len(got) > 1 && size > maxSize) {
				t.Fatalf("Entries(%d, 61, %d): %d entries of %d bytes", lo, maxSize, len(got), size)
			}
			if next := lo + uint64(len(got)); next <= 60 && size+uint64(all[next-1].Size()) <= maxSize {
				t.Fatalf("Entries(%d, 61, %d) stopped early at %d entries", lo, maxSize, len(got))
			}
		}
	}
}

// TestWithRawNode runs a single-node raft group on the storage through
// restarts, snapshots and compaction, checking that every committed entry
// is applied exactly once and in order.
func TestWithRawNode(t *testing.T) {
	dir := t.TempDir()
	opts := Options{NoSync: true, SegmentSize: 1 << 10}
	var applied []string // the state machine: proposals in apply order
	appliedIndex := uint64(0)
	proposed := 0

	run := func(bootstrap bool, proposals int) {
		s := mustOpen(t, dir, opts)
		defer s.Close()
		if snap, err := s.Snapshot(); err != nil {
			t.Fatal(err)
		} else if !raft.IsEmptySnap(snap) && snap.Metadata.Index > appliedIndex {
			t.Fatalf("snapshot %d is ahead of the state machine at %d", snap.Metadata.Index, appliedIndex)
		}
		rn, err := raft.NewRawNode(&raft.Config{ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: s,
			MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, Applied: appliedIndex,
			Logger: &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}})
		if err != nil {
			t.Fatal(err)
		}
		if bootstrap {
			if err := rn.Bootstrap([]raft.Peer{{ID: 1}}); err != nil {
				t.Fatal(err)
			}
		}
		limit := 10*proposals + 100
		for steps := 0; steps < limit; steps++ {
			rn.Tick() // a single voter elects itself after an election timeout
			if rn.BasicStatus().RaftState == raft.StateLeader && proposals > 0 && steps%2 == 0 {
				proposed++
				if err := rn.Propose([]byte(fmt.Sprintf("p%d", proposed))); err != nil {
					t.Fatal(err)
				}
				proposals--
			}
			if !rn.HasReady() {
				if proposals == 0 && rn.BasicStatus().Applied == rn.BasicStatus().Commit {
					break
				}
				continue
			}
			rd := rn.Ready()
			if err := s.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
				t.Fatal(err)
			}
			for _, e := range rd.CommittedEntries {
				if e.Index != appliedIndex+1 {
					t.Fatalf("applying %d after %d", e.Index, appliedIndex)
				}
				appliedIndex = e.Index
				switch e.Type {
				case pb.EntryNormal:
					if len(e.Data) > 0 {
						applied = append(applied, string(e.Data))
					}
				case pb.EntryConfChange:
					var cc pb.ConfChange
					if err := cc.Unmarshal(e.Data); err != nil {
						t.Fatal(err)
					}
					rn.ApplyConfChange(cc)
				}
				if appliedIndex%25 == 0 {
					if _, err := s.CreateSnapshot(appliedIndex, &pb.ConfState{Voters: []uint64{1}}, nil); err != nil {
						t.Fatal(err)
					}
					if err := s.Compact(appliedIndex - 5); err != nil {
						t.Fatal(err)
					}
				}
			}
			rn.Advance(rd)
		}
		if proposals != 0 {
			t.Fatalf("%d proposals left", proposals)
		}
	}
	run(true, 60)
	run(false, 60)
	run(false, 60)
	withStorage(t, dir, opts, func(s *Storage) {
		if first, _ := s.FirstIndex(); first == 1 {
			t.Fatal("FirstIndex 1: the test did not exercise compaction")
		}
	})
	if len(applied) != 180 {
		t.Fatalf("applied %d proposals, want 180", len(applied))
	}
	for i, p := range applied {
		if p != fmt.Sprintf("p%d", i+1) {
			t.Fatalf("applied[%d] = %s", i, p)
		}
	}
}
