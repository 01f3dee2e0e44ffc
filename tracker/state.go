package tracker

import "strconv"

// StateType is the replication state the leader keeps for a follower; see
// Progress for what each state means and how it is left.
type StateType uint64

const (
	// StateProbe: the leader does not know where the follower's log
	// diverges. It sends at most one MsgApp at a time and waits for the
	// answer, moving Next back on rejections until it finds the match.
	StateProbe StateType = iota
	// StateReplicate: the follower's log is known to match up to Match.
	// The leader streams entries optimistically, bounded by Inflights.
	StateReplicate
	// StateSnapshot: the follower needs entries the leader no longer has.
	// A snapshot is on its way and nothing else is sent until it is
	// applied or reported as failed.
	StateSnapshot
)

// String implements fmt.Stringer.
func (st StateType) String() string {
	switch st {
	case StateProbe:
		return "StateProbe"
	case StateReplicate:
		return "StateReplicate"
	case StateSnapshot:
		return "StateSnapshot"
	}
	return "StateType(" + strconv.FormatUint(uint64(st), 10) + ")"
}
