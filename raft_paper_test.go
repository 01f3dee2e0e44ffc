package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
	"github.com/stretchr/testify/require"
)

// Tests of the rules of the Raft paper ("In Search of an Understandable
// Consensus Algorithm", Ongaro and Ousterhout) and of Ongaro's thesis
// ("Consensus: Bridging Theory and Practice"), grouped by section. Each test
// sets up a situation, performs one action and checks the outcome the
// section prescribes.

// setRole puts a node into the given role directly, as the protocol would
// after the corresponding events.
func setRole(rn *RawNode, role StateType) {
	r := rn.raft
	switch role {
	case StateFollower:
		r.becomeFollower(r.Term, None)
	case StatePreCandidate:
		r.becomePreCandidate()
	case StateCandidate:
		r.becomeCandidate()
	case StateLeader:
		r.becomeCandidate()
		r.becomeLeader()
	}
}

// §5.1: "If a server receives a message with a higher term, it updates its
// current term and reverts to follower state" — whatever its role and
// whatever the message.
func TestPaper5_1HigherTermMakesFollower(t *testing.T) {
	roles := []StateType{StateFollower, StatePreCandidate, StateCandidate, StateLeader}
	msgs := []struct {
		typ      pb.MessageType
		wantLead bool // the sender is known to lead the new term
	}{
		{pb.MsgApp, true},
		{pb.MsgHeartbeat, true},
		{pb.MsgVote, false},
		{pb.MsgAppResp, false},
		{pb.MsgHeartbeatResp, false},
		{pb.MsgVoteResp, false},
	}
	for _, role := range roles {
		for _, tc := range msgs {
			t.Run(fmt.Sprintf("%s/%s", role, tc.typ), func(t *testing.T) {
				rn, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
				setRole(rn, role)
				require.Equal(t, role, rn.raft.state)
				newTerm := rn.raft.Term + 3
				m := pb.Message{From: 2, To: 1, Type: tc.typ, Term: newTerm, Index: 1, LogTerm: 1}
				if tc.typ == pb.MsgVoteResp {
					m.Reject = true
				}
				require.NoError(t, rn.Step(m))
				require.Equal(t, StateFollower, rn.raft.state)
				require.Equal(t, newTerm, rn.raft.Term)
				wantLead := None
				if tc.wantLead {
					wantLead = 2
				}
				require.Equal(t, wantLead, rn.raft.lead)
			})
		}
	}
}

// §5.1: "If a server receives a request with a stale term number, it
// rejects the request." A stale message changes nothing, and whatever the
// node answers carries its current term and grants nothing, so the stale
// sender learns that it is behind. With CheckQuorum (or PreVote), a stale
// leader's appends and heartbeats must be answered: nothing else would tell
// it about the new term.
func TestPaper5_1StaleTermMessagesAreRejected(t *testing.T) {
	stale := []pb.Message{
		{Type: pb.MsgApp, Index: 1, LogTerm: 1, Entries: []pb.Entry{{Index: 2, Term: 2, Data: []byte("stale")}}, Commit: 2},
		{Type: pb.MsgHeartbeat, Commit: 2},
		{Type: pb.MsgVote, Index: 10, LogTerm: 2},
		{Type: pb.MsgPreVote, Index: 10, LogTerm: 2},
		{Type: pb.MsgSnap, Snapshot: &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 10, Term: 2, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}},
		{Type: pb.MsgTimeoutNow},
	}
	for _, checkQuorum := range []bool{false, true} {
		for _, sm := range stale {
			t.Run(fmt.Sprintf("checkquorum=%t/%s", checkQuorum, sm.Type), func(t *testing.T) {
				rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.CheckQuorum = checkQuorum })
				// Node 3 leads term 3 and has replicated and committed
				// one entry.
				require.NoError(t, rn.Step(pb.Message{From: 3, To: 1, Type: pb.MsgApp, Term: 3, Index: 1, LogTerm: 1,
					Entries: []pb.Entry{{Index: 2, Term: 3, Data: []byte("a")}}, Commit: 2}))
				drain(t, rn, st)
				before := rn.BasicStatus()
				logBefore := termsOf(rn)
				require.Equal(t, uint64(3), before.Term)
				require.Equal(t, uint64(2), before.Commit)

				m := sm
				m.From, m.To, m.Term = 2, 1, 2
				require.NoError(t, rn.Step(m))
				msgs, _ := drain(t, rn, st)

				after := rn.BasicStatus()
				require.Equal(t, before, after, "a stale %s changed the node's state", m.Type)
				require.Equal(t, logBefore, termsOf(rn))
				for _, resp := range msgs {
					require.Equal(t, uint64(3), resp.Term, "reply to a stale message must carry the current term: %s", DescribeMessage(resp, nil))
					if resp.Type == pb.MsgVoteResp || resp.Type == pb.MsgPreVoteResp {
						require.True(t, resp.Reject, "stale %s was granted", m.Type)
					}
				}
				if checkQuorum && (m.Type == pb.MsgApp || m.Type == pb.MsgHeartbeat) {
					require.NotEmpty(t, msgs, "a stale leader's %s must be answered with the current term", m.Type)
				}
			})
		}
	}
}

