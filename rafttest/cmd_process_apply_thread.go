package rafttest

import (
	"github.com/cockroachdb/datadriven"
)

// handleProcessApplyThread implements process-apply-thread:
//
//	process-apply-thread 1 2
func (env *InteractionEnv) handleProcessApplyThread(a *cmdArgs, _ datadriven.TestData) error {
	return env.forEachNodeWithWork(a, "apply work",
		func(n *Node) bool { return len(n.ApplyWork) > 0 }, env.processApplyThread)
}

// processApplyThread runs node id's pending MsgStorageApply work in
// order: load the snapshot, if any, and apply the entries to the state
// machine (configuration changes through ApplyConfChange), then step back
// the responses.
func (env *InteractionEnv) processApplyThread(id uint64) error {
	n, err := env.node(id)
	if err != nil {
		return err
	}
	work := n.ApplyWork
	n.ApplyWork = nil
	env.Output.Printf("> %d processing apply thread\n", id)
	var procErr error
	env.Output.Nest(func() {
		for _, m := range work {
			env.Output.Println(describeMsg(withoutResponses(m)))
			env.Output.Nest(func() {
				if m.Snapshot != nil {
					n.applySnapshot(*m.Snapshot)
				}
				if procErr = env.applyEntries(n, m.Entries); procErr != nil {
					return
				}
				env.deliverResponses(n, m.Responses)
			})
			if procErr != nil {
				return
			}
		}
	})
	return procErr
}
