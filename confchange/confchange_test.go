package confchange

import (
	"testing"

	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
	"github.com/stretchr/testify/require"
)

// ccs parses changes in the compact form, failing the test on a typo.
func ccs(t *testing.T, s string) []pb.ConfChangeSingle {
	t.Helper()
	out, err := pb.ConfChangesFromString(s)
	require.NoError(t, err)
	return out
}

// set builds an ID set.
func set(ids ...uint64) map[uint64]struct{} {
	s := make(map[uint64]struct{}, len(ids))
	for _, id := range ids {
		s[id] = struct{}{}
	}
	return s
}

// busyJointTracker returns a joint tracker in which every kind of member
// exists and progress carries state (matches, an in-flight window with
// messages, a pending snapshot, votes), so that any modification shows.
//
//	voters=(1 2 4)&&(1 2 3) learners=(5) learners_next=(3) autoleave
func busyJointTracker() tracker.ProgressTracker {
	tr := tracker.MakeProgressTracker(4, 1000)
	tr.Voters = quorum.JointConfig{quorum.MajorityConfig(set(1, 2, 4)), quorum.MajorityConfig(set(1, 2, 3))}
	tr.Learners = set(5)
	tr.LearnersNext = set(3)
	tr.AutoLeave = true
	for id := uint64(1); id <= 5; id++ {
		in := tracker.NewInflights(4, 1000)
		in.Add(10+id, 100)
		in.Add(11+id, 100)
		tr.Progress[id] = &tracker.Progress{
			Match: 9 + id, Next: 12 + id, State: tracker.StateReplicate,
			RecentActive: id%2 == 0, Inflights: in, IsLearner: id == 5,
		}
	}
	tr.Progress[4].State = tracker.StateSnapshot
	tr.Progress[4].PendingSnapshot = 20
	tr.Progress[4].Inflights = tracker.NewInflights(4, 1000)
	tr.Votes[1] = true
	tr.Votes[2] = false
	return tr
}

// busySimpleTracker is busyJointTracker after leaving the joint config:
//
//	voters=(1 2 4) learners=(3 5)
func busySimpleTracker(t *testing.T) tracker.ProgressTracker {
	tr := busyJointTracker()
	cfg, prs, err := Changer{Tracker: tr}.LeaveJoint()
	require.NoError(t, err)
	tr.Config, tr.Progress = cfg, prs
	return tr
}

// TestInputNotMutated runs every operation, successful or refused, on
// trackers full of state and checks that the input is unchanged, and that
// the result shares no memory with it.
func TestInputNotMutated(t *testing.T) {
	type op struct {
		name string
		run  func(Changer) (tracker.Config, tracker.ProgressMap, error)
	}
	ops := []op{
		{"simple-add", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.Simple(ccs(t, "v6")...) }},
		{"simple-demote", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.Simple(ccs(t, "l1 u2")...) }},
		{"simple-promote", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.Simple(ccs(t, "v5")...) }},
		{"simple-remove", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.Simple(ccs(t, "r2 r3")...) }},
		{"simple-too-many", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.Simple(ccs(t, "r1 r2 v7")...) }},
		{"simple-zero", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.Simple(ccs(t, "r1 v0")...) }},
		{"enter", func(c Changer) (tracker.Config, tracker.ProgressMap, error) {
			return c.EnterJoint(true, ccs(t, "r1 l2 v3 v6 l7 r5")...)
		}},
		{"enter-remove-all", func(c Changer) (tracker.Config, tracker.ProgressMap, error) {
			return c.EnterJoint(false, ccs(t, "r1 r2 r4 l5")...)
		}},
		{"leave", func(c Changer) (tracker.Config, tracker.ProgressMap, error) { return c.LeaveJoint() }},
		{"restore", func(c Changer) (tracker.Config, tracker.ProgressMap, error) {
			// Restoring on top of a non-empty tracker works if the result
			// matches; here it need not.
			return Restore(c, pb.ConfState{Voters: []uint64{1, 2, 4}, Learners: []uint64{3, 5}})
		}},
	}
	for _, start := range []struct {
		name string
		tr   tracker.ProgressTracker
	}{
		{"joint", busyJointTracker()},
		{"simple", busySimpleTracker(t)},
	} {
		for _, o := range ops {
			t.Run(start.name+"/"+o.name, func(t *testing.T) {
				before := cloneTracker(start.tr)
				require.Equal(t, before, start.tr)
				chg := Changer{Tracker: start.tr, LastIndex: 30}
				cfg, prs, err := o.run(chg)
				require.Equal(t, before, start.tr, "input modified")
				if err != nil {
					t.Logf("refused: %v", err)
					require.Nil(t, prs)
					require.Equal(t, tracker.Config{}, cfg)
					return
				}
				// Scribble over the result; the input must not see it.
				for id, pr := range prs {
					require.NotSame(t, start.tr.Progress[id], pr, "progress of %d shared", id)
					if old := start.tr.Progress[id]; old != nil {
						require.NotSame(t, old.Inflights, pr.Inflights, "inflights of %d shared", id)
					}
					pr.Match, pr.Next, pr.IsLearner = 1000, 1001, !pr.IsLearner
					pr.Inflights.FreeLE(1 << 60)
				}
				for i := range cfg.Voters {
					for id := range cfg.Voters[i] {
						delete(cfg.Voters[i], id)
					}
					if cfg.Voters[i] != nil {
						cfg.Voters[i][99] = struct{}{}
					}
				}
				if cfg.Learners != nil {
					cfg.Learners[98] = struct{}{}
				}
				if cfg.LearnersNext != nil {
					cfg.LearnersNext[97] = struct{}{}
				}
				prs[96] = &tracker.Progress{}
				require.Equal(t, before, start.tr, "input shares memory with the result")
			})
		}
	}
}

