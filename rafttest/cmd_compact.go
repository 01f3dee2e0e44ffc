package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
)

// handleCompact implements compact: the node records a snapshot of its
// state machine as of the given applied index in its Storage (when the
// Storage can, as MemoryStorage does), then discards the log up to that
// index. Followers that need the discarded entries get the snapshot.
//
//	compact 1 5
func (env *InteractionEnv) handleCompact(a *cmdArgs, _ datadriven.TestData) error {
	pos := a.positional()
	if err := a.finish(); err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%s: want a node ID and an index, got %d positional arguments", a.cmd, len(pos))
	}
	id, err := parseID(a, pos[0])
	if err != nil {
		return err
	}
	var index uint64
	if _, err := fmt.Sscan(pos[1], &index); err != nil {
		return a.errorf(pos[1], "want a log index")
	}
	n, err := env.node(id)
	if err != nil {
		return err
	}
	found := false
	for _, snap := range n.History {
		if snap.Metadata.Index != index {
			continue
		}
		found = true
		if sc, ok := n.Storage.(snapshotCreator); ok {
			cs := snap.Metadata.ConfState
			if _, err := sc.CreateSnapshot(index, &cs, snap.Data); err != nil {
				return fmt.Errorf("%s: node %d: CreateSnapshot(%d): %v", a.cmd, id, index, err)
			}
		}
		break
	}
	if !found {
		return fmt.Errorf("%s: node %d has no applied state at index %d (applied %d)", a.cmd, id, index, n.sm.applied.Index)
	}
	if err := n.Storage.Compact(index); err != nil {
		return fmt.Errorf("%s: node %d: Compact(%d): %v", a.cmd, id, index, err)
	}
	return env.printLog(n)
}
