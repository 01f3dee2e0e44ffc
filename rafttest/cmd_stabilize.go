package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
	pb "github.com/raftcore/raft/raftpb"
)

// maxStabilizeRounds bounds stabilize, so that a livelock fails the test
// instead of hanging it.
const maxStabilizeRounds = 1000

// handleStabilize implements stabilize:
//
//	stabilize
//	stabilize 1 2
func (env *InteractionEnv) handleStabilize(a *cmdArgs, _ datadriven.TestData) error {
	ids, err := a.positionalIDs()
	if err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	if len(ids) == 0 {
		ids = env.allIDs()
	}
	for _, id := range ids {
		if _, err := env.node(id); err != nil {
			return err
		}
	}
	for round := 0; round < maxStabilizeRounds; round++ {
		progress, err := env.stabilizeRound(ids)
		if err != nil || !progress {
			return err
		}
	}
	return fmt.Errorf("%s: still busy after %d rounds", a.cmd, maxStabilizeRounds)
}

// stabilizeRound does, for the given nodes in turn: handle their Readys,
// run their append threads, run their apply threads, deliver the messages
// in flight to them. It reports whether anything happened.
func (env *InteractionEnv) stabilizeRound(ids []uint64) (bool, error) {
	progress := false
	for _, id := range ids {
		if env.Nodes[id-1].HasReady() {
			progress = true
			if err := env.processReady(id); err != nil {
				return false, err
			}
		}
	}
	for _, id := range ids {
		if len(env.Nodes[id-1].AppendWork) > 0 {
			progress = true
			if err := env.processAppendThread(id); err != nil {
				return false, err
			}
		}
	}
	for _, id := range ids {
		if len(env.Nodes[id-1].ApplyWork) > 0 {
			progress = true
			if err := env.processApplyThread(id); err != nil {
				return false, err
			}
		}
	}
	for _, id := range ids {
		if env.hasMessagesTo(id) {
			progress = true
			env.deliver(id, env.takeMessages(id, func(pb.Message) bool { return true }))
		}
	}
	return progress, nil
}
