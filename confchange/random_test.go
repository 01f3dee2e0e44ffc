package confchange

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
	"github.com/stretchr/testify/require"
)

// model is a deliberately naive oracle for the Changer. It remembers, for
// every node, the role the latest change gave it in the incoming
// configuration, plus the outgoing voters frozen when the joint
// configuration was entered. Everything else is derived from those:
//
//	incoming voters  nodes whose role is voter
//	outgoing voters  the frozen set
//	learners         nodes whose role is learner and that are not outgoing voters
//	learners_next    nodes whose role is learner and that are outgoing voters
//	progress         every node in any of the above
type model struct {
	role      map[uint64]pb.ConfChangeType // ConfChangeAddNode or ConfChangeAddLearnerNode
	outgoing  map[uint64]struct{}
	autoLeave bool
}

func (m model) clone() model {
	c := model{role: map[uint64]pb.ConfChangeType{}, autoLeave: m.autoLeave}
	for id, r := range m.role {
		c.role[id] = r
	}
	if m.outgoing != nil {
		c.outgoing = maps.Clone(m.outgoing)
	}
	return c
}

func (m model) voters() map[uint64]struct{} {
	v := map[uint64]struct{}{}
	for id, r := range m.role {
		if r == pb.ConfChangeAddNode {
			v[id] = struct{}{}
		}
	}
	return v
}

// apply plays ccs on the roles; false if a change is invalid.
func (m model) apply(ccs []pb.ConfChangeSingle) bool {
	for _, cc := range ccs {
		if cc.NodeID == 0 {
			return false
		}
		switch cc.Type {
		case pb.ConfChangeAddNode, pb.ConfChangeAddLearnerNode:
			m.role[cc.NodeID] = cc.Type
		case pb.ConfChangeRemoveNode:
			delete(m.role, cc.NodeID)
		case pb.ConfChangeUpdateNode:
		default:
			return false
		}
	}
	return true
}

// config renders the model the way tracker.Config.String does.
func (m model) config() string {
	cfg := tracker.Config{
		Voters:       quorum.JointConfig{quorum.MajorityConfig(m.voters()), quorum.MajorityConfig(m.outgoing)},
		Learners:     map[uint64]struct{}{},
		LearnersNext: map[uint64]struct{}{},
		AutoLeave:    m.autoLeave,
	}
	for id, r := range m.role {
		if r != pb.ConfChangeAddLearnerNode {
			continue
		}
		if _, ok := m.outgoing[id]; ok {
			cfg.LearnersNext[id] = struct{}{}
		} else {
			cfg.Learners[id] = struct{}{}
		}
	}
	return cfg.String()
}

// members renders the progress the model expects, as membersOf does.
func (m model) members() string {
	prs := tracker.ProgressMap{}
	for id := range m.outgoing {
		prs[id] = &tracker.Progress{}
	}
	for id, r := range m.role {
		_, outgoing := m.outgoing[id]
		prs[id] = &tracker.Progress{IsLearner: r == pb.ConfChangeAddLearnerNode && !outgoing}
	}
	return membersOf(prs)
}

// simple returns the model after Simple(ccs), or false if it is refused.
func (m model) simple(ccs []pb.ConfChangeSingle) (model, bool) {
	if len(m.outgoing) > 0 {
		return m, false
	}
	next := m.clone()
	if !next.apply(ccs) || len(next.voters()) == 0 {
		return m, false
	}
	changed := 0
	for id := range next.role {
		_, was := m.voters()[id]
		_, is := next.voters()[id]
		if was != is {
			changed++
		}
	}
	for id := range m.role {
		if _, still := next.role[id]; !still && m.role[id] == pb.ConfChangeAddNode {
			changed++ // a voter removed
		}
	}
	if changed > 1 {
		return m, false
	}
	return next, true
}

// enterJoint returns the model after EnterJoint, or false if it is refused.
func (m model) enterJoint(autoLeave bool, ccs []pb.ConfChangeSingle) (model, bool) {
	if len(m.outgoing) > 0 || len(m.voters()) == 0 {
		return m, false
	}
	next := m.clone()
	next.outgoing = m.voters()
	next.autoLeave = autoLeave
	if !next.apply(ccs) || len(next.voters()) == 0 {
		return m, false
	}
	return next, true
}

// leaveJoint returns the model after LeaveJoint, or false if it is refused.
func (m model) leaveJoint() (model, bool) {
	if len(m.outgoing) == 0 {
		return m, false
	}
	next := m.clone()
	next.outgoing = nil
	next.autoLeave = false
	return next, true
}

// randomChanges returns 0 to 4 changes of nodes 1 to 6; now and then one
// with node ID 0 or an unknown type.
func randomChanges(rng *rand.Rand) []pb.ConfChangeSingle {
	types := []pb.ConfChangeType{pb.ConfChangeAddNode, pb.ConfChangeAddLearnerNode, pb.ConfChangeRemoveNode, pb.ConfChangeUpdateNode}
	n := rng.IntN(5)
	ccs := make([]pb.ConfChangeSingle, n)
	for i := range ccs {
		ccs[i] = pb.ConfChangeSingle{Type: types[rng.IntN(len(types))], NodeID: 1 + rng.Uint64N(6)}
		switch rng.IntN(50) {
		case 0:
			ccs[i].NodeID = 0
		case 1:
			ccs[i].Type = pb.ConfChangeType(4 + rng.IntN(10))
		}
	}
	return ccs
}

