package quorum

// JointConfig is the configuration used during a joint-consensus membership
// change (Raft thesis §4.3): index 0 is the incoming config, index 1 the
// outgoing one. Every decision needs a majority in both halves. Outside a
// joint change the outgoing half is empty, and JointConfig then behaves
// exactly like its incoming half.
type JointConfig [2]MajorityConfig

// String returns e.g. "(1 2 3)&&(1 2 4)", or just "(1 2 3)" when the
// outgoing half is empty.
func (c JointConfig) String() string {
	if len(c[1]) > 0 {
		return c[0].String() + "&&" + c[1].String()
	}
	return c[0].String()
}

// IDs returns the union of the voters of both halves as a new set.
func (c JointConfig) IDs() map[uint64]struct{} {
	ids := make(map[uint64]struct{}, len(c[0])+len(c[1]))
	for _, half := range c {
		for id := range half {
			ids[id] = struct{}{}
		}
	}
	return ids
}

// CommittedIndex returns the largest index acked by a majority of each
// half, i.e. the smaller of the halves' committed indexes. Like
// MajorityConfig.CommittedIndex it does not allocate for halves of up to
// seven voters.
func (c JointConfig) CommittedIndex(l AckedIndexer) Index {
	return min(c[0].CommittedIndex(l), c[1].CommittedIndex(l))
}

// VoteResult returns VoteWon if both halves won, VoteLost if either half
// lost, and VotePending otherwise.
func (c JointConfig) VoteResult(votes map[uint64]bool) VoteResult {
	return JointVote(c[0].VoteResult(votes), c[1].VoteResult(votes))
}

// JointVote combines the outcomes of the two halves of a joint
// configuration as JointConfig.VoteResult does: won if both won, lost if
// either lost, pending otherwise.
func JointVote(r0, r1 VoteResult) VoteResult {
	switch {
	case r0 == r1:
		return r0
	case r0 == VoteLost || r1 == VoteLost:
		return VoteLost
	default:
		return VotePending
	}
}
