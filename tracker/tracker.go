package tracker

import (
	"maps"
	"slices"
	"strings"

	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
)

// Config is the membership of the group: who votes and who only learns.
//
// Membership changes use joint consensus (Raft thesis §4.3). While a change
// is in progress, Voters[0] is the incoming and Voters[1] the outgoing
// voter set, and every decision (election, commit) needs a majority of
// both. Outside a change Voters[1] is empty.
type Config struct {
	// Voters is the (possibly joint) voter configuration.
	Voters quorum.JointConfig
	// AutoLeave is true if the group is in a joint configuration that the
	// leader leaves on its own (by proposing an empty ConfChangeV2) once
	// the configuration has been applied. Invariant: false unless
	// Voters[1] is non-empty.
	AutoLeave bool
	// Learners are peers that receive the log but neither vote nor count
	// towards the commit quorum. Invariant: disjoint from both halves of
	// Voters.
	Learners map[uint64]struct{}
	// LearnersNext are voters that become learners when the joint
	// configuration is left. A peer cannot be a voter and a learner at the
	// same time, so a voter demoted while entering a joint configuration
	// stays in the outgoing half (Voters[1]) and waits here, and is moved
	// to Learners by the transition out of the joint configuration.
	// Invariant: each member is in Voters[1] and not in Voters[0]; empty
	// unless joint.
	LearnersNext map[uint64]struct{}
}

// String returns e.g. "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5)
// autoleave"; learners, learners_next and autoleave appear only when they
// apply.
func (c Config) String() string {
	var buf strings.Builder
	buf.WriteString("voters=")
	buf.WriteString(c.Voters.String())
	if len(c.Learners) > 0 {
		buf.WriteString(" learners=")
		buf.WriteString(quorum.MajorityConfig(c.Learners).String())
	}
	if len(c.LearnersNext) > 0 {
		buf.WriteString(" learners_next=")
		buf.WriteString(quorum.MajorityConfig(c.LearnersNext).String())
	}
	if c.AutoLeave {
		buf.WriteString(" autoleave")
	}
	return buf.String()
}

// Clone returns a deep copy of c. Nil maps stay nil.
func (c Config) Clone() Config {
	return Config{
		Voters:       quorum.JointConfig{maps.Clone(c.Voters[0]), maps.Clone(c.Voters[1])},
		AutoLeave:    c.AutoLeave,
		Learners:     maps.Clone(c.Learners),
		LearnersNext: maps.Clone(c.LearnersNext),
	}
}

// sortedIDs returns the members of s in ascending order, nil if s is empty.
func sortedIDs[S ~map[uint64]struct{}](s S) []uint64 {
	return slices.Sorted(maps.Keys(s))
}

// ProgressTracker is the leader's bookkeeping of the group: the membership,
// the Progress of every peer, and the votes of the current election.
type ProgressTracker struct {
	Config

	// Progress has an entry for every voter and learner of Config.
	Progress ProgressMap

	// Votes are the votes received in the current election, by voter ID
	// (true = granted). See RecordVote and TallyVotes.
	Votes map[uint64]bool

	// MaxInflight is the size of each peer's Inflights window.
	MaxInflight int
	// MaxInflightBytes is the byte budget of each peer's Inflights window;
	// 0 means no budget.
	MaxInflightBytes uint64
}

// MakeProgressTracker returns a tracker with no peers whose Inflights
// windows will admit maxInflight messages and maxBytes payload bytes
// (0 = unlimited). All maps are empty and non-nil except the outgoing voter
// half, which stays nil until a joint configuration is entered.
func MakeProgressTracker(maxInflight int, maxBytes uint64) ProgressTracker {
	return ProgressTracker{
		Config: Config{
			Voters:       quorum.JointConfig{quorum.MajorityConfig{}, nil},
			Learners:     map[uint64]struct{}{},
			LearnersNext: map[uint64]struct{}{},
		},
		Progress:         ProgressMap{},
		Votes:            map[uint64]bool{},
		MaxInflight:      maxInflight,
		MaxInflightBytes: maxBytes,
	}
}

// ConfState returns the membership as a ConfState, every list sorted
// ascending and nil when empty.
func (p *ProgressTracker) ConfState() pb.ConfState {
	return pb.ConfState{
		Voters:         sortedIDs(p.Voters[0]),
		VotersOutgoing: sortedIDs(p.Voters[1]),
		Learners:       sortedIDs(p.Learners),
		LearnersNext:   sortedIDs(p.LearnersNext),
		AutoLeave:      p.AutoLeave,
	}
}

// IsSingleton reports whether the group has exactly one voter and is not in
// a joint configuration; such a voter can commit on its own.
func (p *ProgressTracker) IsSingleton() bool {
	return len(p.Voters[0]) == 1 && len(p.Voters[1]) == 0
}

// matchAckIndexer presents the Match of each Progress as its acked index.
type matchAckIndexer ProgressMap

// AckedIndex implements quorum.AckedIndexer.
func (m matchAckIndexer) AckedIndex(id uint64) (quorum.Index, bool) {
	pr, ok := m[id]
	if !ok {
		return 0, false
	}
	return quorum.Index(pr.Match), true
}

// Committed returns the largest log index that a quorum of the (joint)
// configuration has acknowledged, judged by each voter's Match. It does not
// allocate for clusters of up to seven voters.
func (p *ProgressTracker) Committed() uint64 {
	return uint64(p.Voters.CommittedIndex(matchAckIndexer(p.Progress)))
}

// visitStack is the number of peers Visit sorts without allocating.
const visitStack = 16

// Visit calls f for every peer (voters and learners) in ascending ID order.
// It does not allocate for up to 16 peers.
func (p *ProgressTracker) Visit(f func(id uint64, pr *Progress)) {
	var stk [visitStack]uint64
	var ids []uint64
	if n := len(p.Progress); n <= len(stk) {
		ids = stk[:0]
	} else {
		ids = make([]uint64, 0, n)
	}
	for id := range p.Progress {
		ids = append(ids, id)
	}
	// Insertion sort: tiny inputs, no allocation, no closure.
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j-1] > ids[j]; j-- {
			ids[j-1], ids[j] = ids[j], ids[j-1]
		}
	}
	for _, id := range ids {
		f(id, p.Progress[id])
	}
}

// QuorumActive reports whether the voters with RecentActive set form a
// quorum of the (joint) configuration. Learners do not count. A leader uses
// it to step down when it can no longer reach a quorum (check quorum).
// Like any quorum question, it is vacuously true for an empty
// configuration.
func (p *ProgressTracker) QuorumActive() bool {
	votes := make(map[uint64]bool, len(p.Progress))
	for id, pr := range p.Progress {
		if pr.IsLearner {
			continue
		}
		votes[id] = pr.RecentActive
	}
	return p.Voters.VoteResult(votes) == quorum.VoteWon
}

// VoterNodes returns the IDs of the voters of both halves, ascending.
func (p *ProgressTracker) VoterNodes() []uint64 {
	ids := make([]uint64, 0, len(p.Voters[0])+len(p.Voters[1]))
	for id := range p.Voters.IDs() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// LearnerNodes returns the IDs of the learners, ascending, or nil if there
// are none. Voters waiting in LearnersNext are not included.
func (p *ProgressTracker) LearnerNodes() []uint64 {
	return sortedIDs(p.Learners)
}
