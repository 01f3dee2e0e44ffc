package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// leaseCluster returns a three-node cluster using lease reads, led by 1,
// with a committed entry of the leader's term.
func leaseCluster(t *testing.T) *testCluster {
	c := newTestCluster(t, 3, func(cfg *Config) {
		cfg.CheckQuorum = true
		cfg.PreVote = true
		cfg.ReadOnlyOption = ReadOnlyLeaseBased
	})
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.stabilize()
	require.Equal(t, uint64(1), c.leader())
	return c
}

// tickAll ticks every node once and lets the cluster settle.
func (c *testCluster) tickAll() {
	for _, id := range c.ids {
		c.nodes[id].rn.Tick()
	}
	c.stabilize()
}

// TestLeaseReadServedLocally: within its lease the leader answers a read in
// the same Ready, without a heartbeat round.
func TestLeaseReadServedLocally(t *testing.T) {
	c := leaseCluster(t)
	// Not yet: no heartbeat of this leader has been acknowledged.
	require.False(t, c.nodes[1].rn.raft.leaseValid())
	c.tickAll() // heartbeat round
	require.True(t, c.nodes[1].rn.raft.leaseValid())

	c.nodes[1].rn.ReadIndex([]byte("x"))
	rd := c.nodes[1].rn.Ready()
	require.Equal(t, []ReadState{{Index: c.nodes[1].rn.raft.raftLog.committed, RequestCtx: []byte("x")}}, rd.ReadStates)
	require.Empty(t, rd.Messages, "a lease read needs no heartbeat round")
	c.nodes[1].rn.Advance(rd)
}

// TestLeaseEndsBeforeAnotherLeaderArises partitions the leader right after
// a heartbeat round and checks that its last lease read happens strictly
// before the rest of the cluster elects a new leader, for several seeds.
func TestLeaseEndsBeforeAnotherLeaderArises(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) {
				cfg.CheckQuorum = true
				cfg.PreVote = true
				cfg.ReadOnlyOption = ReadOnlyLeaseBased
				cfg.Seed = seed*10 + cfg.ID
			})
			require.NoError(t, c.nodes[1].rn.Campaign())
			c.stabilize()
			c.tickAll()
			require.True(t, c.nodes[1].rn.raft.leaseValid())

			// Cut the leader off.
			c.drop = func(m pb.Message) bool { return m.From == 1 || m.To == 1 }
			lastLeaseRead, newLeaderAt := -1, -1
			for tick := 1; tick <= 100 && newLeaderAt < 0; tick++ {
				c.tickAll()
				n := c.nodes[1]
				before := len(n.readStates)
				n.rn.ReadIndex([]byte(fmt.Sprint("r", tick)))
				c.stabilize()
				if len(n.readStates) > before {
					lastLeaseRead = tick
				}
				for _, id := range []uint64{2, 3} {
					if c.nodes[id].rn.raft.state == StateLeader {
						newLeaderAt = tick
					}
				}
			}
			require.GreaterOrEqual(t, lastLeaseRead, 1, "the lease should serve reads right after the partition")
			require.Positive(t, newLeaderAt, "the majority side should elect a leader")
			require.Less(t, lastLeaseRead, newLeaderAt, "a lease read was served after another leader arose")
		})
	}
}

// TestLeaseGivenUpOnTransfer: a leader transferring leadership no longer
// serves lease reads; the read waits for a heartbeat round instead.
func TestLeaseGivenUpOnTransfer(t *testing.T) {
	c := leaseCluster(t)
	c.tickAll()
	require.True(t, c.nodes[1].rn.raft.leaseValid())
	// Make 3 lag so that the transfer does not complete at once.
	c.drop = func(m pb.Message) bool { return m.To == 3 }
	require.NoError(t, c.nodes[1].rn.Propose([]byte("x")))
	c.stabilize()
	c.drop = func(m pb.Message) bool { return true }
	c.nodes[1].rn.TransferLeader(3)
	require.Equal(t, uint64(3), c.nodes[1].rn.raft.leadTransferee)
	require.False(t, c.nodes[1].rn.raft.leaseValid())
	c.nodes[1].rn.ReadIndex([]byte("y"))
	rd := c.nodes[1].rn.Ready()
	require.Empty(t, rd.ReadStates, "no lease read during a transfer")
	c.nodes[1].rn.Advance(rd)
}

// TestStartupLeaseRefusesVotes: with lease reads, a restarted node refuses
// votes for an election timeout, since before the crash it may have
// extended a leader's lease.
func TestStartupLeaseRefusesVotes(t *testing.T) {
	c := leaseCluster(t)
	st := c.nodes[2].st
	cfg := testConfig(2, st)
	cfg.CheckQuorum, cfg.PreVote, cfg.ReadOnlyOption = true, true, ReadOnlyLeaseBased
	rn, err := NewRawNode(cfg)
	require.NoError(t, err)
	term := rn.raft.Term
	last := rn.raft.raftLog.lastEntryID()
	require.NoError(t, rn.Step(pb.Message{From: 3, To: 2, Type: pb.MsgPreVote, Term: term + 1, LogTerm: last.term, Index: last.index}))
	require.Empty(t, rn.raft.msgsAfterAppend, "the pre-vote must be ignored within the startup lease")
	for i := 0; i < rn.raft.electionTimeout; i++ {
		rn.TickQuiesced()
	}
	require.NoError(t, rn.Step(pb.Message{From: 3, To: 2, Type: pb.MsgPreVote, Term: term + 1, LogTerm: last.term, Index: last.index}))
	require.Len(t, rn.raft.msgsAfterAppend, 1)
	require.False(t, rn.raft.msgsAfterAppend[0].Reject)
}

// TestLeaseVoidAfterTimeoutNow: once a leader has sent MsgTimeoutNow, the
// transferee may campaign past every follower's stickiness at any time, even
// after the leader abandoned the transfer; no lease read for the rest of the
// term (found by the simulator in lease mode).
func TestLeaseVoidAfterTimeoutNow(t *testing.T) {
	c := leaseCluster(t)
	c.tickAll()
	r := c.nodes[1].rn.raft
	require.True(t, r.leaseValid())
	// 2 is caught up: MsgTimeoutNow goes out at once; lose it in flight.
	c.drop = func(m pb.Message) bool { return m.Type == pb.MsgTimeoutNow }
	c.nodes[1].rn.TransferLeader(2)
	c.stabilize()
	require.True(t, r.timeoutNowSent)
	c.drop = nil
	// The transfer is abandoned after an election timeout.
	for i := 0; i < r.electionTimeout; i++ {
		c.tickAll()
	}
	require.Equal(t, StateLeader, r.state)
	require.Equal(t, None, r.leadTransferee)
	require.False(t, r.leaseValid(), "the lease must stay void after MsgTimeoutNow")
}

// TestFollowerInLeaseDoesNotCampaign: with lease reads, a follower that
// hears from its leader does not start an election on request: its own vote
// is one the leader's lease counts on.
func TestFollowerInLeaseDoesNotCampaign(t *testing.T) {
	c := leaseCluster(t)
	c.tickAll()
	require.NoError(t, c.nodes[2].rn.Campaign())
	require.Equal(t, StateFollower, c.nodes[2].rn.raft.state)
	// A transfer still works: it is the leader's own request.
	c.nodes[1].rn.TransferLeader(2)
	c.stabilize()
	require.Equal(t, StateLeader, c.nodes[2].rn.raft.state)
}
