// Package quorum answers the two questions Raft asks of a group of voters:
// which log index has a quorum acknowledged (CommittedIndex), and has a
// quorum granted a vote (VoteResult).
//
// A MajorityConfig is one set of voters deciding by simple majority. A
// JointConfig holds two of them, the incoming and the outgoing set of a
// joint-consensus membership change (Raft thesis §4.3), and decides only
// when both majorities agree. Outside a membership change the outgoing set
// is empty, and an empty MajorityConfig agrees to everything (committed
// index ∞, vote won), so a JointConfig then behaves exactly like its
// incoming half.
//
// The package is pure: it depends only on the standard library, keeps no
// state, and never reads map iteration order into its results. Acked
// indexes come in through the AckedIndexer interface so that callers can
// answer from their own data structures without building a map;
// CommittedIndex does not allocate for configurations of up to seven
// voters, which makes it cheap enough to run on every acknowledgement.
//
// Describe renders a configuration with its acked indexes for humans and
// golden files; the tests in testdata/ use it throughout.
package quorum
