package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
	pb "github.com/raftcore/raft/raftpb"
)

// handleSendSnapshot implements send-snapshot: a MsgSnap from the first
// node to the second, carrying the first node's latest applied state at
// its current term, is put on the network (and printed).
//
//	send-snapshot 1 3
func (env *InteractionEnv) handleSendSnapshot(a *cmdArgs, _ datadriven.TestData) error {
	n, to, err := env.fromTo(a)
	if err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	if _, err := env.node(to); err != nil {
		return err
	}
	if len(n.History) == 0 {
		return fmt.Errorf("%s: node %d has applied nothing to snapshot", a.cmd, n.Config.ID)
	}
	snap := n.History[len(n.History)-1]
	m := pb.Message{
		Type:     pb.MsgSnap,
		From:     n.Config.ID,
		To:       to,
		Term:     n.BasicStatus().Term,
		Snapshot: &snap,
	}
	env.Messages = append(env.Messages, m)
	env.Output.Println(describeMsg(m))
	return nil
}
