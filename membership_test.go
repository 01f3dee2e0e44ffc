package raft

import (
	"math/rand/v2"
	"testing"

	"github.com/raftcore/raft/confchange"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
	"github.com/stretchr/testify/require"
)

// TestRemovedLeaderHandsOver: with StepDownOnRemoval, a leader that applies
// its own removal sends MsgTimeoutNow to a caught-up voter, so a new leader
// is elected without waiting for an election timeout (no ticks here).
// Without it, the leader keeps leading (the compatible behaviour).
func TestRemovedLeaderHandsOver(t *testing.T) {
	for _, stepDown := range []bool{false, true} {
		t.Run(map[bool]string{false: "keep-leading", true: "step-down"}[stepDown], func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) { cfg.StepDownOnRemoval = stepDown })
			require.NoError(t, c.nodes[1].rn.Campaign())
			c.stabilize()
			require.NoError(t, c.nodes[1].rn.ProposeConfChange(pb.ConfChange{Type: pb.ConfChangeRemoveNode, NodeID: 1}))
			c.stabilize()
			if !stepDown {
				require.Equal(t, StateLeader, c.nodes[1].rn.raft.state)
				require.Equal(t, uint64(1), c.leader())
				return
			}
			require.Equal(t, StateFollower, c.nodes[1].rn.raft.state)
			lead := c.nodes[2].rn.raft.lead
			require.Equal(t, uint64(2), lead, "the lowest caught-up voter takes over at once")
			require.Equal(t, StateLeader, c.nodes[2].rn.raft.state)
			require.Equal(t, lead, c.nodes[3].rn.raft.lead)
		})
	}
}

// TestSnapshotPostponedWhileApplying: with async storage writes, a follower
// whose apply thread holds a configuration change must not install a
// snapshot yet: applying the older change afterwards would move the
// configuration backwards.
func TestSnapshotPostponedWhileApplying(t *testing.T) {
	st := NewMemoryStorage()
	require.NoError(t, st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}))
	cfg := testConfig(2, st)
	cfg.AsyncStorageWrites = true
	rn, err := NewRawNode(cfg)
	require.NoError(t, err)

	cc, err := (&pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: 4}).Marshal()
	require.NoError(t, err)
	require.NoError(t, rn.Step(pb.Message{From: 1, To: 2, Type: pb.MsgApp, Term: 2, LogTerm: 1, Index: 1, Commit: 2,
		Entries: []pb.Entry{{Term: 2, Index: 2, Type: pb.EntryConfChange, Data: cc}}}))
	// The append thread persists the entry; then the entry goes to the
	// apply thread.
	var apply pb.Message
	for i := 0; i < 3 && apply.Type != pb.MsgStorageApply; i++ {
		rd := rn.Ready()
		for _, m := range rd.Messages {
			switch m.To {
			case LocalAppendThread:
				require.NoError(t, st.Append(m.Entries))
				for _, resp := range m.Responses {
					if resp.To == 2 {
						require.NoError(t, rn.Step(resp))
					}
				}
			case LocalApplyThread:
				apply = m
			}
		}
	}
	require.Equal(t, pb.MsgStorageApply, apply.Type, "the conf change should be out for applying")

	// A snapshot of a later configuration arrives meanwhile.
	snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 10, Term: 2, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3, 4, 5}}}}
	require.NoError(t, rn.Step(pb.Message{From: 1, To: 2, Type: pb.MsgSnap, Term: 2, Snapshot: &snap}))
	require.Equal(t, uint64(2), rn.raft.raftLog.committed, "the snapshot must be postponed")
	rd := rn.Ready()
	require.Len(t, rd.Messages, 1)
	// The answer tells the leader how far the follower is: it will resend.
	require.Equal(t, pb.MsgStorageAppend, rd.Messages[0].Type)

	// The apply thread applies the change as documented, then reports.
	rn.ApplyConfChange(pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: 4})
	for _, resp := range apply.Responses {
		require.NoError(t, rn.Step(resp))
	}
	// Now the resent snapshot is installed, and the configuration is the
	// snapshot's, not older.
	require.NoError(t, rn.Step(pb.Message{From: 1, To: 2, Type: pb.MsgSnap, Term: 2, Snapshot: &snap}))
	require.Equal(t, uint64(10), rn.raft.raftLog.committed)
	require.NoError(t, rn.raft.confState().Equivalent(snap.Metadata.ConfState))
}

// TestConfChangeValidationAgainstLogReplay proposes random configuration
// changes to a leader and checks each accept/refuse decision against a
// reference that knows nothing of the leader's bookkeeping: it replays the
// configuration changes in the leader's log. A change is valid iff no
// configuration change in the log is unapplied and the change applies
// cleanly to the configuration the log's applied changes produce.
func TestConfChangeValidationAgainstLogReplay(t *testing.T) {
	rnd := rand.New(rand.NewPCG(7, 11))
	c := newTestCluster(t, 5, nil)
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.stabilize()
	leader := c.nodes[1].rn
	accepted, refused := 0, 0
	for step := 0; step < 400; step++ {
		cc := randomConfChange(rnd)
		want := referenceConfChangeValid(t, leader, cc)
		before := leader.raft.raftLog.lastIndex()
		require.NoError(t, leader.ProposeConfChange(cc))
		ents, err := leader.raft.raftLog.slice(before+1, leader.raft.raftLog.lastIndex()+1, noLimit)
		require.NoError(t, err)
		require.Len(t, ents, 1)
		got := ents[0].Type != pb.EntryNormal
		require.Equal(t, want, got, "step %d: %s", step, pb.ConfChangesToString(cc.AsV2().Changes))
		if got {
			accepted++
		} else {
			refused++
		}
		// Sometimes let the change apply (and auto-leave happen), sometimes
		// propose again while it is pending.
		if rnd.IntN(3) > 0 {
			c.stabilize()
		}
	}
	require.Positive(t, accepted)
	require.Positive(t, refused)
}

