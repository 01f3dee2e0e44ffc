package rafttest

import (
	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
)

// handleRaftState implements raft-state: one line per node with its role,
// its membership as it sees it (voter, learner or none), its term and the
// leader it knows.
//
//	raft-state
func (env *InteractionEnv) handleRaftState(a *cmdArgs, _ datadriven.TestData) error {
	if err := a.finish(); err != nil {
		return err
	}
	for i := range env.Nodes {
		n := &env.Nodes[i]
		st := n.Status()
		env.Output.Printf("%d: %s %s Term:%d Lead:%d\n", st.ID, st.RaftState, membership(st), st.Term, st.Lead)
	}
	return nil
}

// membership names a node's place in its own view of the configuration.
func membership(st raft.Status) string {
	if _, ok := st.Config.Voters.IDs()[st.ID]; ok {
		return "voter"
	}
	if _, ok := st.Config.Learners[st.ID]; ok {
		return "learner"
	}
	return "non-member"
}