// §5.1: a leader cut off from the cluster learns the newer term from the
// first answer it gets after the partition heals, and steps down.
func TestPaper5_1StaleLeaderStepsDownOnNewerTerm(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.CheckQuorum = true })
	c.elect(1)
	oldTerm := c.nodes[1].rn.raft.Term

	c.isolate(1)
	for i := 0; i < 100 && c.nodes[2].rn.raft.state != StateLeader && c.nodes[3].rn.raft.state != StateLeader; i++ {
		c.nodes[2].rn.Tick()
		c.nodes[3].rn.Tick()
		c.settle(nil)
	}
	newLeader := None
	for _, id := range []uint64{2, 3} {
		if c.nodes[id].rn.raft.state == StateLeader {
			newLeader = id
		}
	}
	require.NotEqual(t, None, newLeader, "no new leader was elected")
	newTerm := c.nodes[newLeader].rn.raft.Term
	require.Greater(t, newTerm, oldTerm)
	require.Equal(t, StateLeader, c.nodes[1].rn.raft.state, "the old leader was not ticked and cannot know yet")

	c.heal()
	c.nodes[1].rn.Tick() // a heartbeat of the old term
	c.settle(nil)
	require.Equal(t, StateFollower, c.nodes[1].rn.raft.state)
	require.Equal(t, newTerm, c.nodes[1].rn.raft.Term)
	require.Equal(t, newLeader, c.leader())
}

// §5.2: "If a follower receives no communication over a period of time
// called the election timeout, then it ... begins an election": it
// increments its term, votes for itself and requests votes from every other
// server.
func TestPaper5_2FollowerCampaignsAfterElectionTimeout(t *testing.T) {
	rn, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	timeout := rn.raft.randomizedElectionTimeout
	for i := 0; i < timeout-1; i++ {
		rn.Tick()
	}
	require.Equal(t, StateFollower, rn.raft.state)
	require.False(t, rn.HasReady(), "nothing may happen before the timeout")

	rn.Tick()
	require.Equal(t, StateCandidate, rn.raft.state)
	rd := rn.Ready()
	require.Equal(t, pb.HardState{Term: 2, Vote: 1, Commit: 1}, rd.HardState)
	require.True(t, rd.MustSync)
	var to []uint64
	for _, m := range rd.Messages {
		require.Equal(t, pb.MsgVote, m.Type)
		require.Equal(t, uint64(2), m.Term)
		require.Equal(t, uint64(1), m.Index)
		require.Equal(t, uint64(1), m.LogTerm)
		to = append(to, m.To)
	}
	require.Equal(t, []uint64{2, 3}, to)
}

// §5.2: followers "remain in follower state as long as [they receive] valid
// RPCs from a leader": heartbeats reset the election timer.
func TestPaper5_2HeartbeatsKeepFollowerFollowing(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	for i := 0; i < 10*rn.raft.electionTimeout; i++ {
		rn.Tick()
		require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgHeartbeat, Term: 2, Commit: 1}))
		drain(t, rn, st)
		require.Equal(t, StateFollower, rn.raft.state, "tick %d", i)
	}
	require.Equal(t, uint64(2), rn.raft.lead)
	require.Equal(t, uint64(2), rn.raft.Term)
}

// §5.2: the leader sends periodic heartbeats to all followers to maintain
// its authority.
func TestPaper5_2LeaderSendsHeartbeats(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.HeartbeatTick = 2 })
	makeLeader(t, rn, st)
	rn.Tick()
	msgs, _ := drain(t, rn, st)
	require.Empty(t, pick(msgs, pb.MsgHeartbeat, None), "heartbeat before HeartbeatTick")
	rn.Tick()
	msgs, _ = drain(t, rn, st)
	hb := pick(msgs, pb.MsgHeartbeat, None)
	require.Len(t, hb, 2, describeMsgs(msgs))
	require.Equal(t, uint64(2), hb[0].To)
	require.Equal(t, uint64(3), hb[1].To)
	for _, m := range hb {
		require.Equal(t, rn.raft.Term, m.Term)
	}
}

// §5.2: a candidate whose election times out without a winner (split vote)
// starts a new election in a new term.
func TestPaper5_2CandidateRestartsElectionOnTimeout(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	require.NoError(t, rn.Campaign())
	drain(t, rn, st)
	require.Equal(t, StateCandidate, rn.raft.state)
	require.Equal(t, uint64(2), rn.raft.Term)

	for i := 0; i < 2*rn.raft.electionTimeout && rn.raft.Term == 2; i++ {
		rn.Tick()
	}
	require.Equal(t, StateCandidate, rn.raft.state)
	require.Equal(t, uint64(3), rn.raft.Term)
	msgs, _ := drain(t, rn, st)
	votes := pick(msgs, pb.MsgVote, None)
	require.Len(t, votes, 2, describeMsgs(msgs))
	require.Equal(t, uint64(3), votes[0].Term)
}

// §5.2: a candidate votes for itself. The vote is part of the persistent
// state, so it counts only once it is durable: a single voter wins its
// election only after the Ready holding its vote is persisted (Advance).
func TestPaper5_2CandidateVotesForItself(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1}, nil)
	require.NoError(t, rn.Campaign())
	require.Equal(t, StateCandidate, rn.raft.state)
	require.Equal(t, uint64(1), rn.raft.Vote)

	rd := rn.Ready()
	require.Equal(t, uint64(1), rd.Vote)
	require.Equal(t, uint64(2), rd.Term)
	require.True(t, rd.MustSync)
	require.Equal(t, StateCandidate, rn.raft.state, "the vote counted before it was persisted")
	require.NoError(t, st.SetHardState(rd.HardState))
	rn.Advance(rd)
	require.Equal(t, StateLeader, rn.raft.state)
}

