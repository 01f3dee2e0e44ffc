package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
	pb "github.com/raftcore/raft/raftpb"
)

// handleDeliverMsgs implements deliver-msgs:
//
//	deliver-msgs 2 3
//	deliver-msgs drop=(3)
//	deliver-msgs type=MsgApp 2
func (env *InteractionEnv) handleDeliverMsgs(a *cmdArgs, _ datadriven.TestData) error {
	drop, err := a.idsArg("drop")
	if err != nil {
		return err
	}
	var typName string
	filter := func(pb.Message) bool { return true }
	if ok, err := a.stringArg("type", &typName); err != nil {
		return err
	} else if ok {
		t, known := pb.MessageType_value[typName]
		if !known {
			return a.errorf("type", "unknown message type %q", typName)
		}
		filter = func(m pb.Message) bool { return m.Type == pb.MessageType(t) }
	}
	ids, err := a.positionalIDs()
	if err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	if len(ids) == 0 && len(drop) == 0 {
		return fmt.Errorf("%s: want node IDs to deliver to or drop=(...)", a.cmd)
	}
	for _, id := range drop {
		for _, m := range env.takeMessages(id, filter) {
			env.Output.Printf("dropped: %s\n", describeMsg(m))
		}
	}
	for _, id := range ids {
		if _, err := env.node(id); err != nil {
			return err
		}
		env.deliver(id, env.takeMessages(id, filter))
	}
	return nil
}

// takeMessages removes from the network, and returns, the messages to id
// that match keep, in the order they were sent.
func (env *InteractionEnv) takeMessages(id uint64, keep func(pb.Message) bool) []pb.Message {
	var taken, rest []pb.Message
	for _, m := range env.Messages {
		if m.To == id && keep(m) {
			taken = append(taken, m)
		} else {
			rest = append(rest, m)
		}
	}
	env.Messages = rest
	return taken
}

// hasMessagesTo reports whether a message to id is in flight.
func (env *InteractionEnv) hasMessagesTo(id uint64) bool {
	for _, m := range env.Messages {
		if m.To == id {
			return true
		}
	}
	return false
}

// deliver steps msgs into node id, printing each message, the log lines
// it causes and any error.
func (env *InteractionEnv) deliver(id uint64, msgs []pb.Message) {
	if len(msgs) == 0 {
		return
	}
	n := &env.Nodes[id-1]
	env.Output.Printf("> %d receiving messages\n", id)
	env.Output.Nest(func() {
		for _, m := range msgs {
			env.Output.Println(describeMsg(m))
			if err := n.Step(m); err != nil {
				env.Output.Nest(func() { env.Output.Printf("error: %v\n", err) })
			}
		}
	})
}
