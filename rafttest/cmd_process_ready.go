package rafttest

import (
	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
)

// handleProcessReady implements process-ready:
//
//	process-ready 1 2 3
func (env *InteractionEnv) handleProcessReady(a *cmdArgs, _ datadriven.TestData) error {
	return env.forEachNodeWithWork(a, "Ready",
		func(n *Node) bool { return n.HasReady() }, env.processReady)
}

// processReady handles one Ready of node id as the Ready contract says.
// Synchronous storage: persist the hard state, snapshot and entries; send
// the messages; apply the snapshot and the committed entries; Advance.
// Asynchronous storage: send the messages to peers and queue the storage
// work for the append and apply threads.
func (env *InteractionEnv) processReady(id uint64) error {
	n, err := env.node(id)
	if err != nil {
		return err
	}
	rd := n.Ready()
	header := "> %d handling Ready\n"
	if rd.MustSync {
		header = "> %d handling Ready (must sync)\n"
	}
	env.Output.Printf(header, id)
	var procErr error
	env.Output.Nest(func() {
		env.printReady(rd)
		if n.Config.AsyncStorageWrites {
			for _, m := range rd.Messages {
				switch m.To {
				case raft.LocalAppendThread:
					n.AppendWork = append(n.AppendWork, m)
				case raft.LocalApplyThread:
					n.ApplyWork = append(n.ApplyWork, m)
				default:
					env.Messages = append(env.Messages, m)
				}
			}
			return
		}
		if procErr = n.persist(rd.HardState, &rd.Snapshot, rd.Entries); procErr != nil {
			return
		}
		env.Messages = append(env.Messages, rd.Messages...)
		n.applySnapshot(rd.Snapshot)
		if procErr = env.applyEntries(n, rd.CommittedEntries); procErr != nil {
			return
		}
		n.Advance(rd)
	})
	return procErr
}