// §5.2: "A candidate wins an election if it receives votes from a majority
// of the servers in the full cluster for the same term"; it loses (and
// waits as a follower) once a majority rejected it; otherwise it waits.
func TestPaper5_2CandidateWinsWithMajority(t *testing.T) {
	tests := []struct {
		size    int
		grants  []uint64
		rejects []uint64
		want    StateType
	}{
		{1, nil, nil, StateLeader},
		{3, []uint64{2}, nil, StateLeader},
		{3, nil, []uint64{2}, StateCandidate},
		{3, nil, []uint64{2, 3}, StateFollower},
		{3, []uint64{3}, []uint64{2}, StateLeader},
		{5, []uint64{2}, nil, StateCandidate},
		{5, []uint64{2, 3}, nil, StateLeader},
		{5, []uint64{5}, []uint64{2, 3}, StateCandidate},
		{5, nil, []uint64{2, 3, 4}, StateFollower},
		{5, []uint64{2, 3, 4, 5}, nil, StateLeader},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var voters []uint64
			for id := 1; id <= tc.size; id++ {
				voters = append(voters, uint64(id))
			}
			rn, st := newTestRaw(t, 1, voters, nil)
			require.NoError(t, rn.Campaign())
			drain(t, rn, st)
			for _, id := range tc.grants {
				require.NoError(t, rn.Step(pb.Message{From: id, To: 1, Type: pb.MsgVoteResp, Term: 2}))
			}
			for _, id := range tc.rejects {
				require.NoError(t, rn.Step(pb.Message{From: id, To: 1, Type: pb.MsgVoteResp, Term: 2, Reject: true}))
			}
			require.Equal(t, tc.want, rn.raft.state)
			require.Equal(t, uint64(2), rn.raft.Term)
		})
	}
}

// §5.2: "While waiting for votes, a candidate may receive an AppendEntries
// RPC from another server claiming to be leader. If the leader's term is at
// least as large as the candidate's current term, then the candidate ...
// returns to follower state." If it is smaller, the candidate rejects it and
// continues in candidate state.
func TestPaper5_2CandidateStepsDownOnLeaderAppend(t *testing.T) {
	for _, role := range []StateType{StatePreCandidate, StateCandidate} {
		for _, typ := range []pb.MessageType{pb.MsgApp, pb.MsgHeartbeat} {
			for _, delta := range []int{-1, 0, 1} {
				t.Run(fmt.Sprintf("%s/%s/term%+d", role, typ, delta), func(t *testing.T) {
					rn, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
					// Move to term 2 first, so that a lower term exists.
					require.NoError(t, rn.Step(pb.Message{From: 3, To: 1, Type: pb.MsgHeartbeat, Term: 2}))
					setRole(rn, role)
					term := rn.raft.Term
					msgTerm := uint64(int(term) + delta)
					require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: typ, Term: msgTerm, Index: 1, LogTerm: 1}))
					if delta < 0 {
						require.Equal(t, role, rn.raft.state)
						require.Equal(t, term, rn.raft.Term)
						return
					}
					require.Equal(t, StateFollower, rn.raft.state)
					require.Equal(t, msgTerm, rn.raft.Term)
					require.Equal(t, uint64(2), rn.raft.lead)
				})
			}
		}
	}
}

// §5.2: "Raft uses randomized election timeouts ... chosen randomly from a
// fixed interval": here [ElectionTick, 2*ElectionTick). Across nodes (seeds)
// every value of the interval occurs, and one node draws a new timeout for
// each election.
func TestPaper5_2ElectionTimeoutIsRandomized(t *testing.T) {
	const et = 10
	ticksToCampaign := func(rn *RawNode) int {
		for i := 1; i <= 3*et; i++ {
			rn.Tick()
			if rn.raft.state == StateCandidate {
				return i
			}
		}
		t.Fatal("no campaign")
		return 0
	}

	seen := map[int]int{}
	for seed := uint64(1); seed <= 300; seed++ {
		rn, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.ElectionTick = et; c.Seed = seed })
		n := ticksToCampaign(rn)
		require.GreaterOrEqual(t, n, et)
		require.Less(t, n, 2*et)
		seen[n]++
	}
	require.Len(t, seen, et, "every timeout in [ElectionTick, 2*ElectionTick) should occur: %v", seen)

	// One node, successive elections.
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.ElectionTick = et; c.Seed = 7 })
	own := map[int]bool{}
	for i := 0; i < 50; i++ {
		n := ticksToCampaign(rn)
		require.GreaterOrEqual(t, n, et)
		require.Less(t, n, 2*et)
		own[n] = true
		drain(t, rn, st)
		// Lose the election so the next timeout counts from a reset.
		require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgVoteResp, Term: rn.raft.Term, Reject: true}))
		require.NoError(t, rn.Step(pb.Message{From: 3, To: 1, Type: pb.MsgVoteResp, Term: rn.raft.Term, Reject: true}))
		require.Equal(t, StateFollower, rn.raft.state)
		drain(t, rn, st)
	}
	require.Greater(t, len(own), et/2, "a node should draw a fresh timeout per election: %v", own)
}

// §5.2: "Each server will vote for at most one candidate in a given term,
// on a first-come-first-served basis." The vote is persisted before it is
// sent, and survives a restart.
func TestPaper5_2OneVotePerTerm(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	vote := func(rn *RawNode, from uint64) (granted bool, rd Ready) {
		t.Helper()
		require.NoError(t, rn.Step(pb.Message{From: from, To: 1, Type: pb.MsgVote, Term: 2, Index: 1, LogTerm: 1}))
		rd = persist(t, rn, st)
		resps := pick(rd.Messages, pb.MsgVoteResp, from)
		require.Len(t, resps, 1, describeMsgs(rd.Messages))
		return !resps[0].Reject, rd
	}
	granted, rd := vote(rn, 2)
	require.True(t, granted)
	require.Equal(t, uint64(2), rd.Vote, "the vote must be in the Ready that sends it")
	require.True(t, rd.MustSync)

	granted, _ = vote(rn, 3)
	require.False(t, granted, "second vote in the same term")
	granted, _ = vote(rn, 2)
	require.True(t, granted, "a repeated request of the candidate voted for is granted again")

	// The vote survives a restart.
	rn2, err := NewRawNode(testConfig(1, st))
	require.NoError(t, err)
	granted, _ = vote(rn2, 3)
	require.False(t, granted, "the vote was forgotten across a restart")
}

