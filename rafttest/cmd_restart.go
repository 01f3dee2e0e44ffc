package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
)

// handleRestart implements restart: the node crashes and starts again from
// its Storage. What it had not persisted is lost: unstable entries, the
// pending append and apply work, and the state machine, which reloads from
// the Storage's snapshot and re-applies the committed log through Ready.
// Messages already on the network stay there.
//
//	restart 2
func (env *InteractionEnv) handleRestart(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	snap, err := n.Storage.Snapshot()
	if err != nil {
		return fmt.Errorf("%s: node %d: Snapshot: %v", a.cmd, n.Config.ID, err)
	}
	cfg := *n.Config
	cfg.Applied = 0
	if env.Options.OnConfig != nil {
		env.Options.OnConfig(&cfg)
	}
	rn, err := raft.NewRawNode(&cfg)
	if err != nil {
		return fmt.Errorf("%s: node %d: %v", a.cmd, n.Config.ID, err)
	}
	n.RawNode = rn
	n.Config = &cfg
	n.AppendWork, n.ApplyWork = nil, nil
	n.sm = stateMachine{}
	n.sm.restore(snap)
	// Keep the history the restarted state machine could have produced.
	kept := n.History[:0:0]
	for _, s := range n.History {
		if s.Metadata.Index <= snap.Metadata.Index {
			kept = append(kept, s)
		}
	}
	n.History = kept
	return nil
}
