package quorum

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// MajorityConfig is a set of voter IDs that makes decisions by simple
// majority: a decision needs the agreement of len/2+1 of its members.
//
// The empty MajorityConfig is special: it agrees to everything (it has
// committed every index and wins every vote). This lets a JointConfig
// whose outgoing half is empty behave exactly like its incoming half.
type MajorityConfig map[uint64]struct{}

// stackVoters is the size up to which CommittedIndex sorts the acked
// indexes in a stack array instead of allocating. Seven covers the cluster
// sizes Raft deployments actually use.
const stackVoters = 7

// String returns the sorted voter IDs, e.g. "(1 2 3)".
func (c MajorityConfig) String() string {
	var buf strings.Builder
	buf.WriteByte('(')
	for i, id := range c.Slice() {
		if i > 0 {
			buf.WriteByte(' ')
		}
		buf.WriteString(strconv.FormatUint(id, 10))
	}
	buf.WriteByte(')')
	return buf.String()
}

// Slice returns the voter IDs in ascending order.
func (c MajorityConfig) Slice() []uint64 {
	ids := make([]uint64, 0, len(c))
	for id := range c {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// majority returns the number of agreeing voters a decision of n voters
// needs.
func majority(n int) int {
	return n/2 + 1
}

// CommittedIndex returns the largest index that a majority of the voters
// has acked, according to l. Voters unknown to l count as having acked
// index 0. An empty config returns math.MaxUint64 (see MajorityConfig).
//
// CommittedIndex does not allocate for configs of up to seven voters.
func (c MajorityConfig) CommittedIndex(l AckedIndexer) Index {
	n := len(c)
	var stk [stackVoters]Index
	var acked []Index
	if n <= len(stk) {
		acked = stk[:n]
	} else {
		acked = make([]Index, n)
	}
	i := 0
	for id := range c {
		idx, _ := l.AckedIndex(id) // a missing voter is reported as 0
		acked[i] = idx
		i++
	}
	return MajorityIndex(acked)
}

// MajorityIndex returns the largest index that a majority of the acked
// indexes (one per voter) reached: the committed index of a majority
// configuration whose voters acked these. It sorts acked in place, without
// allocating. No voters give math.MaxUint64, as for an empty
// MajorityConfig.
func MajorityIndex(acked []Index) Index {
	n := len(acked)
	if n == 0 {
		return math.MaxUint64
	}
	sortIndexes(acked)
	// acked is ascending. The q = majority(n) voters with the highest
	// indexes all have at least acked[n-q], and no larger value is
	// reached by q voters.
	return acked[n-majority(n)]
}

// sortIndexes sorts s in ascending order in place. Small inputs use an
// insertion sort, which is faster than the general algorithm for them and
// obviously free of allocations.
func sortIndexes(s []Index) {
	if len(s) > stackVoters {
		slices.Sort(s)
		return
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j-1] > s[j]; j-- {
			s[j-1], s[j] = s[j], s[j-1]
		}
	}
}

// VoteResult tallies votes (true meaning yes) cast by the voters of c.
// Votes of non-members are ignored; members without an entry in votes are
// outstanding. The vote is won once a majority said yes and lost once a
// majority can no longer be reached even if every outstanding voter said
// yes. An empty config wins.
func (c MajorityConfig) VoteResult(votes map[uint64]bool) VoteResult {
	yes, no := 0, 0
	for id := range c {
		if v, ok := votes[id]; ok {
			if v {
				yes++
			} else {
				no++
			}
		}
	}
	return MajorityVote(len(c), yes, no)
}

// MajorityVote is the rule of MajorityConfig.VoteResult for callers that
// count the votes themselves: of voters voters, yes granted and no refused;
// the rest are outstanding. No voters win.
func MajorityVote(voters, yes, no int) VoteResult {
	if voters == 0 {
		return VoteWon
	}
	q := majority(voters)
	switch {
	case yes >= q:
		return VoteWon
	case voters-no >= q:
		return VotePending
	default:
		return VoteLost
	}
}