// §5.3: the leader appends a client's command to its log as a new entry,
// then issues AppendEntries to each of the other servers. It does not
// consider the entry committed yet.
func TestPaper5_3LeaderAppendsAndReplicates(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	ldr := c.nodes[1].rn
	last, term, commit := ldr.raft.raftLog.lastIndex(), ldr.raft.Term, ldr.raft.raftLog.committed

	require.NoError(t, ldr.Propose([]byte("x")))
	rd := ldr.Ready()
	require.Equal(t, []pb.Entry{{Term: term, Index: last + 1, Data: []byte("x")}}, rd.Entries)
	require.True(t, rd.MustSync)
	require.Empty(t, rd.CommittedEntries)
	apps := pick(rd.Messages, pb.MsgApp, None)
	require.Len(t, apps, 2, describeMsgs(rd.Messages))
	for i, m := range apps {
		require.Equal(t, uint64(i+2), m.To)
		require.Equal(t, term, m.Term)
		require.Equal(t, last, m.Index)
		require.Equal(t, term, m.LogTerm)
		require.Equal(t, commit, m.Commit)
		require.Equal(t, rd.Entries, m.Entries)
	}
	require.Equal(t, commit, ldr.raft.raftLog.committed)
}

// §5.3: "A log entry is committed once the leader that created the entry
// has replicated it on a majority of the servers."
func TestPaper5_3LeaderCommitsOnMajority(t *testing.T) {
	tests := []struct {
		size int
		acks []uint64
		want bool
	}{
		{1, nil, true},
		{3, nil, false},
		{3, []uint64{2}, true},
		{3, []uint64{3}, true},
		{5, []uint64{2}, false},
		{5, []uint64{2, 5}, true},
		{5, []uint64{2, 3, 4, 5}, true},
	}
	for i, tc := range tests {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var voters []uint64
			for id := 1; id <= tc.size; id++ {
				voters = append(voters, uint64(id))
			}
			rn, st := newTestRaw(t, 1, voters, nil)
			makeLeader(t, rn, st)
			// The leader's empty entry is at 2; acknowledge it everywhere
			// so that only the proposal is in question.
			for _, id := range voters[1:] {
				require.NoError(t, rn.Step(pb.Message{From: id, To: 1, Type: pb.MsgAppResp, Term: rn.raft.Term, Index: 2}))
			}
			drain(t, rn, st)
			require.Equal(t, uint64(2), rn.raft.raftLog.committed)

			require.NoError(t, rn.Propose([]byte("x")))
			_, committed := drain(t, rn, st)
			for _, id := range tc.acks {
				require.NoError(t, rn.Step(pb.Message{From: id, To: 1, Type: pb.MsgAppResp, Term: rn.raft.Term, Index: 3}))
			}
			_, more := drain(t, rn, st)
			committed = append(committed, more...)
			if tc.want {
				require.Equal(t, uint64(3), rn.raft.raftLog.committed)
				require.Equal(t, []string{"x"}, entryData(committed))
			} else {
				require.Equal(t, uint64(2), rn.raft.raftLog.committed)
				require.Empty(t, entryData(committed))
			}
		})
	}
}

// §5.3: "Once a follower learns that a log entry is committed, it applies
// the entry to its local state machine (in log order)" — and not before:
// followers learn the commit index from the leader's next message.
func TestPaper5_3FollowersApplyCommittedEntries(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	require.NoError(t, c.nodes[1].rn.Propose([]byte("x")))
	require.NoError(t, c.nodes[1].rn.Propose([]byte("y")))

	// Deliver the appends, but hold the followers' answers.
	isResp := func(m pb.Message) bool { return m.Type == pb.MsgAppResp }
	held := c.settle(isResp)
	require.NotEmpty(t, held)
	for _, id := range []uint64{2, 3} {
		require.Equal(t, []string{"x", "y"}, entryData(c.nodes[id].rn.raft.raftLog.allEntries()))
		require.Empty(t, c.appliedData(id), "node %d applied before the entries committed", id)
	}
	c.deliver(held...)
	c.settle(nil)
	for _, id := range c.ids {
		require.Equal(t, []string{"x", "y"}, c.appliedData(id), "node %d", id)
		require.Equal(t, c.nodes[1].rn.raft.raftLog.committed, c.nodes[id].rn.raft.raftLog.committed)
	}
}

