package rafttest

import (
	"github.com/cockroachdb/datadriven"
	pb "github.com/raftcore/raft/raftpb"
)

// handleProcessAppendThread implements process-append-thread:
//
//	process-append-thread 1 2
func (env *InteractionEnv) handleProcessAppendThread(a *cmdArgs, _ datadriven.TestData) error {
	return env.forEachNodeWithWork(a, "append work",
		func(n *Node) bool { return len(n.AppendWork) > 0 }, env.processAppendThread)
}

// forEachNodeWithWork runs process for each node named by the command's
// arguments, or says that the node has no work of the kind named.
func (env *InteractionEnv) forEachNodeWithWork(a *cmdArgs, kind string, hasWork func(*Node) bool, process func(id uint64) error) error {
	ids, err := a.someIDs()
	if err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	for _, id := range ids {
		n, err := env.node(id)
		if err != nil {
			return err
		}
		if !hasWork(n) {
			env.Output.Printf("> %d has no %s\n", id, kind)
			continue
		}
		if err := process(id); err != nil {
			return err
		}
	}
	return nil
}

// processAppendThread runs node id's pending MsgStorageAppend work in
// order: persist the hard state, snapshot and entries the message carries,
// then deliver its responses: to the node itself by stepping them, to
// peers by putting them on the network. (The snapshot reaches the state
// machine through the apply thread.)
func (env *InteractionEnv) processAppendThread(id uint64) error {
	n, err := env.node(id)
	if err != nil {
		return err
	}
	work := n.AppendWork
	n.AppendWork = nil
	env.Output.Printf("> %d processing append thread\n", id)
	var procErr error
	env.Output.Nest(func() {
		for _, m := range work {
			env.Output.Println(describeMsg(withoutResponses(m)))
			hs := pb.HardState{Term: m.Term, Vote: m.Vote, Commit: m.Commit}
			if procErr = n.persist(hs, m.Snapshot, m.Entries); procErr != nil {
				return
			}
			env.Output.Nest(func() { env.deliverResponses(n, m.Responses) })
		}
	})
	return procErr
}

// withoutResponses returns m with its Responses dropped, for printing the
// work separately from its answers.
func withoutResponses(m pb.Message) pb.Message {
	m.Responses = nil
	return m
}

// deliverResponses hands out the responses of a storage message: those to
// the node are stepped at once, the others go on the network.
func (env *InteractionEnv) deliverResponses(n *Node, resps []pb.Message) {
	if len(resps) == 0 {
		return
	}
	env.Output.Println("Responses:")
	env.Output.Nest(func() {
		for _, r := range resps {
			env.Output.Println(describeMsg(r))
			if r.To != n.Config.ID {
				env.Messages = append(env.Messages, r)
				continue
			}
			if err := n.Step(r); err != nil {
				env.Output.Nest(func() { env.Output.Printf("error: %v\n", err) })
			}
		}
	})
}
