// Package confchange computes membership changes of a raft group: given the
// current configuration (a tracker.ProgressTracker) and a change, it returns
// the new configuration and progress map, or an error saying why the change
// is not allowed. In a result, empty learner sets are nil maps, and so is
// the outgoing half of a configuration that is not joint. The package is
// pure: it never modifies its input, keeps no state, does no I/O, and does
// not know about logs or terms. The raft core decides when a change takes
// effect; this package only decides what it is.
//
// # The two ways to change membership
//
// The Raft thesis (chapter 4) describes two, and a Changer offers both:
//
//  1. Simple changes one voter at a time (section 4.1). Any majority of the
//     old voters and any majority of the new ones share a member when the
//     two sets differ by one node, so the old and new configuration cannot
//     elect two leaders in one term nor commit conflicting entries.
//     Changer.Simple refuses any change whose incoming voters differ from
//     the current ones by more than one node. Learners do not vote, so any
//     number of learner changes may accompany the voter change.
//
//  2. Joint consensus (section 4.3) for anything else. Changer.EnterJoint
//     keeps the current voters as the outgoing half and applies the changes
//     to the incoming half; while both halves are in force, elections and
//     commitment need a majority of each. Changer.LeaveJoint then drops the
//     outgoing half. With AutoLeave set, the leader proposes leaving by
//     itself once the joint configuration is applied.
//
// A voter demoted to learner during EnterJoint is still a voter of the
// outgoing half, and no peer is both a voter and a learner, so it waits in
// LearnersNext and becomes a learner when the joint configuration is left.
//
// # The changes
//
// Each raftpb.ConfChangeSingle is applied in order to the incoming half:
//
//	AddNode         make the node a voter; a learner is promoted and keeps its progress
//	AddLearnerNode  make the node a learner; a voter is demoted (see LearnersNext above)
//	RemoveNode      remove the node; its progress stays while it is an outgoing voter
//	UpdateNode      nothing (membership does not change)
//
// Removing a node that is not a member does nothing. Node ID 0 is reserved
// (raft uses it for "no node") and is an error, as is an unknown change type.
// A node that joins gets progress in StateProbe with Next at the leader's
// last index (at least 1), an empty Inflights window sized by the tracker,
// and RecentActive set.
//
// # What every result satisfies
//
// Each method checks its input and its result against these rules and
// returns an error instead of a configuration that breaks one:
//
//   - every voter (of either half) and learner has progress, and every
//     progress belongs to one; IsLearner is set exactly for learners;
//   - no learner is a voter of either half;
//   - LearnersNext holds only outgoing voters that are not incoming voters;
//   - outside a joint configuration LearnersNext is empty and AutoLeave false;
//   - the incoming half has at least one voter.
//
// # Restoring
//
// Restore rebuilds a configuration from a raftpb.ConfState (from a snapshot
// or persisted state) by replaying changes through the same rules, so a
// ConfState that a Changer could not have produced is an error.
//
// # Tests
//
// The tests in testdata/ are datadriven scripts, one per rule; the command
// language is documented in datadriven_test.go.
package confchange