// §5.3: the AppendEntries consistency check. "If the follower does not find
// an entry in its log with the same index and term, then it refuses the new
// entries." A refusal leaves the log alone.
func TestPaper5_3ConsistencyCheck(t *testing.T) {
	// The follower's log: 1/1 (snapshot), 2/1, 3/2.
	tests := []struct {
		prevIndex, prevTerm uint64
		accept              bool
	}{
		{1, 1, true},
		{2, 1, true},
		{3, 2, true},
		{3, 3, false}, // term mismatch
		{2, 2, false}, // term mismatch
		{4, 2, false}, // missing entry
		{9, 3, false}, // far beyond the log
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("prev=%d/%d", tc.prevTerm, tc.prevIndex), func(t *testing.T) {
			st := newTestStorage(t, []uint64{1, 2, 3})
			require.NoError(t, st.Append([]pb.Entry{{Index: 2, Term: 1}, {Index: 3, Term: 2}}))
			require.NoError(t, st.SetHardState(pb.HardState{Term: 2, Commit: 1}))
			rn, err := NewRawNode(testConfig(1, st))
			require.NoError(t, err)

			app := pb.Message{From: 2, To: 1, Type: pb.MsgApp, Term: 3, Index: tc.prevIndex, LogTerm: tc.prevTerm,
				Entries: []pb.Entry{{Index: tc.prevIndex + 1, Term: 3, Data: []byte("new")}}}
			require.NoError(t, rn.Step(app))
			msgs, _ := drain(t, rn, st)
			resps := pick(msgs, pb.MsgAppResp, 2)
			require.Len(t, resps, 1, describeMsgs(msgs))
			resp := resps[0]
			if tc.accept {
				require.False(t, resp.Reject)
				require.Equal(t, tc.prevIndex+1, resp.Index)
				require.Equal(t, tc.prevIndex+1, rn.raft.raftLog.lastIndex())
				return
			}
			require.True(t, resp.Reject)
			require.Equal(t, tc.prevIndex, resp.Index, "the rejection names the refused index")
			require.LessOrEqual(t, resp.RejectHint, tc.prevIndex)
			require.LessOrEqual(t, resp.RejectHint, uint64(3), "the hint must lie within the follower's log")
			require.Equal(t, []uint64{1, 2}, termsOf(rn), "a refused append changed the log")
		})
	}
}

// §5.3: "the leader handles inconsistencies by forcing the followers' logs
// to duplicate its own": conflicting entries are overwritten, missing ones
// supplied, extraneous uncommitted ones deleted, whatever the shape of the
// follower's log.
func TestPaper5_3LeaderRepairsConflictingLogs(t *testing.T) {
	// Terms of the leader's log from index 2 on; the leader then leads
	// term 6 (and appends its empty entry at index 9).
	leaderLog := []uint64{1, 1, 2, 2, 3, 3, 3}
	followers := map[string][]uint64{
		"empty":              nil,
		"missing suffix":     {1, 1, 2},
		"identical":          {1, 1, 2, 2, 3, 3, 3},
		"extra same term":    {1, 1, 2, 2, 3, 3, 3, 3, 3},
		"extra older term":   {1, 1, 2, 2, 2, 2, 2, 2, 2, 2},
		"other leader's run": {1, 1, 4, 4, 4},
		"diverges at once":   {5, 5, 5},
		"short and stale":    {1, 2},
	}
	for name, flog := range followers {
		t.Run(name, func(t *testing.T) {
			c := newClusterFromLogs(t,
				map[uint64][]uint64{1: leaderLog, 2: flog},
				map[uint64]uint64{1: 5, 2: 5}, nil)
			ldr := c.nodes[1]
			makeLeader(t, ldr.rn, ldr.st)
			// makeLeader handled the leader's Readys itself; its
			// messages went nowhere, so start the conversation again.
			ldr.rn.Tick()
			c.settle(nil)

			want := ldr.rn.raft.raftLog.allEntries()
			require.Equal(t, uint64(9), want[len(want)-1].Index)
			got := c.nodes[2].rn.raft.raftLog.allEntries()
			require.Equal(t, want, got, "follower log was not repaired")
			stored, err := c.nodes[2].st.Entries(2, 10, noLimit)
			require.NoError(t, err)
			require.Equal(t, want, stored, "the repaired log was not persisted")
			require.Equal(t, uint64(9), c.nodes[2].rn.raft.raftLog.committed)
			require.Equal(t, entryData(want), c.appliedData(2))
		})
	}
}

// §5.3: "the leader retries AppendEntries RPCs indefinitely": entries lost
// on the way to a follower reach it once it can be reached again.
func TestPaper5_3LeaderRetriesLostAppends(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	c.drop = func(m pb.Message) bool { return m.To == 3 && m.Type == pb.MsgApp }
	require.NoError(t, c.nodes[1].rn.Propose([]byte("lost")))
	c.settle(nil)
	require.Equal(t, []string{"lost"}, c.appliedData(1))
	require.Empty(t, c.appliedData(3))

	c.heal()
	c.nodes[1].rn.Tick() // heartbeat
	c.settle(nil)
	require.Equal(t, []string{"lost"}, c.appliedData(3))
}

// §5.3: the leader retries AppendEntries indefinitely, also when every
// MsgApp of a full flow-control window was lost: heartbeats keep showing
// that the follower is alive and behind, and it must catch up without new
// proposals and without the application reporting the loss.
func TestPaper5_3LeaderRetriesWhenWholeWindowLost(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.MaxInflightMsgs = 2 })
	c.elect(1)
	c.drop = func(m pb.Message) bool { return m.To == 3 && m.Type == pb.MsgApp }
	for i := 0; i < 3; i++ {
		require.NoError(t, c.nodes[1].rn.Propose([]byte(fmt.Sprint("lost", i))))
		c.settle(nil)
	}
	require.Equal(t, []string{"lost0", "lost1", "lost2"}, c.appliedData(1))
	require.True(t, c.nodes[1].rn.raft.tracker().Progress[3].Inflights.Full())

	c.heal()
	for i := 0; i < 3*c.nodes[1].rn.raft.electionTimeout; i++ {
		c.nodes[1].rn.Tick()
		c.settle(nil)
	}
	require.Equal(t, []string{"lost0", "lost1", "lost2"}, c.appliedData(3),
		"follower never caught up; leader's view: %s", c.nodes[1].rn.raft.tracker().Progress[3])
}

