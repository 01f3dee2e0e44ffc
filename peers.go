package raft

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// The configuration and the progress of every peer live in one sorted
// slice, raft.peers, with each Progress inline. The tracker's form (a
// quorum.JointConfig of maps, a map of *Progress) is what confchange and
// Status speak; the core builds it only for them (tracker, config) and
// answers its own quorum questions from the slice. For a group of three
// voters that is one 224-byte object instead of two maps, three Progress
// objects and a sorted index of them: most of the memory of an idle group,
// and most of the objects the garbage collector walks per group.

// peer is one member of the configuration: its roles and its progress.
type peer struct {
	id uint64
	// in and out report membership of the incoming (Voters[0]) and the
	// outgoing (Voters[1]) majority. A learner (pr.IsLearner) is in
	// neither.
	in, out bool
	// learnerNext: a voter of the outgoing half that becomes a learner when
	// the joint configuration is left (Config.LearnersNext).
	learnerNext bool
	// vote is the peer's answer in the current election.
	vote peerVote
	pr   tracker.Progress
}

// votesIn reports whether p is a voter of the outgoing half if out, else
// of the incoming one.
func (p *peer) votesIn(out bool) bool {
	if out {
		return p.out
	}
	return p.in
}

// peerVote is a peer's answer in an election.
type peerVote uint8

const (
	voteNone peerVote = iota
	voteGranted
	voteRejected
)

// setConfig installs a configuration computed by confchange. The Progress
// values are copied into a fresh slice, so pointers into the previous one
// (from progress or tracker) stay valid but are no longer the node's.
// Votes of the current election carry over for peers that remain.
func (r *raft) setConfig(cfg tracker.Config, prs tracker.ProgressMap) {
	ps := make([]peer, 0, len(prs))
	for id, pr := range prs {
		_, in := cfg.Voters[0][id]
		_, out := cfg.Voters[1][id]
		_, next := cfg.LearnersNext[id]
		ps = append(ps, peer{id: id, in: in, out: out, learnerNext: next, pr: *pr})
	}
	slices.SortFunc(ps, func(a, b peer) int { return cmp.Compare(a.id, b.id) })
	for i := range ps {
		if old := r.peer(ps[i].id); old != nil {
			ps[i].vote = old.vote
		}
	}
	r.peers = ps
	r.joint = len(cfg.Voters[1]) > 0
	r.autoLeave = cfg.AutoLeave
}

// peer returns the member id, or nil if id is not in the configuration. It
// searches the sorted slice: linearly for small groups (a few cache lines),
// by bisection for large ones.
func (r *raft) peer(id uint64) *peer {
	ps := r.peers
	if len(ps) > 8 {
		i, j := 0, len(ps)
		for i < j {
			h := int(uint(i+j) >> 1)
			if ps[h].id < id {
				i = h + 1
			} else {
				j = h
			}
		}
		ps = ps[i:min(i+1, len(ps))]
	}
	for i := range ps {
		if ps[i].id == id {
			return &ps[i]
		}
	}
	return nil
}

// progress returns the progress of peer id, or nil if id is not in the
// configuration. The pointer is valid until the configuration changes.
func (r *raft) progress(id uint64) *tracker.Progress {
	if p := r.peer(id); p != nil {
		return &p.pr
	}
	return nil
}

// isVoter reports whether id is a voter of either half.
func (r *raft) isVoter(id uint64) bool {
	p := r.peer(id)
	return p != nil && (p.in || p.out)
}

// emptyTracker returns a tracker with no peers and this node's window
// sizes, for confchange.Restore.
func (r *raft) emptyTracker() tracker.ProgressTracker {
	return tracker.MakeProgressTracker(r.maxInflight, r.maxInflightBytes)
}

// config returns the configuration in the tracker's form, freshly built.
func (r *raft) config() tracker.Config {
	cfg := tracker.Config{AutoLeave: r.autoLeave}
	cfg.Voters[0] = quorum.MajorityConfig{}
	if r.joint {
		cfg.Voters[1] = quorum.MajorityConfig{}
	}
	for i := range r.peers {
		p := &r.peers[i]
		if p.in {
			cfg.Voters[0][p.id] = struct{}{}
		}
		if p.out {
			cfg.Voters[1][p.id] = struct{}{}
		}
		if p.pr.IsLearner {
			if cfg.Learners == nil {
				cfg.Learners = map[uint64]struct{}{}
			}
			cfg.Learners[p.id] = struct{}{}
		}
		if p.learnerNext {
			if cfg.LearnersNext == nil {
				cfg.LearnersNext = map[uint64]struct{}{}
			}
			cfg.LearnersNext[p.id] = struct{}{}
		}
	}
	return cfg
}

// tracker returns the configuration and progress in the tracker's form,
// for confchange and tests. Its Progress entries point into r.peers: they
// are the node's own until the configuration changes. Votes holds the
// current election's answers (nil if there are none).
func (r *raft) tracker() tracker.ProgressTracker {
	t := tracker.ProgressTracker{
		Config:           r.config(),
		Progress:         make(tracker.ProgressMap, len(r.peers)),
		MaxInflight:      r.maxInflight,
		MaxInflightBytes: r.maxInflightBytes,
	}
	for i := range r.peers {
		p := &r.peers[i]
		t.Progress[p.id] = &p.pr
		if p.vote != voteNone {
			if t.Votes == nil {
				t.Votes = map[uint64]bool{}
			}
			t.Votes[p.id] = p.vote == voteGranted
		}
	}
	return t
}