func TestZeroChanger(t *testing.T) {
	// The zero Changer (nil maps everywhere) is an empty group.
	cfg, prs, err := Changer{}.Simple(ccs(t, "v1 l2")...)
	require.NoError(t, err)
	require.Equal(t, "voters=(1) learners=(2)", cfg.String())
	require.Len(t, prs, 2)
	require.True(t, prs[2].IsLearner)
	require.NotNil(t, prs[1].Inflights)

	_, _, err = Changer{}.LeaveJoint()
	require.EqualError(t, err, "confchange: cannot leave a non-joint config")
	_, _, err = Changer{}.EnterJoint(false, ccs(t, "v1")...)
	require.EqualError(t, err, "confchange: cannot make a config without voters joint")

	cfg, prs, err = Restore(Changer{}, pb.ConfState{})
	require.NoError(t, err)
	require.Empty(t, prs)
	require.Equal(t, "voters=()", cfg.String())
}

func TestNewProgress(t *testing.T) {
	tr := tracker.MakeProgressTracker(7, 512)
	for _, tc := range []struct {
		lastIndex, next uint64
	}{{0, 1}, {1, 1}, {42, 42}} {
		_, prs, err := Changer{Tracker: tr, LastIndex: tc.lastIndex}.Simple(ccs(t, "v1 l2")...)
		require.NoError(t, err)
		for id, learner := range map[uint64]bool{1: false, 2: true} {
			pr := prs[id]
			require.Equal(t, uint64(0), pr.Match)
			require.Equal(t, tc.next, pr.Next)
			require.Equal(t, tracker.StateProbe, pr.State)
			require.True(t, pr.RecentActive)
			require.Equal(t, learner, pr.IsLearner)
			require.False(t, pr.MsgAppFlowPaused)
			require.Zero(t, pr.PendingSnapshot)
			// The window is empty and sized by the tracker: 7 messages fit,
			// the 8th does not.
			require.Zero(t, pr.Inflights.Count())
			for i := uint64(1); i <= 7; i++ {
				require.False(t, pr.Inflights.Full())
				pr.Inflights.Add(i, 1)
			}
			require.True(t, pr.Inflights.Full())
		}
	}
}

func TestUnknownChangeType(t *testing.T) {
	tr := tracker.MakeProgressTracker(1, 0)
	bad := pb.ConfChangeSingle{Type: pb.ConfChangeType(7), NodeID: 3}
	_, _, err := Changer{Tracker: tr}.Simple(pb.ConfChangeSingle{Type: pb.ConfChangeAddNode, NodeID: 1}, bad)
	require.EqualError(t, err, "confchange: conf change of unknown type 7 for node 3")
	_, _, err = Changer{Tracker: busySimpleTracker(t)}.EnterJoint(false, bad)
	require.EqualError(t, err, "confchange: conf change of unknown type 7 for node 3")
}

func TestDescribe(t *testing.T) {
	require.Equal(t, "", Describe())
	require.Equal(t, "v1 l2 r3 u4", Describe(ccs(t, "v1 l2 r3 u4")...))
}

// TestInconsistentInput checks that a tracker breaking the rules is refused
// whatever the operation, rather than made worse.
func TestInconsistentInput(t *testing.T) {
	tr := busySimpleTracker(t)
	delete(tr.Progress, 2)
	for name, run := range map[string]func(Changer) error{
		"simple": func(c Changer) error { _, _, err := c.Simple(); return err },
		"enter":  func(c Changer) error { _, _, err := c.EnterJoint(false); return err },
		"leave":  func(c Changer) error { _, _, err := c.LeaveJoint(); return err },
		"restore": func(c Changer) error {
			_, _, err := Restore(c, pb.ConfState{Voters: []uint64{1}})
			return err
		},
	} {
		err := run(Changer{Tracker: tr})
		require.ErrorContains(t, err, "input: node 2 is a member but has no progress", name)
	}

	tr = busySimpleTracker(t)
	tr.Progress[3] = nil
	_, _, err := Changer{Tracker: tr}.Simple()
	require.ErrorContains(t, err, "input: node 3 has a nil progress")
}