// §5.4.1: the election restriction. "The voter denies its vote if its own
// log is more up-to-date than that of the candidate": a later last term
// wins; with equal last terms the longer log wins. It holds for pre-votes
// (thesis §9.6) alike.
func TestPaper5_4_1ElectionRestriction(t *testing.T) {
	// The voter's log ends at 3/2 (index 3, term 2).
	tests := []struct {
		lastIndex, lastTerm uint64
		grant               bool
	}{
		{3, 2, true},
		{4, 2, true},
		{2, 3, true},
		{1, 3, true},
		{2, 2, false},
		{9, 1, false},
		{1, 1, false},
	}
	for _, typ := range []pb.MessageType{pb.MsgVote, pb.MsgPreVote} {
		for _, tc := range tests {
			t.Run(fmt.Sprintf("%s/%d/%d", typ, tc.lastTerm, tc.lastIndex), func(t *testing.T) {
				st := newTestStorage(t, []uint64{1, 2, 3})
				require.NoError(t, st.Append([]pb.Entry{{Index: 2, Term: 1}, {Index: 3, Term: 2}}))
				require.NoError(t, st.SetHardState(pb.HardState{Term: 2, Commit: 1}))
				cfg := testConfig(1, st)
				cfg.PreVote = typ == pb.MsgPreVote
				rn, err := NewRawNode(cfg)
				require.NoError(t, err)
				require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: typ, Term: 3, Index: tc.lastIndex, LogTerm: tc.lastTerm}))
				msgs, _ := drain(t, rn, st)
				resps := pick(msgs, voteRespMsgType(typ), 2)
				require.Len(t, resps, 1, describeMsgs(msgs))
				require.Equal(t, !tc.grant, resps[0].Reject)
				if typ == pb.MsgVote {
					wantVote := None
					if tc.grant {
						wantVote = 2
					}
					require.Equal(t, wantVote, rn.raft.Vote)
				}
			})
		}
	}
}

// §5.4.1, in a cluster: a node that missed committed entries cannot become
// leader, because a majority holding them denies it its vote.
func TestPaper5_4_1LaggingNodeCannotWin(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	c.isolate(3)
	require.NoError(t, c.nodes[1].rn.Propose([]byte("x")))
	c.settle(nil)
	require.Equal(t, []string{"x"}, c.appliedData(1))
	c.heal()

	require.NoError(t, c.nodes[3].rn.Campaign())
	c.settle(nil)
	require.NotEqual(t, uint64(3), c.leader())
	require.Equal(t, StateFollower, c.nodes[3].rn.raft.state)
	// The term moved on; one of the up-to-date nodes leads once it times
	// out.
	for i := 0; i < 100 && c.leader() == None; i++ {
		c.nodes[1].rn.Tick()
		c.nodes[2].rn.Tick()
		c.settle(nil)
	}
	require.Contains(t, []uint64{1, 2}, c.leader())
}

// §5.4.2: "Raft never commits log entries from previous terms by counting
// replicas. Only log entries from the leader's current term are committed by
// counting replicas; once an entry from the current term has been committed
// in this way, then all prior entries are committed indirectly."
func TestPaper5_4_2CommitOnlyCurrentTermByCounting(t *testing.T) {
	st := newTestStorage(t, []uint64{1, 2, 3})
	require.NoError(t, st.Append([]pb.Entry{{Index: 2, Term: 2, Data: []byte("old")}}))
	require.NoError(t, st.SetHardState(pb.HardState{Term: 2, Commit: 1}))
	rn, err := NewRawNode(testConfig(1, st))
	require.NoError(t, err)
	makeLeader(t, rn, st)
	term := rn.raft.Term
	require.Equal(t, uint64(3), term)
	require.Equal(t, uint64(3), rn.raft.raftLog.lastIndex(), "the new leader appends an entry of its term")

	// A majority (1 and 2) holds the term-2 entry at index 2.
	require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgAppResp, Term: term, Index: 2}))
	_, committed := drain(t, rn, st)
	require.Equal(t, uint64(1), rn.raft.raftLog.committed, "an entry of an earlier term was committed by counting")
	require.Empty(t, committed)

	// Once the entry of the current term reaches a majority, both commit.
	require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgAppResp, Term: term, Index: 3}))
	_, committed = drain(t, rn, st)
	require.Equal(t, uint64(3), rn.raft.raftLog.committed)
	require.Len(t, committed, 2)
	require.Equal(t, "old", string(committed[0].Data))
	require.Equal(t, uint64(2), committed[0].Term)
	require.Equal(t, term, committed[1].Term)
}

// §5.4.2 in a cluster: an entry of term 2 reached a majority but its leader
// failed before committing it; the next leader commits it indirectly with
// the entry of its own term, and every node applies it.
func TestPaper5_4_2NewLeaderCommitsEarlierEntriesIndirectly(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	// The append reaches node 2 only, and no acknowledgement gets back.
	c.drop = func(m pb.Message) bool {
		return (m.Type == pb.MsgApp && m.To == 3) || m.Type == pb.MsgAppResp
	}
	require.NoError(t, c.nodes[1].rn.Propose([]byte("x")))
	c.settle(nil)
	require.Empty(t, c.appliedData(1))
	require.Equal(t, []string{"x"}, entryData(c.nodes[2].rn.raft.raftLog.allEntries()))

	c.isolate(1)
	c.elect(2)
	for _, id := range []uint64{2, 3} {
		require.Equal(t, []string{"x"}, c.appliedData(id), "node %d", id)
	}
	c.heal()
	c.nodes[2].rn.Tick()
	c.settle(nil)
	require.Equal(t, []string{"x"}, c.appliedData(1))
}