// confState returns the configuration as a ConfState: every list
// ascending, nil when empty (as tracker.ProgressTracker.ConfState).
func (r *raft) confState() pb.ConfState {
	cs := pb.ConfState{AutoLeave: r.autoLeave}
	for i := range r.peers {
		p := &r.peers[i]
		if p.in {
			cs.Voters = append(cs.Voters, p.id)
		}
		if p.out {
			cs.VotersOutgoing = append(cs.VotersOutgoing, p.id)
		}
		if p.pr.IsLearner {
			cs.Learners = append(cs.Learners, p.id)
		}
		if p.learnerNext {
			cs.LearnersNext = append(cs.LearnersNext, p.id)
		}
	}
	return cs
}

// configString formats the configuration as tracker.Config.String does,
// when a log line is actually written: r.logger().Infof("%s",
// (*configString)(r)) costs nothing if the level is off.
type configString raft

// String implements fmt.Stringer.
func (c *configString) String() string {
	return (*raft)(c).config().String()
}

var _ fmt.Stringer = (*configString)(nil)

// cfgString returns the configuration for a log line, formatted lazily.
func (r *raft) cfgString() fmt.Stringer {
	return (*configString)(r)
}

// voterNodes returns the voters of both halves, ascending.
func (r *raft) voterNodes() []uint64 {
	var ids []uint64
	for i := range r.peers {
		if p := &r.peers[i]; p.in || p.out {
			ids = append(ids, p.id)
		}
	}
	return ids
}

// isSingleton reports whether the configuration has exactly one voter and
// is not joint: that voter commits on its own.
func (r *raft) isSingleton() bool {
	if r.joint {
		return false
	}
	n := 0
	for i := range r.peers {
		if r.peers[i].in {
			n++
		}
	}
	return n == 1
}

// quorumIndex returns the largest index that a quorum of the (joint)
// configuration reached, where acked gives each voter's index: the rule of
// quorum.JointConfig.CommittedIndex, computed over the peer slice. It does
// not allocate for up to 16 voters per half.
func (r *raft) quorumIndex(acked func(p *peer) quorum.Index) quorum.Index {
	idx := r.halfIndex(false, acked)
	if r.joint {
		idx = min(idx, r.halfIndex(true, acked))
	}
	return idx
}

// quorumAcked is quorumIndex of the indexes l reports; voters that l does
// not know count as 0 (quorum.JointConfig.CommittedIndex).
func (r *raft) quorumAcked(l quorum.AckedIndexer) quorum.Index {
	return r.quorumIndex(func(p *peer) quorum.Index {
		idx, _ := l.AckedIndex(p.id)
		return idx
	})
}

// halfIndex is quorumIndex for one half: the outgoing one if out.
func (r *raft) halfIndex(out bool, acked func(p *peer) quorum.Index) quorum.Index {
	var stk [16]quorum.Index
	vals := stk[:0]
	for i := range r.peers {
		if p := &r.peers[i]; p.votesIn(out) {
			vals = append(vals, acked(p))
		}
	}
	return quorum.MajorityIndex(vals)
}

// quorumVote returns the outcome of a vote of the (joint) configuration in
// which answer gives each voter's answer: the rule of
// quorum.JointConfig.VoteResult, computed over the peer slice.
func (r *raft) quorumVote(answer func(p *peer) peerVote) quorum.VoteResult {
	res := r.halfVote(false, answer)
	if r.joint {
		res = quorum.JointVote(res, r.halfVote(true, answer))
	}
	return res
}

// halfVote is quorumVote for one half: the outgoing one if out.
func (r *raft) halfVote(out bool, answer func(p *peer) peerVote) quorum.VoteResult {
	n, yes, no := 0, 0, 0
	for i := range r.peers {
		if p := &r.peers[i]; p.votesIn(out) {
			n++
			switch answer(p) {
			case voteGranted:
				yes++
			case voteRejected:
				no++
			}
		}
	}
	return quorum.MajorityVote(n, yes, no)
}

// committedIndex returns the largest index a quorum has in its log, judged
// by each voter's Match (tracker.ProgressTracker.Committed).
func (r *raft) committedIndex() uint64 {
	return uint64(r.quorumIndex(func(p *peer) quorum.Index { return quorum.Index(p.pr.Match) }))
}

// quorumActive reports whether the voters heard from recently
// (RecentActive) form a quorum (tracker.ProgressTracker.QuorumActive).
func (r *raft) quorumActive() bool {
	return r.quorumVote(func(p *peer) peerVote {
		if p.pr.RecentActive {
			return voteGranted
		}
		return voteRejected
	}) == quorum.VoteWon
}

// resetVotes forgets the answers of the previous election.
func (r *raft) resetVotes() {
	for i := range r.peers {
		r.peers[i].vote = voteNone
	}
}

// recordVote records id's answer; only the first answer of a peer in an
// election counts, so a duplicated or reordered response cannot flip it.
// Answers of non-members are dropped.
func (r *raft) recordVote(id uint64, granted bool) {
	p := r.peer(id)
	if p == nil || p.vote != voteNone {
		return
	}
	p.vote = voteRejected
	if granted {
		p.vote = voteGranted
	}
}

// tallyVotes returns how many voters granted and refused their vote, and
// the outcome (tracker.ProgressTracker.TallyVotes).
func (r *raft) tallyVotes() (granted, rejected int, res quorum.VoteResult) {
	for i := range r.peers {
		p := &r.peers[i]
		if !p.in && !p.out {
			continue
		}
		switch p.vote {
		case voteGranted:
			granted++
		case voteRejected:
			rejected++
		}
	}
	return granted, rejected, r.quorumVote(func(p *peer) peerVote { return p.vote })
}
