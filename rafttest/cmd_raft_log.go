package rafttest

import (
	"fmt"
	"math"

	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
)

// handleRaftLog implements raft-log: the entries in the node's Storage,
// that is, what it has persisted.
//
//	raft-log 1
func (env *InteractionEnv) handleRaftLog(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	return env.printLog(n)
}

// printLog prints the entries of a node's Storage, or its bounds when it
// holds none.
func (env *InteractionEnv) printLog(n *Node) error {
	first, err := n.Storage.FirstIndex()
	if err != nil {
		return fmt.Errorf("node %d: FirstIndex: %v", n.Config.ID, err)
	}
	last, err := n.Storage.LastIndex()
	if err != nil {
		return fmt.Errorf("node %d: LastIndex: %v", n.Config.ID, err)
	}
	if last < first {
		env.Output.Printf("log is empty: first index=%d, last index=%d\n", first, last)
		return nil
	}
	ents, err := n.Storage.Entries(first, last+1, math.MaxUint64)
	if err != nil {
		return fmt.Errorf("node %d: Entries(%d, %d): %v", n.Config.ID, first, last+1, err)
	}
	env.Output.Print(raft.DescribeEntries(ents, nil))
	return nil
}
