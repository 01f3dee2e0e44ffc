package rafttest

import (
	"fmt"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// printReady prints the parts of a Ready that are present, one labelled
// section each.
func (env *InteractionEnv) printReady(rd raft.Ready) {
	out := env.Output
	if rd.SoftState != nil {
		out.Printf("SoftState: %s\n", raft.DescribeSoftState(*rd.SoftState))
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		out.Printf("HardState: %s\n", raft.DescribeHardState(rd.HardState))
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		out.Printf("Snapshot: %s\n", raft.DescribeSnapshot(rd.Snapshot))
	}
	printEntries(out, "Entries", rd.Entries)
	printEntries(out, "CommittedEntries", rd.CommittedEntries)
	if len(rd.Messages) > 0 {
		out.Println("Messages:")
		out.Nest(func() {
			for _, m := range rd.Messages {
				out.Println(describeMsg(m))
			}
		})
	}
	if len(rd.ReadStates) > 0 {
		out.Println("ReadStates:")
		out.Nest(func() {
			for _, rs := range rd.ReadStates {
				out.Printf("Index:%d Ctx:%q\n", rs.Index, rs.RequestCtx)
			}
		})
	}
}

func printEntries(out *Output, label string, ents []pb.Entry) {
	if len(ents) == 0 {
		return
	}
	out.Printf("%s:\n", label)
	out.Nest(func() {
		for _, e := range ents {
			out.Println(raft.DescribeEntry(e, nil))
		}
	})
}

// persist writes a node's hard state, snapshot and entries to its
// Storage, in that order (a snapshot replaces the log, entries follow it).
func (n *Node) persist(hs pb.HardState, snap *pb.Snapshot, ents []pb.Entry) error {
	if !raft.IsEmptyHardState(hs) {
		if err := n.Storage.SetHardState(hs); err != nil {
			return fmt.Errorf("node %d: SetHardState: %v", n.Config.ID, err)
		}
	}
	if snap != nil && !raft.IsEmptySnap(*snap) {
		if err := n.Storage.ApplySnapshot(*snap); err != nil {
			return fmt.Errorf("node %d: ApplySnapshot: %v", n.Config.ID, err)
		}
	}
	if err := n.Storage.Append(ents); err != nil {
		return fmt.Errorf("node %d: Append: %v", n.Config.ID, err)
	}
	return nil
}

// applySnapshot loads a snapshot into the state machine.
func (n *Node) applySnapshot(snap pb.Snapshot) {
	if raft.IsEmptySnap(snap) || snap.Metadata.Index <= n.sm.applied.Index {
		return
	}
	n.sm.restore(snap)
	n.History = append(n.History, snap)
}

// applyEntries applies committed entries to the state machine: normal
// entries append their data, configuration changes go to ApplyConfChange.
// Entries the state machine already reflects (through a snapshot) are
// skipped, and said so.
func (env *InteractionEnv) applyEntries(n *Node, ents []pb.Entry) error {
	for _, e := range ents {
		if e.Index <= n.sm.applied.Index {
			env.Output.Printf("skipping %s: the state machine is at %d/%d\n",
				raft.DescribeEntry(e, nil), n.sm.applied.Term, n.sm.applied.Index)
			continue
		}
		var cc pb.ConfChangeI
		switch e.Type {
		case pb.EntryNormal:
			if len(e.Data) > 0 {
				if n.sm.content != "" {
					n.sm.content += ","
				}
				n.sm.content += string(e.Data)
			}
		case pb.EntryConfChange:
			var c pb.ConfChange
			if err := c.Unmarshal(e.Data); err != nil {
				return fmt.Errorf("node %d: entry %d/%d: %v", n.Config.ID, e.Term, e.Index, err)
			}
			cc = c
		case pb.EntryConfChangeV2:
			var c pb.ConfChangeV2
			if err := c.Unmarshal(e.Data); err != nil {
				return fmt.Errorf("node %d: entry %d/%d: %v", n.Config.ID, e.Term, e.Index, err)
			}
			cc = c
		}
		if cc != nil {
			cs := n.ApplyConfChange(cc)
			n.sm.conf = *cs
			env.Output.Printf("ConfState after %d/%d: %s\n", e.Term, e.Index, raft.DescribeConfState(*cs))
		}
		n.sm.applied = pb.Entry{Term: e.Term, Index: e.Index}
		n.History = append(n.History, n.sm.snapshot())
	}
	return nil
}
