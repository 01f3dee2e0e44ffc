package quorum

import (
	"math"
	"strconv"
)

// Index is a log index as seen by a quorum computation. The value
// math.MaxUint64 means "no bound": it is what an empty MajorityConfig
// reports as committed, so that it never lowers the minimum taken over the
// halves of a JointConfig. It prints as ∞.
type Index uint64

// String implements fmt.Stringer. math.MaxUint64 prints as "∞".
func (i Index) String() string {
	if i == math.MaxUint64 {
		return "∞"
	}
	return strconv.FormatUint(uint64(i), 10)
}

// AckedIndexer reports, for a voter, the highest log index it is known to
// have persisted. found is false if nothing is known about the voter; quorum
// computations then treat it as having acked index 0.
type AckedIndexer interface {
	AckedIndex(voterID uint64) (idx Index, found bool)
}

// MapAckIndexer is an AckedIndexer backed by a map from voter ID to acked
// index. Voters absent from the map are reported as not found.
type MapAckIndexer map[uint64]Index

// AckedIndex implements AckedIndexer.
func (m MapAckIndexer) AckedIndex(id uint64) (Index, bool) {
	idx, ok := m[id]
	return idx, ok
}

// VoteResult is the outcome of an election (or of any yes/no poll) as far
// as it can be decided from the votes received so far.
type VoteResult uint8

const (
	// VotePending means the outcome still depends on outstanding votes.
	VotePending VoteResult = 1 + iota
	// VoteLost means enough voters said no (or can no longer say yes) that
	// a quorum of yes votes is out of reach.
	VoteLost
	// VoteWon means a quorum voted yes.
	VoteWon
)

// String implements fmt.Stringer.
func (v VoteResult) String() string {
	switch v {
	case VotePending:
		return "VotePending"
	case VoteLost:
		return "VoteLost"
	case VoteWon:
		return "VoteWon"
	}
	return "VoteResult(" + strconv.FormatUint(uint64(v), 10) + ")"
}