// randomConfChange makes a change of nodes 2..5 (never the leader, 1).
func randomConfChange(rnd *rand.Rand) pb.ConfChangeI {
	n := rnd.IntN(3) // 0 changes means "leave joint" for a V2
	var ccs []pb.ConfChangeSingle
	for i := 0; i < n; i++ {
		typ := []pb.ConfChangeType{pb.ConfChangeAddNode, pb.ConfChangeAddLearnerNode, pb.ConfChangeRemoveNode}[rnd.IntN(3)]
		ccs = append(ccs, pb.ConfChangeSingle{Type: typ, NodeID: 2 + uint64(rnd.IntN(4))})
	}
	if n == 1 && rnd.IntN(2) == 0 {
		return pb.ConfChange{Type: ccs[0].Type, NodeID: ccs[0].NodeID}
	}
	tr := []pb.ConfChangeTransition{pb.ConfChangeTransitionAuto, pb.ConfChangeTransitionJointImplicit, pb.ConfChangeTransitionJointExplicit}[rnd.IntN(3)]
	return pb.ConfChangeV2{Transition: tr, Changes: ccs}
}

// referenceConfChangeValid replays the leader's log from the initial
// configuration.
func referenceConfChangeValid(t *testing.T, rn *RawNode, cc pb.ConfChangeI) bool {
	l := rn.raft.raftLog
	ents, err := l.slice(l.firstIndex(), l.lastIndex()+1, noLimit)
	require.NoError(t, err)
	trk := tracker.MakeProgressTracker(256, 0)
	cfg, prs, err := confchange.Restore(confchange.Changer{Tracker: trk, LastIndex: 1}, pb.ConfState{Voters: []uint64{1, 2, 3, 4, 5}})
	require.NoError(t, err)
	trk.Config, trk.Progress = cfg, prs
	for _, e := range ents {
		if e.Type != pb.EntryConfChange && e.Type != pb.EntryConfChangeV2 {
			continue
		}
		if e.Index > l.applied {
			return false // a change is pending
		}
		c, err := decodeConfChange(&e)
		require.NoError(t, err)
		if cfg, prs, err := applyReference(trk, c.AsV2()); err == nil {
			trk.Config, trk.Progress = cfg, prs
		}
	}
	_, _, err = applyReference(trk, cc.AsV2())
	return err == nil
}

func applyReference(trk tracker.ProgressTracker, cc pb.ConfChangeV2) (tracker.Config, tracker.ProgressMap, error) {
	chg := confchange.Changer{Tracker: trk, LastIndex: 1}
	if cc.LeaveJoint() {
		return chg.LeaveJoint()
	}
	if autoLeave, ok := cc.EnterJoint(); ok {
		return chg.EnterJoint(autoLeave, cc.Changes...)
	}
	return chg.Simple(cc.Changes...)
}

// TestRemovedLeaderWaitsForCaughtUpVoter: a leader that applies its own
// removal while no remaining voter holds its whole log leads on (accepting
// no proposals) and hands over once one catches up. Stepping down at once
// could leave the remaining voters unable to win any vote, since removed
// nodes with longer logs never campaign (found by the simulator).
func TestRemovedLeaderWaitsForCaughtUpVoter(t *testing.T) {
	c := newTestCluster(t, 3, func(cfg *Config) { cfg.StepDownOnRemoval = true })
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.stabilize()
	deliver := func(to uint64) {
		var keep []pb.Message
		for _, m := range c.msgs {
			if m.To == to {
				require.NoError(t, c.nodes[to].rn.Step(m))
			} else {
				keep = append(keep, m)
			}
		}
		c.msgs = keep
	}
	leader := c.nodes[1].rn
	require.NoError(t, leader.ProposeConfChange(pb.ConfChange{Type: pb.ConfChangeRemoveNode, NodeID: 1}))
	c.handleReady(1)
	deliver(2) // 3 gets nothing
	c.handleReady(2)
	deliver(1) // 2's ack commits the removal
	// Before applying it, the leader appends one more entry nobody has.
	require.NoError(t, leader.Propose([]byte("x")))
	c.handleReady(1) // applies the removal
	r := leader.raft
	require.Equal(t, StateLeader, r.state, "no voter holds the whole log: lead on")
	require.True(t, r.stepDownPending)
	require.ErrorIs(t, leader.Propose([]byte("y")), ErrProposalDropped)

	// Once 2 catches up, 1 hands over; no election timeout needed.
	c.stabilize()
	require.Equal(t, StateFollower, r.state)
	require.Equal(t, uint64(2), c.leader())
}
