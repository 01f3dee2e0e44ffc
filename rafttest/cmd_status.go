package rafttest

import (
	"sort"

	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
)

// handleStatus implements status: the node's hard state, role, applied
// index, configuration and, on a leader, one line per peer's progress.
//
//	status 1
func (env *InteractionEnv) handleStatus(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	st := n.Status()
	env.Output.Printf("%s Applied:%d %s", raft.DescribeHardState(st.HardState), st.Applied, raft.DescribeSoftState(st.SoftState))
	if st.LeadTransferee != 0 {
		env.Output.Printf(" LeadTransferee:%d", st.LeadTransferee)
	}
	env.Output.Printf("\nconfig: %s\n", st.Config)
	ids := make([]uint64, 0, len(st.Progress))
	for id := range st.Progress {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		pr := st.Progress[id]
		env.Output.Printf("%d: %s\n", id, pr.String())
	}
	return nil
}
