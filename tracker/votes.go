package tracker

import "github.com/raftcore/raft/quorum"

// The votes of an election are a small state machine of their own: reset
// when an election starts, filled one vote per voter, and tallied against
// the (joint) configuration after every vote.

// ResetVotes forgets all recorded votes, ready for a new election. It
// drops the map rather than clearing it: most groups hold no election for
// a long time, and an idle group should not keep one around.
func (p *ProgressTracker) ResetVotes() {
	p.Votes = nil
}

// RecordVote records the vote of voter id (true = granted). Only the first
// vote of a voter in an election counts; later ones, even if different,
// are ignored, so a duplicated or reordered response cannot flip a vote.
func (p *ProgressTracker) RecordVote(id uint64, v bool) {
	if p.Votes == nil {
		p.Votes = map[uint64]bool{}
	}
	if _, ok := p.Votes[id]; !ok {
		p.Votes[id] = v
	}
}

// TallyVotes returns how many current voters granted and rejected their
// vote, and the outcome under the (joint) configuration. Votes recorded for
// peers that are not voters (learners, removed peers) are ignored.
func (p *ProgressTracker) TallyVotes() (granted int, rejected int, _ quorum.VoteResult) {
	count := func(id uint64) {
		if v, ok := p.Votes[id]; ok {
			if v {
				granted++
			} else {
				rejected++
			}
		}
	}
	for id := range p.Voters[0] {
		count(id)
	}
	for id := range p.Voters[1] {
		if _, dup := p.Voters[0][id]; !dup {
			count(id)
		}
	}
	return granted, rejected, p.Voters.VoteResult(p.Votes)
}
