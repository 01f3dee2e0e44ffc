package confchange

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// Restore rebuilds the configuration described by cs, as a node does when
// it starts from a snapshot or from its persisted state. It starts from
// chg.Tracker, normally an empty tracker, and replays changes that lead to
// cs: a simple change per member when cs is not joint; otherwise a simple
// change per outgoing voter, then one EnterJoint that yields cs's incoming
// half, learners and learners-next. New progress is created as by the
// Changer's other methods.
//
// Building cs from changes, rather than filling in the sets directly, means
// every rule the Changer enforces is checked on cs too. A cs that breaks
// them (say, a node both voter and learner, or learners without voters) is
// an error, as is a result that is not Equivalent to cs. An empty cs gives
// chg.Tracker's (checked) configuration back unchanged.
func Restore(chg Changer, cs pb.ConfState) (tracker.Config, tracker.ProgressMap, error) {
	cfg, prs, err := restore(chg, cs)
	if err != nil {
		return tracker.Config{}, nil, fmt.Errorf("confchange: restoring %s: %w", describeConfState(cs), err)
	}
	return cfg, prs, nil
}

// restore is Restore; its errors lack the package prefix and context.
func restore(chg Changer, cs pb.ConfState) (tracker.Config, tracker.ProgressMap, error) {
	cfg, prs, err := chg.checkAndCopy()
	if err != nil {
		return fail(err)
	}
	// chg is Restore's own copy, so replacing its tracker's Config and
	// Progress after each step leaves the caller's alone.
	chg.Tracker.Config, chg.Tracker.Progress = cfg, prs
	step := func(cfg tracker.Config, prs tracker.ProgressMap, err error) error {
		if err != nil {
			return err
		}
		chg.Tracker.Config, chg.Tracker.Progress = cfg, prs
		return nil
	}
	outgoing, incoming := restoreChanges(cs)
	for _, cc := range outgoing {
		if err := step(chg.simple(cc)); err != nil {
			return tracker.Config{}, nil, err
		}
	}
	if len(cs.VotersOutgoing) > 0 {
		if err := step(chg.enterJoint(cs.AutoLeave, incoming...)); err != nil {
			return tracker.Config{}, nil, err
		}
	}
	if err := chg.Tracker.ConfState().Equivalent(cs); err != nil {
		return fail(fmt.Errorf("the result differs: %w", err))
	}
	return chg.Tracker.Config, chg.Tracker.Progress, nil
}

// describeConfState writes cs on one line, lists in their given order, e.g.
// "voters=(1 2)&&(1 3) learners=(4) learners_next=(3) autoleave".
func describeConfState(cs pb.ConfState) string {
	s := "voters=" + idList(cs.Voters)
	if len(cs.VotersOutgoing) > 0 {
		s += "&&" + idList(cs.VotersOutgoing)
	}
	if len(cs.Learners) > 0 {
		s += " learners=" + idList(cs.Learners)
	}
	if len(cs.LearnersNext) > 0 {
		s += " learners_next=" + idList(cs.LearnersNext)
	}
	if cs.AutoLeave {
		s += " autoleave"
	}
	return s
}

// idList writes ids as "(1 2 3)", in their given order.
func idList(ids []uint64) string {
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = strconv.FormatUint(id, 10)
	}
	return "(" + strings.Join(parts, " ") + ")"
}

// restoreChanges returns the changes that rebuild cs from an empty
// configuration: outgoing, applied one at a time with Simple, builds the
// outgoing half; incoming, applied at once with EnterJoint, turns it into cs.
// When cs is not joint, outgoing holds all the changes and incoming is nil.
//
// Each change of outgoing adds one voter or one learner, so each is a valid
// simple change. incoming adds the incoming voters, removes the outgoing
// voters that are in neither the incoming half nor LearnersNext, and adds the
// learners and learners-next as learners; an outgoing voter asked to become a
// learner lands in LearnersNext.
func restoreChanges(cs pb.ConfState) (outgoing, incoming []pb.ConfChangeSingle) {
	add := func(list []pb.ConfChangeSingle, typ pb.ConfChangeType, ids []uint64) []pb.ConfChangeSingle {
		for _, id := range ids {
			list = append(list, pb.ConfChangeSingle{Type: typ, NodeID: id})
		}
		return list
	}
	if len(cs.VotersOutgoing) == 0 {
		outgoing = add(outgoing, pb.ConfChangeAddNode, cs.Voters)
		outgoing = add(outgoing, pb.ConfChangeAddLearnerNode, cs.Learners)
		outgoing = add(outgoing, pb.ConfChangeAddLearnerNode, cs.LearnersNext)
		return outgoing, nil
	}
	outgoing = add(outgoing, pb.ConfChangeAddNode, cs.VotersOutgoing)

	keep := map[uint64]bool{}
	for _, id := range cs.Voters {
		keep[id] = true
	}
	for _, id := range cs.LearnersNext {
		keep[id] = true
	}
	for _, id := range cs.VotersOutgoing {
		if !keep[id] {
			incoming = append(incoming, pb.ConfChangeSingle{Type: pb.ConfChangeRemoveNode, NodeID: id})
		}
	}
	incoming = add(incoming, pb.ConfChangeAddNode, cs.Voters)
	incoming = add(incoming, pb.ConfChangeAddLearnerNode, cs.Learners)
	incoming = add(incoming, pb.ConfChangeAddLearnerNode, cs.LearnersNext)
	return outgoing, incoming
}