// TestRandomAgainstModel applies random change sequences, valid and not, and
// checks each result against the naive model: the same changes are refused,
// and accepted ones give the same configuration and members. After each
// accepted change it also checks that Restore of the result's ConfState
// gives the same configuration and members back, and that progress of
// nodes that stay members is carried over, not recreated.
func TestRandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(20240601, 7))
	const sequences, steps = 300, 40
	var accepted, refused [3]int
	for seq := 0; seq < sequences; seq++ {
		tr := tracker.MakeProgressTracker(3, 0)
		m := model{role: map[uint64]pb.ConfChangeType{}}
		var history []string
		for step := 0; step < steps; step++ {
			lastIndex := uint64(seq*steps + step + 1)
			chg := Changer{Tracker: tr, LastIndex: lastIndex}
			before := cloneTracker(tr)

			var cfg tracker.Config
			var prs tracker.ProgressMap
			var err error
			var next model
			var ok bool
			var kind int
			var cc []pb.ConfChangeSingle
			// In a joint config, mostly leave it; else mostly change.
			r := rng.IntN(10)
			switch {
			case len(m.outgoing) > 0 && r < 7, len(m.outgoing) == 0 && r == 0:
				kind = 2
				history = append(history, "leave-joint")
				cfg, prs, err = chg.LeaveJoint()
				next, ok = m.leaveJoint()
			case r < 5:
				kind = 0
				cc = randomChanges(rng)
				history = append(history, "simple "+Describe(cc...))
				cfg, prs, err = chg.Simple(cc...)
				next, ok = m.simple(cc)
			default:
				kind = 1
				cc = randomChanges(rng)
				autoLeave := rng.IntN(2) == 0
				history = append(history, fmt.Sprintf("enter-joint autoleave=%t %s", autoLeave, Describe(cc...)))
				cfg, prs, err = chg.EnterJoint(autoLeave, cc...)
				next, ok = m.enterJoint(autoLeave, cc)
			}
			where := func() string {
				return fmt.Sprintf("sequence %d, after:\n%s\nstarting from %s", seq, joinLines(history), before.Config)
			}
			require.Equal(t, before, tr, "input modified; %s", where())
			require.Equal(t, ok, err == nil, "model accepts: %t, Changer: %v; %s", ok, err, where())
			if err != nil {
				refused[kind]++
				continue
			}
			accepted[kind]++
			require.NoError(t, checkInvariants(cfg, prs), where())
			require.Equal(t, next.config(), cfg.String(), where())
			require.Equal(t, next.members(), membersOf(prs), where())
			for id, pr := range prs {
				if old, ok := tr.Progress[id]; ok && pr.Next != old.Next {
					// Only a change that removed the node (while it was no
					// outgoing voter) and added it again recreates its
					// progress.
					removed := slices.Contains(cc, pb.ConfChangeSingle{Type: pb.ConfChangeRemoveNode, NodeID: id})
					_, outgoing := cfg.Voters[1][id]
					require.True(t, removed && !outgoing, "progress of %d recreated; %s", id, where())
					require.Equal(t, lastIndex, pr.Next, where())
				}
			}

			tr.Config, tr.Progress = cfg, prs
			m = next
			require.Empty(t, checkRestore(tr, lastIndex), where())
		}
	}
	t.Logf("simple: %d accepted, %d refused; enter-joint: %d accepted, %d refused; leave-joint: %d accepted, %d refused",
		accepted[0], refused[0], accepted[1], refused[1], accepted[2], refused[2])
	for kind := range accepted {
		// Make sure the generator exercises both outcomes of every operation.
		require.Greater(t, accepted[kind], 100)
		require.Greater(t, refused[kind], 50)
	}
}

// TestRandomRestore restores random, mostly malformed, ConfStates (lists
// with duplicates, overlaps, zero IDs, stray learners_next and autoleave).
// Restore must return an error or a configuration that passes the
// invariants and is Equivalent to the ConfState; it must never panic.
func TestRandomRestore(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 1999))
	list := func() []uint64 {
		var ids []uint64
		for n := rng.IntN(4); n > 0; n-- {
			ids = append(ids, rng.Uint64N(6)) // 0 included on purpose
		}
		return ids
	}
	ok := 0
	for i := 0; i < 5000; i++ {
		cs := pb.ConfState{Voters: list(), Learners: list(), AutoLeave: rng.IntN(3) == 0}
		if rng.IntN(2) == 0 {
			cs.VotersOutgoing = list()
			cs.LearnersNext = list()
		}
		input := pb.ConfState{
			Voters: slices.Clone(cs.Voters), Learners: slices.Clone(cs.Learners),
			VotersOutgoing: slices.Clone(cs.VotersOutgoing), LearnersNext: slices.Clone(cs.LearnersNext),
			AutoLeave: cs.AutoLeave,
		}
		empty := Changer{Tracker: tracker.MakeProgressTracker(2, 0), LastIndex: 3}
		var cfg tracker.Config
		var prs tracker.ProgressMap
		var err error
		require.NotPanics(t, func() { cfg, prs, err = Restore(empty, cs) }, describeConfState(cs))
		require.Equal(t, input, cs, "Restore modified its ConfState")
		if err != nil {
			continue
		}
		ok++
		if cs.Equivalent(pb.ConfState{}) == nil {
			// Only the empty ConfState restores to a group without voters.
			require.NoError(t, checkConsistent(cfg, prs))
			require.Empty(t, prs)
			continue
		}
		require.NoError(t, checkInvariants(cfg, prs), describeConfState(cs))
		tr := tracker.ProgressTracker{Config: cfg, Progress: prs}
		require.NoError(t, tr.ConfState().Equivalent(cs), describeConfState(cs))
	}
	t.Logf("%d of 5000 random ConfStates were restorable", ok)
	require.Greater(t, ok, 200)
}

func joinLines(lines []string) string {
	var s string
	for _, l := range lines {
		s += "  " + l + "\n"
	}
	return s
}
