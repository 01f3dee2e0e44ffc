package raft

import (
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// TestLeaderDropsAckBeyondItsLog: a peer acknowledging an index the leader
// never had is faulty; its claim must not move its progress (which would
// corrupt the commit computation).
func TestLeaderDropsAckBeyondItsLog(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.stabilize()
	r := c.nodes[1].rn.raft
	last := r.raftLog.lastIndex()
	require.NoError(t, c.nodes[1].rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgAppResp, Term: r.Term, Index: last + 100}))
	require.Equal(t, last, r.tracker().Progress[2].Match)
	require.Equal(t, last, r.raftLog.committed)
}
