package confchange

import (
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/raftcore/raft/tracker"
)

// checkInvariants returns an error unless cfg and prs form a configuration a
// group can run with: checkConsistent holds and there is at least one voter
// in the incoming half. Every configuration a Changer returns passes it.
func checkInvariants(cfg tracker.Config, prs tracker.ProgressMap) error {
	if err := checkConsistent(cfg, prs); err != nil {
		return err
	}
	if len(cfg.Voters[0]) == 0 {
		return errors.New("removed all voters")
	}
	return nil
}

// checkConsistent returns an error naming the first violation, in a fixed
// order, of these rules:
//
//  1. Every member (voter of either half, learner, learner-next) has
//     progress, and every progress belongs to a member.
//  2. A progress is marked IsLearner exactly when its peer is in Learners.
//  3. No learner is a voter of either half.
//  4. Every member of LearnersNext is a voter of the outgoing half and not of
//     the incoming one (it waits there to be demoted; see
//     tracker.Config.LearnersNext).
//  5. Outside a joint configuration LearnersNext is empty and AutoLeave is
//     false.
//
// It allows a configuration without voters, which is where a group starts
// before its first configuration is applied.
func checkConsistent(cfg tracker.Config, prs tracker.ProgressMap) error {
	members := cfg.Voters.IDs()
	for id := range cfg.Learners {
		members[id] = struct{}{}
	}
	for id := range cfg.LearnersNext {
		members[id] = struct{}{}
	}
	for _, id := range sortedIDs(members) {
		if prs[id] == nil {
			return fmt.Errorf("node %d is a member but has no progress", id)
		}
	}
	for _, id := range sortedIDs(prs) {
		if _, ok := members[id]; !ok {
			return fmt.Errorf("node %d has progress but is not a member", id)
		}
	}

	for _, id := range sortedIDs(prs) {
		_, learner := cfg.Learners[id]
		if prs[id].IsLearner != learner {
			return fmt.Errorf("node %d: progress says IsLearner=%t, but it is %sin the learners", id, prs[id].IsLearner, notIf(learner))
		}
	}

	for _, id := range sortedIDs(cfg.Learners) {
		for half, voters := range cfg.Voters {
			if _, ok := voters[id]; ok {
				return fmt.Errorf("node %d is both a learner and a voter of the %s config", id, halfName(half))
			}
		}
	}

	for _, id := range sortedIDs(cfg.LearnersNext) {
		if _, ok := cfg.Voters[1][id]; !ok {
			return fmt.Errorf("node %d is in learners_next but not an outgoing voter", id)
		}
		if _, ok := cfg.Voters[0][id]; ok {
			return fmt.Errorf("node %d is in learners_next but an incoming voter", id)
		}
	}

	if !isJoint(cfg) {
		if len(cfg.LearnersNext) > 0 {
			return fmt.Errorf("learners_next %v is not empty outside a joint config", sortedIDs(cfg.LearnersNext))
		}
		if cfg.AutoLeave {
			return errors.New("autoleave is set outside a joint config")
		}
	}
	return nil
}

// halfName names the half of a joint configuration with the given index.
func halfName(half int) string {
	if half == 0 {
		return "incoming"
	}
	return "outgoing"
}

// notIf returns "not " when b is false, for error messages.
func notIf(b bool) string {
	if b {
		return ""
	}
	return "not "
}

// sortedIDs returns the keys of m in ascending order; map order must not
// reach errors or output.
func sortedIDs[V any, M ~map[uint64]V](m M) []uint64 {
	return slices.Sorted(maps.Keys(m))
}
