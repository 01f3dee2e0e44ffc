package raft

import (
	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
)

// hup starts an election (or pre-election) if this node may campaign.
func (r *raft) hup(t campaignType) {
	if r.state == StateLeader {
		r.logger().Debugf("%x ignores MsgHup: already leader", r.id)
		return
	}
	if !r.promotable() {
		r.logger().Warningf("%x cannot campaign at term %d: not a voter of %s (or a snapshot is pending)", r.id, r.Term, r.cfgString())
		return
	}
	if t != campaignTransfer && r.opts.leaseReads && r.state == StateFollower && r.inLease() {
		// Our vote for ourselves would be a vote the leader's lease
		// counts on (see lease.go).
		r.logger().Warningf("%x [term %d] does not campaign: leader %x's lease may still hold (%d of %d ticks)",
			r.id, r.Term, r.lead, r.electionElapsed, r.electionTimeout)
		return
	}
	if r.hasUnappliedConfChanges() {
		// Once applied, a committed change may remove this node; a leader
		// that does not know its own configuration must not arise.
		r.logger().Warningf("%x cannot campaign at term %d: committed configuration changes are not yet applied", r.id, r.Term)
		return
	}
	r.logger().Infof("%x is starting a new election at term %d", r.id, r.Term)
	r.campaign(t)
}

// hasUnappliedConfChanges reports whether a committed entry not yet applied
// changes the configuration.
func (r *raft) hasUnappliedConfChanges() bool {
	// Bootstrap applies its own entries to the configuration at once.
	lo, hi := max(r.raftLog.applied, r.bootstrapIndex)+1, r.raftLog.committed+1
	if lo >= hi {
		return false
	}
	found := false
	err := r.raftLog.scan(lo, hi, r.scanPageSize(), func(ents []pb.Entry) error {
		for i := range ents {
			if ents[i].Type == pb.EntryConfChange || ents[i].Type == pb.EntryConfChangeV2 {
				found = true
				return errStopScan
			}
		}
		return nil
	})
	if err != nil && err != errStopScan {
		r.logger().Errorf("%x error scanning unapplied entries [%d, %d): %v", r.id, lo, hi, err)
		return true // cannot tell; do not risk campaigning
	}
	return found
}

// campaign asks every voter for its vote (or pre-vote).
func (r *raft) campaign(t campaignType) {
	var term uint64
	var voteMsg pb.MessageType
	if t == campaignPreElection {
		r.becomePreCandidate()
		voteMsg = pb.MsgPreVote
		// A pre-vote asks about the term we would campaign for.
		term = r.Term + 1
	} else {
		r.becomeCandidate()
		voteMsg = pb.MsgVote
		term = r.Term
	}
	var ctx []byte
	if t == campaignTransfer {
		ctx = []byte(t)
	}
	last := r.raftLog.lastEntryID()
	for _, id := range r.voterNodes() {
		if id == r.id {
			// Our own vote counts once it is durable: it travels with the
			// other messages that wait for the append.
			r.send(pb.Message{To: id, Term: term, Type: voteRespMsgType(voteMsg)})
			continue
		}
		r.logger().Infof("%x [logterm %d, index %d] sent %s to %x at term %d", r.id, last.term, last.index, voteMsg, id, r.Term)
		r.send(pb.Message{To: id, Term: term, Type: voteMsg, Index: last.index, LogTerm: last.term, Context: ctx})
	}
}

// handleVoteRequest answers MsgVote and MsgPreVote (Raft paper §5.2 and
// §5.4.1; thesis §9.6 for pre-votes). Terms were already reconciled.
func (r *raft) handleVoteRequest(m pb.Message) {
	// We can vote for m.From if we already did in this term, or if we have
	// voted for no one and know no leader; a pre-vote for a later term is
	// granted without regard to our vote in this one.
	canVote := r.Vote == m.From ||
		(r.Vote == None && r.lead == None) ||
		(m.Type == pb.MsgPreVote && m.Term > r.Term)
	candLast := entryID{term: m.LogTerm, index: m.Index}
	if canVote && r.raftLog.isUpToDate(candLast) {
		r.logger().Infof("%x [vote %x, last %s] granted %s from %x [last %s] at term %d",
			r.id, r.Vote, r.raftLog.lastEntryID(), m.Type, m.From, candLast, r.Term)
		// The response carries the term asked about: for a pre-vote that
		// is a future term we do not enter.
		r.send(r.voteResp(m.From, m.Term, voteRespMsgType(m.Type), false))
		if m.Type == pb.MsgVote {
			r.electionElapsed = 0
			r.setVote(m.From)
		}
		return
	}
	r.logger().Infof("%x [vote %x, last %s] rejected %s from %x [last %s] at term %d",
		r.id, r.Vote, r.raftLog.lastEntryID(), m.Type, m.From, candLast, r.Term)
	r.send(r.voteResp(m.From, r.Term, voteRespMsgType(m.Type), true))
}

// voteResp builds the answer to a vote request. Besides the vote, it
// reports this node's commit index as an entry ID in Index and LogTerm
// (fields etcd raft leaves empty in vote responses, and ignores): see
// learnCommit.
func (r *raft) voteResp(to, term uint64, typ pb.MessageType, reject bool) pb.Message {
	m := pb.Message{To: to, Term: term, Type: typ, Reject: reject}
	if c := r.raftLog.committed; c > 0 {
		if t, err := r.raftLog.term(c); err == nil {
			m.Index, m.LogTerm = c, t
		}
	}
	return m
}

// learnCommit raises the commit index to the one a vote response reports,
// if this log holds the same entry there: by Log Matching the two logs
// agree up to that entry, so it and everything before it are committed
// here too.
//
// Without it an election can wedge for good. Configurations take effect
// when applied, so a node that missed the commit of a membership change
// campaigns under the old configuration. If its log is the only one the
// new configuration can elect, while the old one also needs a vote from a
// removed node whose log is longer (removed nodes do not campaign), no one
// can ever win. Learning the commit index from the voters' answers lets it
// apply the change and campaign under the new configuration. The
// simulator found this (seed 3826 at 1000 steps).
func (r *raft) learnCommit(m pb.Message) {
	if r.raftLog.maybeCommit(entryID{term: m.LogTerm, index: m.Index}) {
		r.logger().Infof("%x learned from %s of %x that index %d is committed", r.id, m.Type, m.From, m.Index)
	}
}

// handleVoteResponse counts a vote. A pre-candidate that wins starts the
// real election; a candidate that wins leads.
func (r *raft) handleVoteResponse(m pb.Message) {
	want := pb.MsgVoteResp
	if r.state == StatePreCandidate {
		want = pb.MsgPreVoteResp
	}
	if m.Type != want {
		return
	}
	r.recordVote(m.From, !m.Reject)
	granted, rejected, res := r.tallyVotes()
	r.logger().Infof("%x has received %d %s votes and %d vote rejections", r.id, granted, m.Type, rejected)
	switch res {
	case quorum.VoteWon:
		if r.state == StatePreCandidate {
			r.campaign(campaignElection)
			return
		}
		r.becomeLeader()
		r.bcastAppend()
	case quorum.VoteLost:
		// A rejection may carry a higher term; stepTerm already moved us
		// there. Either way we wait for the winner as a follower.
		r.becomeFollower(r.Term, None)
	}
}
