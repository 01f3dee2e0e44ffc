package confchange

import (
	"errors"
	"fmt"
	"maps"

	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// Changer computes membership changes of a group. It reads Tracker but never
// modifies it: each method works on deep copies of Tracker's Config and
// Progress and returns the new ones, which the caller installs (typically
// only once the change has been applied from the log).
type Changer struct {
	// Tracker is the group's current membership and progress. Only its
	// Config, Progress, MaxInflight and MaxInflightBytes are read.
	Tracker tracker.ProgressTracker
	// LastIndex is the index of the leader's last log entry; a peer that
	// joins starts replicating from there (see initProgress).
	LastIndex uint64
}

// EnterJoint starts a joint-consensus change (Raft thesis, section 4.3): the
// current voters become the outgoing half of a joint configuration, ccs are
// applied to the incoming half (and to the learners), and until the joint
// configuration is left every decision needs a majority of both halves. A
// voter that ccs turn into a learner stays an outgoing voter for now and is
// recorded in LearnersNext. autoLeave asks the leader to propose leaving the
// joint configuration by itself once this one is applied.
//
// It is an error to enter a joint configuration from a joint configuration,
// or from a configuration without voters (there is nothing to carry into the
// outgoing half).
func (c Changer) EnterJoint(autoLeave bool, ccs ...pb.ConfChangeSingle) (tracker.Config, tracker.ProgressMap, error) {
	return prefixed(c.enterJoint(autoLeave, ccs...))
}

// enterJoint is EnterJoint; its errors lack the package prefix.
func (c Changer) enterJoint(autoLeave bool, ccs ...pb.ConfChangeSingle) (tracker.Config, tracker.ProgressMap, error) {
	cfg, prs, err := c.checkAndCopy()
	if err != nil {
		return fail(err)
	}
	if isJoint(cfg) {
		return fail(errors.New("config is already joint"))
	}
	if len(cfg.Voters[0]) == 0 {
		return fail(errors.New("cannot make a config without voters joint"))
	}
	cfg.Voters[1] = maps.Clone(cfg.Voters[0])
	if err := c.apply(&cfg, prs, ccs...); err != nil {
		return fail(err)
	}
	cfg.AutoLeave = autoLeave
	return checkAndReturn(cfg, prs)
}

// LeaveJoint ends a joint-consensus change: the outgoing half is dropped, the
// voters waiting in LearnersNext become learners, and peers that are now
// neither voters nor learners lose their progress. The incoming half is not
// touched, so no peer can become a voter here: every change to the incoming
// majority happened, and was committed under both majorities, when the joint
// configuration was entered.
//
// It is an error to call LeaveJoint outside a joint configuration.
func (c Changer) LeaveJoint() (tracker.Config, tracker.ProgressMap, error) {
	return prefixed(c.leaveJoint())
}

// leaveJoint is LeaveJoint; its errors lack the package prefix.
func (c Changer) leaveJoint() (tracker.Config, tracker.ProgressMap, error) {
	cfg, prs, err := c.checkAndCopy()
	if err != nil {
		return fail(err)
	}
	if !isJoint(cfg) {
		return fail(errors.New("cannot leave a non-joint config"))
	}
	for _, id := range sortedIDs(cfg.LearnersNext) {
		cfg.Learners[id] = struct{}{}
		prs[id].IsLearner = true
	}
	cfg.LearnersNext = map[uint64]struct{}{}
	for id := range cfg.Voters[1] {
		_, isVoter := cfg.Voters[0][id]
		_, isLearner := cfg.Learners[id]
		if !isVoter && !isLearner {
			delete(prs, id)
		}
	}
	cfg.Voters[1] = nil
	cfg.AutoLeave = false
	return checkAndReturn(cfg, prs)
}

// Simple applies ccs directly, without joint consensus. That is safe only
// when the old and the new majority must overlap, which holds when at most
// one voter is added or removed (Raft thesis, section 4.1). Simple therefore
// refuses changes whose incoming voter set differs from the current one by
// more than one member, and refuses to work in a joint configuration (leave
// it first). Any number of learner changes may come along with the one voter
// change, since learners take no part in majorities.
func (c Changer) Simple(ccs ...pb.ConfChangeSingle) (tracker.Config, tracker.ProgressMap, error) {
	return prefixed(c.simple(ccs...))
}

// simple is Simple; its errors lack the package prefix.
func (c Changer) simple(ccs ...pb.ConfChangeSingle) (tracker.Config, tracker.ProgressMap, error) {
	cfg, prs, err := c.checkAndCopy()
	if err != nil {
		return fail(err)
	}
	if isJoint(cfg) {
		return fail(errors.New("cannot apply a simple config change in a joint config"))
	}
	if err := c.apply(&cfg, prs, ccs...); err != nil {
		return fail(err)
	}
	if err := checkInvariants(cfg, prs); err != nil {
		return fail(err)
	}
	if n := symDiff(c.Tracker.Voters[0], cfg.Voters[0]); n > 1 {
		return fail(fmt.Errorf("more than one voter changed without entering joint config: voters %s -> %s",
			c.Tracker.Voters[0], cfg.Voters[0]))
	}
	return nilEmptySets(cfg), prs, nil
}

// Describe writes ccs in the compact form of raftpb.ConfChangesToString,
// for example "v1 l2 r3 u4" (v = add voter, l = add learner, r = remove,
// u = update).
func Describe(ccs ...pb.ConfChangeSingle) string {
	return pb.ConfChangesToString(ccs)
}

// apply applies ccs in order to the incoming half of cfg, the learners and
// prs, which it modifies. The outgoing half is never changed here.
func (c Changer) apply(cfg *tracker.Config, prs tracker.ProgressMap, ccs ...pb.ConfChangeSingle) error {
	for _, cc := range ccs {
		if cc.NodeID == 0 {
			return fmt.Errorf("%s: node ID 0 is reserved (it means \"no node\")", Describe(cc))
		}
		switch cc.Type {
		case pb.ConfChangeAddNode:
			c.makeVoter(cfg, prs, cc.NodeID)
		case pb.ConfChangeAddLearnerNode:
			c.makeLearner(cfg, prs, cc.NodeID)
		case pb.ConfChangeRemoveNode:
			remove(cfg, prs, cc.NodeID)
		case pb.ConfChangeUpdateNode:
			// Nothing to do: an update carries application data (say, a new
			// address) in the change's Context; membership is unchanged.
		default:
			return fmt.Errorf("conf change of unknown type %d for node %d", int32(cc.Type), cc.NodeID)
		}
	}
	return nil
}

// makeVoter makes id a voter of the incoming half: a new peer gets fresh
// progress, a learner (or a voter waiting in LearnersNext) is promoted and
// keeps its progress.
func (c Changer) makeVoter(cfg *tracker.Config, prs tracker.ProgressMap, id uint64) {
	pr := prs[id]
	if pr == nil {
		c.initProgress(cfg, prs, id, false /* isLearner */)
		return
	}
	pr.IsLearner = false
	delete(cfg.Learners, id)
	delete(cfg.LearnersNext, id)
	cfg.Voters[0][id] = struct{}{}
}

// makeLearner makes id a learner. A voter of the incoming half is demoted.
// A peer that stays a voter of the outgoing half cannot be a learner yet (no
// peer is both voter and learner), so it waits in LearnersNext until the
// joint configuration is left.
func (c Changer) makeLearner(cfg *tracker.Config, prs tracker.ProgressMap, id uint64) {
	pr := prs[id]
	if pr == nil {
		c.initProgress(cfg, prs, id, true /* isLearner */)
		return
	}
	if pr.IsLearner {
		return
	}
	dropMembership(cfg, id)
	if _, outgoing := cfg.Voters[1][id]; outgoing {
		cfg.LearnersNext[id] = struct{}{}
		return
	}
	pr.IsLearner = true
	cfg.Learners[id] = struct{}{}
}

// remove takes id out of the incoming half and the learners. Its progress
// stays while it is still a voter of the outgoing half, which needs it to
// count that half's majority. Removing a peer that is not a member does
// nothing.
func remove(cfg *tracker.Config, prs tracker.ProgressMap, id uint64) {
	if prs[id] == nil {
		return
	}
	dropMembership(cfg, id)
	if _, outgoing := cfg.Voters[1][id]; !outgoing {
		delete(prs, id)
	}
}

// dropMembership removes id from every set that the incoming configuration
// owns: the incoming half, Learners and LearnersNext.
func dropMembership(cfg *tracker.Config, id uint64) {
	delete(cfg.Voters[0], id)
	delete(cfg.Learners, id)
	delete(cfg.LearnersNext, id)
}

// initProgress adds id, which has no progress yet, as a voter of the
// incoming half or as a learner, with fresh progress.
//
// The new peer is probed from the leader's last index (Next = LastIndex, at
// least 1): a joining peer most likely has an empty log, and probing from the
// end finds that out after one rejection, which then carries a hint of where
// the peer's log ends. It is marked RecentActive so that a leader checking
// quorum does not count it as unreachable, and step down, before it has had
// a chance to hear from it.
func (c Changer) initProgress(cfg *tracker.Config, prs tracker.ProgressMap, id uint64, isLearner bool) {
	if isLearner {
		cfg.Learners[id] = struct{}{}
	} else {
		cfg.Voters[0][id] = struct{}{}
	}
	prs[id] = &tracker.Progress{
		Next:         max(c.LastIndex, 1),
		Match:        0,
		State:        tracker.StateProbe,
		Inflights:    tracker.NewInflights(c.Tracker.MaxInflight, c.Tracker.MaxInflightBytes),
		IsLearner:    isLearner,
		RecentActive: true,
	}
}

// checkAndCopy returns deep copies of the tracker's Config and Progress,
// after checking that they are consistent (though possibly without voters,
// as a group is before its first configuration is applied). Nil sets are
// made empty, except the outgoing half, which stays nil outside a joint
// configuration.
func (c Changer) checkAndCopy() (tracker.Config, tracker.ProgressMap, error) {
	cfg := c.Tracker.Config.Clone()
	if cfg.Voters[0] == nil {
		cfg.Voters[0] = quorum.MajorityConfig{}
	}
	if cfg.Learners == nil {
		cfg.Learners = map[uint64]struct{}{}
	}
	if cfg.LearnersNext == nil {
		cfg.LearnersNext = map[uint64]struct{}{}
	}
	prs := make(tracker.ProgressMap, len(c.Tracker.Progress))
	for id, pr := range c.Tracker.Progress {
		if pr == nil {
			return tracker.Config{}, nil, fmt.Errorf("input: node %d has a nil progress", id)
		}
		cp := *pr
		if pr.Inflights != nil {
			cp.Inflights = pr.Inflights.Clone()
		}
		prs[id] = &cp
	}
	if err := checkConsistent(cfg, prs); err != nil {
		return tracker.Config{}, nil, fmt.Errorf("input: %w", err)
	}
	return cfg, prs, nil
}

// checkAndReturn returns cfg and prs if they pass checkInvariants, or the
// error.
func checkAndReturn(cfg tracker.Config, prs tracker.ProgressMap) (tracker.Config, tracker.ProgressMap, error) {
	if err := checkInvariants(cfg, prs); err != nil {
		return fail(err)
	}
	return nilEmptySets(cfg), prs, nil
}

// nilEmptySets returns cfg with its empty learner sets as nil maps. Most
// configurations have no learners; nil maps read the same and cost an idle
// group nothing.
func nilEmptySets(cfg tracker.Config) tracker.Config {
	if len(cfg.Learners) == 0 {
		cfg.Learners = nil
	}
	if len(cfg.LearnersNext) == 0 {
		cfg.LearnersNext = nil
	}
	return cfg
}

// fail is the result of a change that is refused.
func fail(err error) (tracker.Config, tracker.ProgressMap, error) {
	return tracker.Config{}, nil, err
}

// prefixed returns its arguments, with the package's name before the error
// if there is one.
func prefixed(cfg tracker.Config, prs tracker.ProgressMap, err error) (tracker.Config, tracker.ProgressMap, error) {
	if err != nil {
		return tracker.Config{}, nil, fmt.Errorf("confchange: %w", err)
	}
	return cfg, prs, nil
}

// isJoint reports whether cfg is a joint configuration.
func isJoint(cfg tracker.Config) bool {
	return len(cfg.Voters[1]) > 0
}

// symDiff returns the number of IDs in exactly one of a and b.
func symDiff(a, b map[uint64]struct{}) int {
	n := 0
	for id := range a {
		if _, ok := b[id]; !ok {
			n++
		}
	}
	for id := range b {
		if _, ok := a[id]; !ok {
			n++
		}
	}
	return n
}
