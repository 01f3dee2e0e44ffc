package raft

// SetRandomizedElectionTimeoutForTest lets the interaction tests (package
// raft_test, which must live outside package raft because rafttest imports
// it) pin a node's randomized election timeout.
var SetRandomizedElectionTimeoutForTest = setRandomizedElectionTimeout

// setRandomizedElectionTimeout overrides the election timeout a node drew
// for its current term.
func setRandomizedElectionTimeout(rn *RawNode, v int) {
	rn.raft.randomizedElectionTimeout = v
}