// Thesis §9.6: with PreVote, a node whose election timer fires first asks
// whether it could win, without incrementing its term or voting.
func TestThesis9_6PreVoteKeepsTerm(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.PreVote = true })
	for i := 0; i < 2*rn.raft.electionTimeout && rn.raft.state == StateFollower; i++ {
		rn.Tick()
	}
	require.Equal(t, StatePreCandidate, rn.raft.state)
	require.Equal(t, uint64(1), rn.raft.Term)
	require.Equal(t, None, rn.raft.Vote)
	rd := persist(t, rn, st)
	require.True(t, IsEmptyHardState(rd.HardState), "a pre-vote persisted %s", DescribeHardState(rd.HardState))
	pre := pick(rd.Messages, pb.MsgPreVote, None)
	require.Len(t, pre, 2, describeMsgs(rd.Messages))
	for _, m := range pre {
		require.Equal(t, uint64(2), m.Term, "a pre-vote asks about the next term")
	}

	// Winning the pre-vote starts the real election.
	require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgPreVoteResp, Term: 2}))
	require.Equal(t, StateCandidate, rn.raft.state)
	require.Equal(t, uint64(2), rn.raft.Term)
	require.Equal(t, uint64(1), rn.raft.Vote)
}

// Thesis §9.6: a node partitioned away does not disrupt the cluster when it
// returns: without PreVote its term grows while it is away and deposes the
// leader on return; with PreVote its term stays and the leader stays.
func TestThesis9_6PreVotePreventsDisruption(t *testing.T) {
	for _, preVote := range []bool{false, true} {
		t.Run(fmt.Sprint("prevote=", preVote), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) { cfg.PreVote = preVote })
			c.elect(1)
			term := c.nodes[1].rn.raft.Term

			c.isolate(3)
			require.NoError(t, c.nodes[1].rn.Propose([]byte("while away")))
			c.settle(nil)
			for i := 0; i < 10*c.nodes[3].rn.raft.electionTimeout; i++ {
				c.nodes[3].rn.Tick()
				c.settle(nil)
			}
			if preVote {
				require.Equal(t, term, c.nodes[3].rn.raft.Term)
			} else {
				require.Greater(t, c.nodes[3].rn.raft.Term, term)
			}

			c.heal()
			for i := 0; i < 3*c.nodes[3].rn.raft.electionTimeout; i++ {
				c.nodes[3].rn.Tick()
				c.nodes[1].rn.Tick()
				c.settle(nil)
			}
			if preVote {
				require.Equal(t, uint64(1), c.leader())
				require.Equal(t, term, c.nodes[1].rn.raft.Term)
				require.Equal(t, term, c.nodes[3].rn.raft.Term)
			} else {
				require.Greater(t, c.nodes[1].rn.raft.Term, term, "the returning node should have disrupted the leader")
				return
			}
			require.Equal(t, []string{"while away"}, c.appliedData(3))
		})
	}
}

// Thesis §6.2: with CheckQuorum, a leader that has not heard from a
// majority for an election timeout steps down; a leader that does, stays.
func TestThesis6_2CheckQuorum(t *testing.T) {
	for _, checkQuorum := range []bool{false, true} {
		t.Run(fmt.Sprint("checkquorum=", checkQuorum), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) { cfg.CheckQuorum = checkQuorum })
			c.elect(1)
			et := c.nodes[1].rn.raft.electionTimeout

			// Connected: the leader stays however long it leads.
			for i := 0; i < 5*et; i++ {
				c.nodes[1].rn.Tick()
				c.settle(nil)
			}
			require.Equal(t, uint64(1), c.leader())

			c.isolate(1)
			for i := 0; i < 2*et; i++ {
				c.nodes[1].rn.Tick()
				c.settle(nil)
			}
			if checkQuorum {
				require.Equal(t, StateFollower, c.nodes[1].rn.raft.state)
				require.Equal(t, None, c.nodes[1].rn.raft.lead)
			} else {
				require.Equal(t, StateLeader, c.nodes[1].rn.raft.state)
			}
		})
	}
}

// Thesis §4.2.3: with CheckQuorum, a server that heard from a current
// leader within the minimum election timeout neither grants its vote nor
// updates its term for a vote request, so a disruptive server cannot depose
// a healthy leader.
func TestThesis4_2_3LeaderStickiness(t *testing.T) {
	for _, checkQuorum := range []bool{false, true} {
		t.Run(fmt.Sprint("checkquorum=", checkQuorum), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) { cfg.CheckQuorum = checkQuorum })
			c.elect(1)
			term := c.nodes[1].rn.raft.Term

			// Node 3 campaigns at once (say, its timer misfired). Only
			// its vote requests travel.
			require.NoError(t, c.nodes[3].rn.Campaign())
			c.settle(func(m pb.Message) bool { return m.From == 3 && m.Type != pb.MsgVote || m.To == 3 })
			if checkQuorum {
				require.Equal(t, uint64(1), c.leader())
				for _, id := range []uint64{1, 2} {
					require.Equal(t, term, c.nodes[id].rn.raft.Term, "node %d", id)
					require.Equal(t, uint64(1), c.nodes[id].rn.raft.Vote, "node %d", id)
				}
			} else {
				require.Greater(t, c.nodes[1].rn.raft.Term, term)
				require.NotEqual(t, uint64(1), c.leader())
			}
		})
	}
}

