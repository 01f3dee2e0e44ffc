// Package tracker is the leader's bookkeeping of the group it leads.
//
// A ProgressTracker holds
//
//  1. the membership (Config): the possibly joint voter configuration, the
//     learners, and the voters due to become learners when a joint
//     configuration is left;
//  2. a Progress per peer: how much of the leader's log the peer holds and
//     how the leader replicates to it (probe, replicate, snapshot), with an
//     Inflights window bounding unacknowledged appends;
//  3. the votes of the current election.
//
// Progress owns its state transitions and the flow-control decision: the
// raft core reports what happened (SentEntries, MaybeUpdate, MaybeDecrTo,
// Become…) and asks IsPaused before sending. Quorum questions (Committed,
// QuorumActive, TallyVotes) are delegated to package quorum.
//
// Everything that reaches callers in an order (ConfState, VoterNodes,
// LearnerNodes, Visit, String) is sorted by peer ID. The tracker keeps no
// global state and does not log; membership changes are computed by
// package confchange, which builds a new Config and ProgressMap.
//
// The raft package of this module speaks these types at its boundaries
// (confchange, Status, RawNode.WithProgress) but keeps its working state
// in a compact form of its own: one sorted slice of peers with each
// Progress inline, which costs an idle group a fraction of the maps. The
// tracker's rules (Progress transitions, quorum questions) are the same.
package tracker