// TestCheckInvariants breaks each rule of checkInvariants once.
func TestCheckInvariants(t *testing.T) {
	pr := func(learner bool) *tracker.Progress {
		return &tracker.Progress{Next: 1, Inflights: tracker.NewInflights(1, 0), IsLearner: learner}
	}
	// good is voters=(1 2)&&(1 3) learners=(4) learners_next=(3) autoleave.
	good := func() (tracker.Config, tracker.ProgressMap) {
		return tracker.Config{
				Voters:       quorum.JointConfig{quorum.MajorityConfig(set(1, 2)), quorum.MajorityConfig(set(1, 3))},
				Learners:     set(4),
				LearnersNext: set(3),
				AutoLeave:    true,
			}, tracker.ProgressMap{
				1: pr(false), 2: pr(false), 3: pr(false), 4: pr(true),
			}
	}
	cfg, prs := good()
	require.NoError(t, checkInvariants(cfg, prs))

	for _, tc := range []struct {
		name   string
		mutate func(*tracker.Config, tracker.ProgressMap)
		err    string
	}{
		{"voter-without-progress", func(c *tracker.Config, p tracker.ProgressMap) { delete(p, 2) },
			"node 2 is a member but has no progress"},
		{"outgoing-voter-without-progress", func(c *tracker.Config, p tracker.ProgressMap) { delete(p, 3) },
			"node 3 is a member but has no progress"},
		{"learner-without-progress", func(c *tracker.Config, p tracker.ProgressMap) { delete(p, 4) },
			"node 4 is a member but has no progress"},
		{"progress-without-member", func(c *tracker.Config, p tracker.ProgressMap) { p[9] = pr(false) },
			"node 9 has progress but is not a member"},
		{"voter-marked-learner", func(c *tracker.Config, p tracker.ProgressMap) { p[2].IsLearner = true },
			"node 2: progress says IsLearner=true, but it is not in the learners"},
		{"learner-not-marked", func(c *tracker.Config, p tracker.ProgressMap) { p[4].IsLearner = false },
			"node 4: progress says IsLearner=false, but it is in the learners"},
		{"learners-next-marked", func(c *tracker.Config, p tracker.ProgressMap) { p[3].IsLearner = true },
			"node 3: progress says IsLearner=true, but it is not in the learners"},
		{"learner-and-incoming-voter", func(c *tracker.Config, p tracker.ProgressMap) {
			c.Learners[2] = struct{}{}
			p[2].IsLearner = true
		}, "node 2 is both a learner and a voter of the incoming config"},
		{"learner-and-outgoing-voter", func(c *tracker.Config, p tracker.ProgressMap) {
			delete(c.LearnersNext, 3)
			c.Learners[3] = struct{}{}
			p[3].IsLearner = true
		}, "node 3 is both a learner and a voter of the outgoing config"},
		{"learners-next-not-outgoing", func(c *tracker.Config, p tracker.ProgressMap) { c.LearnersNext[2] = struct{}{} },
			"node 2 is in learners_next but not an outgoing voter"},
		{"learners-next-incoming", func(c *tracker.Config, p tracker.ProgressMap) { c.LearnersNext[1] = struct{}{} },
			"node 1 is in learners_next but an incoming voter"},
		{"learners-next-not-joint", func(c *tracker.Config, p tracker.ProgressMap) {
			c.Voters[0][3] = struct{}{}
			c.Voters[1] = nil
			c.LearnersNext = set()
			c.LearnersNext[3] = struct{}{}
		}, "node 3 is in learners_next but not an outgoing voter"},
		{"autoleave-not-joint", func(c *tracker.Config, p tracker.ProgressMap) {
			c.Voters[0][3] = struct{}{}
			c.Voters[1] = quorum.MajorityConfig{}
			c.LearnersNext = nil
		}, "autoleave is set outside a joint config"},
		{"no-voters", func(c *tracker.Config, p tracker.ProgressMap) {
			c.Voters[0] = nil
			delete(p, 2)
		}, "removed all voters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, prs := good()
			tc.mutate(&cfg, prs)
			require.EqualError(t, checkInvariants(cfg, prs), tc.err)
		})
	}

	// A group without voters is consistent (that is where it starts), but
	// not a valid result.
	require.NoError(t, checkConsistent(tracker.Config{}, nil))
	require.EqualError(t, checkInvariants(tracker.Config{}, nil), "removed all voters")
}

// Results without learners carry nil learner sets: an idle group should not
// hold two empty maps.
func TestEmptyLearnerSetsAreNil(t *testing.T) {
	c := Changer{Tracker: tracker.MakeProgressTracker(10, 0), LastIndex: 5}
	cfg, prs, err := c.Simple(pb.ConfChangeSingle{Type: pb.ConfChangeAddNode, NodeID: 1})
	require.NoError(t, err)
	require.Nil(t, cfg.Learners)
	require.Nil(t, cfg.LearnersNext)

	c.Tracker.Config, c.Tracker.Progress = cfg, prs
	cfg, _, err = c.Simple(pb.ConfChangeSingle{Type: pb.ConfChangeAddLearnerNode, NodeID: 2})
	require.NoError(t, err)
	require.Len(t, cfg.Learners, 1)
	require.Nil(t, cfg.LearnersNext)
}
