package rafttest

import (
	"fmt"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// InteractionOpts configures an InteractionEnv.
type InteractionOpts struct {
	// OnConfig, if set, is called with the Config of every node that
	// add-nodes creates (and restart recreates), after the command's
	// arguments were applied and before the node is built. Tests use it to
	// force settings on a whole file.
	OnConfig func(*raft.Config)

	// SetRandomizedElectionTimeout, if set, overrides the randomized
	// election timeout of a node. The raft package provides it to its own
	// tests; without it, the set-randomized-election-timeout command fails.
	SetRandomizedElectionTimeout func(*raft.RawNode, int)
}

// Storage is what a Node persists to: the raft.Storage the node reads, plus
// the writes the environment performs on the node's behalf.
// *raft.MemoryStorage satisfies it.
type Storage interface {
	raft.Storage
	SetHardState(pb.HardState) error
	ApplySnapshot(pb.Snapshot) error
	Compact(index uint64) error
	Append(entries []pb.Entry) error
}

// snapshotCreator is implemented by storages that can record a snapshot
// of the state machine, as *raft.MemoryStorage does. The compact command
// uses it so that a leader can still serve followers from the compacted
// log.
type snapshotCreator interface {
	CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error)
}

// Node is one member of the environment: a RawNode with its storage and
// its state machine.
type Node struct {
	*raft.RawNode
	// Storage is the node's durable state. It survives restart.
	Storage Storage
	// Config is the configuration the RawNode was built from.
	Config *raft.Config

	// AppendWork holds the MsgStorageAppend messages the node handed out
	// (with AsyncStorageWrites) that process-append-thread has not run.
	AppendWork []pb.Message
	// ApplyWork holds the MsgStorageApply messages that
	// process-apply-thread has not run.
	ApplyWork []pb.Message

	// History holds a snapshot of the state machine after every applied
	// entry (and every installed snapshot), oldest first. send-snapshot and
	// compact take their snapshots from it.
	History []pb.Snapshot

	// sm is the replicated state machine: the data of applied entries.
	sm stateMachine
}

// stateMachine is the application state of a node: the payloads of the
// applied normal entries, joined by commas, and the configuration of the
// last applied configuration change.
type stateMachine struct {
	content string
	applied pb.Entry // term and index of the last applied entry
	conf    pb.ConfState
}

// snapshot captures the state machine.
func (sm *stateMachine) snapshot() pb.Snapshot {
	return pb.Snapshot{
		Data: []byte(sm.content),
		Metadata: pb.SnapshotMetadata{
			ConfState: sm.conf,
			Index:     sm.applied.Index,
			Term:      sm.applied.Term,
		},
	}
}

// restore replaces the state machine with a snapshot's.
func (sm *stateMachine) restore(s pb.Snapshot) {
	sm.content = string(s.Data)
	sm.applied = pb.Entry{Term: s.Metadata.Term, Index: s.Metadata.Index}
	sm.conf = s.Metadata.ConfState
}

// InteractionEnv is the state of one scenario: the nodes, the network
// between them and the output of the current command. Handle runs a
// command against it; see doc.go for the language.
type InteractionEnv struct {
	// Options are the options the environment was created with.
	Options *InteractionOpts
	// Nodes are the nodes of the scenario; Nodes[i] has ID i+1.
	Nodes []Node
	// Messages are the messages in flight, in the order they were sent.
	// deliver-msgs and stabilize take them out.
	Messages []pb.Message
	// Output collects what the current command prints, including the
	// nodes' log lines. Handle returns and resets it.
	Output *Output

	logger *logger
}

// NewInteractionEnv returns an empty environment. opts may be nil.
func NewInteractionEnv(opts *InteractionOpts) *InteractionEnv {
	if opts == nil {
		opts = &InteractionOpts{}
	}
	out := &Output{}
	return &InteractionEnv{
		Options: opts,
		Output:  out,
		logger:  &logger{out: out, level: levelInfo},
	}
}

// node returns the node with the given ID.
func (env *InteractionEnv) node(id uint64) (*Node, error) {
	if id == 0 || id > uint64(len(env.Nodes)) {
		return nil, fmt.Errorf("no node with ID %d (the environment has %d nodes)", id, len(env.Nodes))
	}
	return &env.Nodes[id-1], nil
}

// allIDs returns the IDs of every node, ascending.
func (env *InteractionEnv) allIDs() []uint64 {
	ids := make([]uint64, len(env.Nodes))
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	return ids
}

// describeMsg renders a message the way all commands print it.
func describeMsg(m pb.Message) string {
	return raft.DescribeMessage(m, nil)
}
