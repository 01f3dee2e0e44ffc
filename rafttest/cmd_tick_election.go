package rafttest

import "github.com/cockroachdb/datadriven"

// handleTickElection implements tick-election: the node is ticked
// ElectionTick times. That makes a leader run its quorum check and ends a
// follower's lease; a follower campaigns only if its randomized election
// timeout is ElectionTick (see set-randomized-election-timeout).
//
//	tick-election 1
func (env *InteractionEnv) handleTickElection(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	for i := 0; i < n.Config.ElectionTick; i++ {
		n.Tick()
	}
	return nil
}
