package raft

import (
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// Tests of Config.RecycleMessages: the array behind Ready.Messages goes
// back to a pool on Advance.

// newRecyclingLeader returns node 1 of a three-voter cluster, elected, with
// RecycleMessages set.
func newRecyclingLeader(t *testing.T) *testCluster {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.RecycleMessages = true })
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.stabilize()
	require.Equal(t, uint64(1), c.leader())
	return c
}

// heartbeatReady ticks the leader into a heartbeat round and returns its
// Ready, which must hold the two heartbeats.
func heartbeatReady(t *testing.T, rn *RawNode) Ready {
	rn.Tick()
	rd := rn.Ready()
	require.Len(t, rd.Messages, 2)
	for _, m := range rd.Messages {
		require.Equal(t, pb.MsgHeartbeat, m.Type)
	}
	return rd
}

// answerHeartbeats steps the followers' answers to heartbeats into rn.
func answerHeartbeats(t *testing.T, rn *RawNode, hbs []pb.Message) {
	for _, m := range hbs {
		require.NoError(t, rn.Step(pb.Message{Type: pb.MsgHeartbeatResp, From: m.To, To: m.From, Term: m.Term, Context: m.Context}))
	}
}

// Advance clears the array it takes back; copies of the messages stay
// intact; the next Readys mostly reuse that array (the race detector's
// sync.Pool drops a quarter of what it is given).
func TestRecycleMessagesReusesArray(t *testing.T) {
	c := newRecyclingLeader(t)
	rn := c.nodes[1].rn
	reused := 0
	var last *pb.Message
	for i := 0; i < 100; i++ {
		rd := heartbeatReady(t, rn)
		if &rd.Messages[0] == last {
			reused++
		}
		last = &rd.Messages[0]
		kept := append([]pb.Message(nil), rd.Messages...)
		rn.Advance(rd)
		require.Equal(t, pb.Message{}, rd.Messages[0], "the array was not taken back")
		require.Equal(t, pb.MsgHeartbeat, kept[0].Type, "a copied message changed")
		answerHeartbeats(t, rn, kept)
		require.False(t, rn.HasReady())
	}
	require.Greater(t, reused, 50)
}

// Without RecycleMessages the application keeps rd.Messages.
func TestRecycleMessagesOffKeepsArray(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.stabilize()
	rn := c.nodes[1].rn
	rd := heartbeatReady(t, rn)
	rn.Advance(rd)
	require.Equal(t, pb.MsgHeartbeat, rd.Messages[0].Type)
	rd2 := heartbeatReady(t, rn)
	require.NotSame(t, &rd.Messages[0], &rd2.Messages[0])
}

// Advancing the same Ready twice, or a Ready other than the last one, must
// not put an array in the pool twice: two nodes would then fill the same
// array.
func TestRecycleMessagesAdvanceTwice(t *testing.T) {
	c := newRecyclingLeader(t)
	rn := c.nodes[1].rn
	rd := heartbeatReady(t, rn)
	kept := append([]pb.Message(nil), rd.Messages...)
	rn.Advance(rd)
	rn.Advance(rd)
	answerHeartbeats(t, rn, kept)

	// A foreign Ready takes nothing back.
	rd = heartbeatReady(t, rn)
	rn.Advance(Ready{Messages: append([]pb.Message(nil), rd.Messages...)})
	require.Equal(t, pb.MsgHeartbeat, rd.Messages[0].Type, "an array not advanced was recycled")
	answerHeartbeats(t, rn, rd.Messages)

	// Two leaders take arrays from the pool at once: never the same one.
	c2 := newRecyclingLeader(t)
	for i := 0; i < 20; i++ {
		rd1 := heartbeatReady(t, rn)
		rd2 := heartbeatReady(t, c2.nodes[1].rn)
		require.NotSame(t, &rd1.Messages[0], &rd2.Messages[0])
		k1 := append([]pb.Message(nil), rd1.Messages...)
		k2 := append([]pb.Message(nil), rd2.Messages...)
		rn.Advance(rd1)
		rn.Advance(rd1)
		c2.nodes[1].rn.Advance(rd2)
		answerHeartbeats(t, rn, k1)
		answerHeartbeats(t, c2.nodes[1].rn, k2)
	}
}

// An idle leader's heartbeat cycle, Tick to Advance and the answers,
// allocates nothing once arrays are recycled.
func TestRecycleMessagesIdleLeaderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops items")
	}
	c := newRecyclingLeader(t)
	rn := c.nodes[1].rn
	var kept [2]pb.Message
	cycle := func() {
		rn.Tick()
		rd := rn.Ready()
		copy(kept[:], rd.Messages)
		rn.Advance(rd)
		answerHeartbeats(t, rn, kept[:])
	}
	cycle()
	require.Zero(t, testing.AllocsPerRun(100, cycle))
}

// The follower's acknowledgements (sent after the append is durable) also
// travel in a recycled array, and a whole three-node cluster commits with
// recycling on.
func TestRecycleMessagesCluster(t *testing.T) {
	c := newRecyclingLeader(t)
	for i := 0; i < 50; i++ {
		require.NoError(t, c.nodes[1].rn.Propose([]byte{byte(i)}))
		c.stabilize()
	}
	for _, id := range c.ids {
		require.Len(t, entryDataOf(c.nodes[id].applied), 50, "node %d", id)
	}
}

func entryDataOf(ents []pb.Entry) []string {
	var out []string
	for _, e := range ents {
		if e.Type == pb.EntryNormal && len(e.Data) > 0 {
			out = append(out, string(e.Data))
		}
	}
	return out
}
