package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
)

// benchSingleVoter returns a single-voter RawNode that leads, with its
// storage.
func benchSingleVoter(b *testing.B) (*RawNode, *MemoryStorage) {
	st := NewMemoryStorage()
	if err := st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: []uint64{1}}}}); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(1, st)
	cfg.Logger = discardLogger
	rn, err := NewRawNode(cfg)
	if err != nil {
		b.Fatal(err)
	}
	if err := rn.Campaign(); err != nil {
		b.Fatal(err)
	}
	for rn.HasReady() {
		benchHandleReady(b, rn, st)
	}
	if rn.raft.state != StateLeader {
		b.Fatal("not leader")
	}
	return rn, st
}

// benchHandleReady persists and applies one Ready.
func benchHandleReady(b *testing.B, rn *RawNode, st *MemoryStorage) int {
	rd := rn.Ready()
	if !IsEmptyHardState(rd.HardState) {
		if err := st.SetHardState(rd.HardState); err != nil {
			b.Fatal(err)
		}
	}
	if len(rd.Entries) > 0 {
		if err := st.Append(rd.Entries); err != nil {
			b.Fatal(err)
		}
	}
	n := len(rd.CommittedEntries)
	rn.Advance(rd)
	return n
}

// BenchmarkSingleVoterCycle measures one proposal's trip through a
// single-voter node: Propose, Ready, persist to MemoryStorage, Advance, until
// it is committed and applied. The batch size is the number of proposals
// per Ready.
func BenchmarkSingleVoterCycle(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			rn, st := benchSingleVoter(b)
			data := make([]byte, 128)
			b.ReportAllocs()
			b.ResetTimer()
			applied := 0
			for applied < b.N {
				for i := 0; i < batch; i++ {
					if err := rn.Propose(data); err != nil {
						b.Fatal(err)
					}
				}
				for rn.HasReady() {
					applied += benchHandleReady(b, rn, st)
				}
				// Keep memory bounded: compact what is applied.
				if li, _ := st.LastIndex(); li > 100000 {
					_ = st.Compact(rn.raft.raftLog.applied)
				}
			}
		})
	}
}

// BenchmarkThreeVoterCommit measures committing 128-byte entries in an
// in-memory three-voter cluster, per committed entry, proposing batch
// entries at a time.
func BenchmarkThreeVoterCommit(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			c := newTestCluster(b, 3, nil)
			for _, n := range c.nodes {
				n.rn.raft.raftLog.unstable.logger = discardLogger
			}
			if err := c.nodes[1].rn.Campaign(); err != nil {
				b.Fatal(err)
			}
			c.stabilize()
			c.discardApplied = true
			data := make([]byte, 128)
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += batch {
				for i := 0; i < batch; i++ {
					if err := c.nodes[1].rn.Propose(data); err != nil {
						b.Fatal(err)
					}
				}
				c.stabilize()
				if li, _ := c.nodes[1].st.LastIndex(); li%8192 < uint64(batch) {
					for _, n := range c.nodes {
						_ = n.st.Compact(n.rn.raft.raftLog.applied)
					}
				}
			}
		})
	}
}

// BenchmarkTickIdleGroups measures Tick on 10,000 idle three-voter groups
// led by this node, with the Ready handling of the heartbeats they send.
// The reported time is per group per tick.
func BenchmarkTickIdleGroups(b *testing.B) {
	const groups = 10000
	nodes := make([]*RawNode, groups)
	stores := make([]*MemoryStorage, groups)
	for g := range nodes {
		st := NewMemoryStorage()
		if err := st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}); err != nil {
			b.Fatal(err)
		}
		cfg := testConfig(1, st)
		cfg.Logger = discardLogger
		cfg.Seed = uint64(g + 1)
		rn, err := NewRawNode(cfg)
		if err != nil {
			b.Fatal(err)
		}
		// Make it leader directly: elections are not what is measured.
		rn.raft.becomeCandidate()
		rn.raft.becomeLeader()
		for rn.HasReady() {
			benchHandleReady(b, rn, st)
		}
		nodes[g], stores[g] = rn, st
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i += groups {
		for g, rn := range nodes {
			rn.Tick()
			if rn.HasReady() {
				benchHandleReady(b, rn, stores[g])
			}
		}
	}
}
