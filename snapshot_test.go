package raft

import (
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// TestSnapshotCatchUpThenApply: a follower that missed compacted entries
// gets a snapshot, then applies the entries that follow it.
func TestSnapshotCatchUpThenApply(t *testing.T) {
	for _, async := range []bool{false, true} {
		t.Run(map[bool]string{false: "sync", true: "async"}[async], func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) { cfg.AsyncStorageWrites = async })
			require.NoError(t, c.nodes[1].rn.Campaign())
			c.stabilize()
			// 3 misses everything from now on.
			c.drop = func(m pb.Message) bool { return m.To == 3 || m.From == 3 }
			for i := 0; i < 5; i++ {
				require.NoError(t, c.nodes[1].rn.Propose([]byte{byte(i)}))
			}
			c.stabilize()
			leader := c.nodes[1]
			applied := leader.rn.raft.raftLog.applied
			_, err := leader.st.CreateSnapshot(applied, &pb.ConfState{Voters: []uint64{1, 2, 3}}, []byte("state"))
			require.NoError(t, err)
			require.NoError(t, leader.st.Compact(applied))

			c.drop = nil
			require.NoError(t, leader.rn.Propose([]byte("after")))
			c.stabilize()
			// The leader waits for a snapshot report before probing again.
			leader.rn.ReportSnapshot(3, SnapshotFinish)
			c.tickAll()
			c.stabilize()
			n3 := c.nodes[3].rn.raft
			require.Equal(t, leader.rn.raft.raftLog.committed, n3.raftLog.committed)
			require.Equal(t, leader.rn.raft.raftLog.committed, n3.raftLog.applied)
			last := c.nodes[3].applied[len(c.nodes[3].applied)-1]
			require.Equal(t, "after", string(last.Data))
		})
	}
}

// TestJoiningNodeInstallsOlderSnapshot: a node started with empty storage
// (to be added to a cluster) installs the leader's snapshot even though the
// snapshot predates the change that adds it; a member refuses a snapshot
// that does not contain it.
func TestJoiningNodeInstallsOlderSnapshot(t *testing.T) {
	snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 10, Term: 2, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}

	joiner, err := NewRawNode(testConfig(4, NewMemoryStorage()))
	require.NoError(t, err)
	require.NoError(t, joiner.Step(pb.Message{From: 1, To: 4, Type: pb.MsgSnap, Term: 2, Snapshot: &snap}))
	require.Equal(t, uint64(10), joiner.raft.raftLog.committed)

	st := NewMemoryStorage()
	require.NoError(t, st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: []uint64{4, 5}}}}))
	member, err := NewRawNode(testConfig(4, st))
	require.NoError(t, err)
	require.NoError(t, member.Step(pb.Message{From: 1, To: 4, Type: pb.MsgSnap, Term: 2, Snapshot: &snap}))
	require.Equal(t, uint64(1), member.raft.raftLog.committed)
}