// Thesis §3.10: leadership transfer. The leader brings the target's log up
// to date, then tells it to campaign at once (TimeoutNow); the target wins
// the next term. It works with CheckQuorum and PreVote too: a transfer is
// not a disruption.
func TestThesis3_10LeadershipTransfer(t *testing.T) {
	for _, opts := range []struct{ checkQuorum, preVote bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) { cfg.CheckQuorum, cfg.PreVote = opts.checkQuorum, opts.preVote })
			c.elect(1)
			term := c.nodes[1].rn.raft.Term

			// Node 3 is behind: it misses two proposals.
			c.isolate(3)
			require.NoError(t, c.nodes[1].rn.Propose([]byte("a")))
			require.NoError(t, c.nodes[1].rn.Propose([]byte("b")))
			c.settle(nil)
			c.heal()

			c.nodes[1].rn.TransferLeader(3)
			require.Equal(t, uint64(3), c.nodes[1].rn.BasicStatus().LeadTransferee)
			require.ErrorIs(t, c.nodes[1].rn.Propose([]byte("during transfer")), ErrProposalDropped)
			c.settle(nil)

			require.Equal(t, uint64(3), c.leader())
			require.Equal(t, term+1, c.nodes[3].rn.raft.Term)
			require.Equal(t, StateFollower, c.nodes[1].rn.raft.state)
			require.Equal(t, uint64(3), c.nodes[1].rn.raft.lead)
			require.Equal(t, []string{"a", "b"}, c.appliedData(3))

			// The new leader serves proposals.
			require.NoError(t, c.nodes[3].rn.Propose([]byte("c")))
			c.settle(nil)
			for _, id := range c.ids {
				require.Equal(t, []string{"a", "b", "c"}, c.appliedData(id), "node %d", id)
			}
		})
	}
}

// Thesis §3.10: "if the transfer does not complete within an election
// timeout, the prior leader aborts the transfer and resumes accepting client
// requests."
func TestThesis3_10LeadershipTransferTimesOut(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	c.isolate(3)
	ldr := c.nodes[1].rn
	ldr.TransferLeader(3)
	c.settle(nil)
	require.Equal(t, uint64(3), ldr.BasicStatus().LeadTransferee)
	require.ErrorIs(t, ldr.Propose([]byte("x")), ErrProposalDropped)

	for i := 0; i < ldr.raft.electionTimeout; i++ {
		ldr.Tick()
		c.settle(nil)
	}
	require.Equal(t, None, ldr.BasicStatus().LeadTransferee)
	require.Equal(t, StateLeader, ldr.raft.state)
	require.NoError(t, ldr.Propose([]byte("x")))
}

// Thesis §3.10: transfers to a learner, to the leader itself, or to a node
// that is not a member do nothing.
func TestThesis3_10LeadershipTransferToNonCandidates(t *testing.T) {
	st := newTestStorage(t, []uint64{1, 2}, 3)
	rn, err := NewRawNode(testConfig(1, st))
	require.NoError(t, err)
	makeLeader(t, rn, st)
	for _, to := range []uint64{1, 3, 9} {
		rn.TransferLeader(to)
		require.Equal(t, None, rn.BasicStatus().LeadTransferee, "transfer to %d", to)
		msgs, _ := drain(t, rn, st)
		require.Empty(t, pick(msgs, pb.MsgTimeoutNow, None))
		require.Equal(t, StateLeader, rn.raft.state)
	}
}

// Thesis §6.4: a read-only query is served at the commit index as of its
// arrival, once the leader confirmed with a round of heartbeats acknowledged
// by a majority that it was still leader; not before.
func TestThesis6_4ReadIndex(t *testing.T) {
	c := newTestCluster(t, 3, nil)
	c.elect(1)
	ldr := c.nodes[1].rn
	commit := ldr.raft.raftLog.committed

	ldr.ReadIndex([]byte("r"))
	held, reads := c.settleReads(func(m pb.Message) bool { return m.Type == pb.MsgHeartbeatResp })
	require.Empty(t, reads[1], "a read was served before leadership was confirmed")
	require.Len(t, held, 2)

	c.deliver(held[0]) // one follower plus the leader: a majority
	_, reads = c.settleReads(nil)
	require.Equal(t, []ReadState{{Index: commit, RequestCtx: []byte("r")}}, reads[1])
}

// Thesis §6.4.1: with leases, a leader answers reads locally only while a
// majority has acknowledged a heartbeat recent enough that no other leader
// can have been elected since; a leader cut off from the majority loses the
// lease before the others' election timers can expire, and falls back to a
// heartbeat round.
func TestThesis6_4_1LeaseExpires(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.CheckQuorum = true; cfg.ReadOnlyOption = ReadOnlyLeaseBased })
	c.elect(1)
	ldr := c.nodes[1].rn
	ldr.Tick()
	c.settle(nil)
	holdAll := func(pb.Message) bool { return true }

	ldr.ReadIndex([]byte("in lease"))
	_, reads := c.settleReads(holdAll)
	require.Len(t, reads[1], 1, "no lease after an acknowledged heartbeat round")

	c.isolate(1)
	et := ldr.raft.electionTimeout
	// Node 2's election clock runs from the last heartbeat it received;
	// once it expires it may be elected. The lease must be over by then.
	for i := 0; i < et-1; i++ {
		ldr.Tick()
		c.settle(nil)
	}
	require.Equal(t, StateLeader, ldr.raft.state)
	c.heal() // (holdAll keeps everything from being delivered)
	ldr.ReadIndex([]byte("lease over"))
	held, reads := c.settleReads(holdAll)
	require.Empty(t, reads[1], "a read was served from an expired lease")
	require.NotEmpty(t, pick(held, pb.MsgHeartbeat, None), "the read should fall back to a heartbeat round")
}

var _ = tracker.StateProbe
