package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
)

// handleTransferLeadership implements transfer-leadership: node from (the
// leader, or a follower that forwards the request) is asked to hand
// leadership to node to.
//
//	transfer-leadership from=1 to=2
func (env *InteractionEnv) handleTransferLeadership(a *cmdArgs, _ datadriven.TestData) error {
	var from, to uint64
	if err := a.uint64Arg("from", &from); err != nil {
		return err
	}
	if err := a.uint64Arg("to", &to); err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	if from == 0 || to == 0 {
		return fmt.Errorf("%s: want from=<id> and to=<id>", a.cmd)
	}
	n, err := env.node(from)
	if err != nil {
		return err
	}
	n.TransferLeader(to)
	return nil
}
