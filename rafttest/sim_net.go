package rafttest

import (
	"fmt"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// simMsg is a message in flight.
type simMsg struct {
	m   pb.Message
	at  int    // the step it arrives in
	seq uint64 // send order, to break ties deterministically
}

// simNetwork delivers messages between nodes with per-message loss, delay
// (and so reordering) and duplication, and blocks the links of partitions.
type simNetwork struct {
	inflight []simMsg
	seq      uint64
	// blocked[from][to] (1-based IDs) drops messages on that link.
	blocked [][]bool
}

func (net *simNetwork) init(n int) {
	net.blocked = make([][]bool, n+1)
	for i := range net.blocked {
		net.blocked[i] = make([]bool, n+1)
	}
}

func (net *simNetwork) block(from, to uint64) { net.blocked[from][to] = true }

func (net *simNetwork) partitioned() bool {
	for _, row := range net.blocked {
		for _, b := range row {
			if b {
				return true
			}
		}
	}
	return false
}

func (net *simNetwork) heal() {
	for _, row := range net.blocked {
		clear(row)
	}
}

// send puts a message on the network, maybe losing or duplicating it.
func (net *simNetwork) send(s *Sim, m pb.Message) {
	if m.To == raft.None || m.To > uint64(len(s.nodes)) {
		s.failf(InvHarness, "message to unknown node: %s", raft.DescribeMessage(m, nil))
		return
	}
	f := &s.faults
	if !s.healing && s.chance(f.Drop) {
		s.stats.Dropped++
		s.tracef("drop %s", simDescribeMsg(m))
		net.lost(s, m)
		return
	}
	copies := 1
	if !s.healing && s.chance(f.Duplicate) {
		s.stats.Duplicated++
		copies = 2
	}
	for i := 0; i < copies; i++ {
		delay := 1
		if !s.healing && f.MaxDelay > 0 {
			delay += s.rng.IntN(f.MaxDelay + 1)
		}
		if !s.healing && f.MaxLongDelay > 0 && s.chance(f.LongDelay) {
			delay += 1 + s.rng.IntN(f.MaxLongDelay)
		}
		net.seq++
		net.inflight = append(net.inflight, simMsg{m: m, at: s.step + delay, seq: net.seq})
	}
}

// lost tells the sender's transport that a message did not arrive, as a real
// transport would notice for snapshots.
func (net *simNetwork) lost(s *Sim, m pb.Message) {
	if m.Type != pb.MsgSnap {
		return
	}
	if from := s.nodes[m.From-1]; from.rn != nil {
		from.rn.ReportSnapshot(m.To, raft.SnapshotFailure)
		s.observe(from, "report snapshot failure")
	}
}

// deliverDue delivers the messages due by now, in (arrival, send) order.
func (net *simNetwork) deliverDue(s *Sim) {
	for _, im := range net.takeDue(s) {
		if s.err != nil {
			return
		}
		net.deliver(s, im.m)
	}
}

// takeDue removes the messages due by now from the network and returns
// them in (arrival, send) order.
func (net *simNetwork) takeDue(s *Sim) []simMsg {
	var due []simMsg
	kept := net.inflight[:0]
	for _, im := range net.inflight {
		if im.at <= s.step {
			due = append(due, im)
		} else {
			kept = append(kept, im)
		}
	}
	net.inflight = kept
	// Stable insertion sort by arrival step; send order breaks ties.
	for i := 1; i < len(due); i++ {
		for j := i; j > 0 && (due[j].at < due[j-1].at || due[j].at == due[j-1].at && due[j].seq < due[j-1].seq); j-- {
			due[j], due[j-1] = due[j-1], due[j]
		}
	}
	return due
}

func (net *simNetwork) deliver(s *Sim, m pb.Message) {
	to := s.nodes[m.To-1]
	if net.blocked[m.From][m.To] {
		s.stats.Dropped++
		s.tracef("partitioned %s", simDescribeMsg(m))
		if from := s.nodes[m.From-1]; from.rn != nil {
			from.rn.ReportUnreachable(m.To)
			s.observe(from, "report unreachable")
		}
		net.lost(s, m)
		return
	}
	if to.rn == nil {
		s.stats.Dropped++
		net.lost(s, m)
		return
	}
	if s.cfg.Hooks.Deliver != nil {
		var ok bool
		if m, ok = s.cfg.Hooks.Deliver(s.step, m); !ok {
			s.stats.Dropped++
			net.lost(s, m)
			return
		}
	}
	if m.Type == pb.MsgSnap && simQueuedConfChange(to) {
		s.stats.SnapsOverApply++
		s.tracef("node %d receives a snapshot while a conf change is queued for its apply thread", to.id)
	}
	if m.Type == pb.MsgReadIndex && s.cfg.LeaseReads && len(m.Entries) == 1 {
		_, st := s.hist.lookup(m.Entries[0].Data)
		s.leaseReadArrived(to, st)
	}
	s.stats.Delivered++
	err := to.rn.Step(m)
	s.tracef("deliver %s: %v", simDescribeMsg(m), err)
	s.observe(to, "step "+m.Type.String())
	if m.Type == pb.MsgSnap {
		if from := s.nodes[m.From-1]; from.rn != nil {
			from.rn.ReportSnapshot(m.To, raft.SnapshotFinish)
			s.observe(from, "report snapshot finish")
		}
	}
}

// simDescribeMsg is a compact message description for the trace.
func simDescribeMsg(m pb.Message) string {
	s := fmt.Sprintf("%s %d->%d t%d", m.Type, m.From, m.To, m.Term)
	switch m.Type {
	case pb.MsgApp:
		s += fmt.Sprintf(" i%d/%d c%d n%d", m.Index, m.LogTerm, m.Commit, len(m.Entries))
	case pb.MsgAppResp:
		s += fmt.Sprintf(" i%d rej=%t h%d", m.Index, m.Reject, m.RejectHint)
	case pb.MsgVote, pb.MsgPreVote:
		s += fmt.Sprintf(" last %d/%d", m.Index, m.LogTerm)
	case pb.MsgVoteResp, pb.MsgPreVoteResp:
		s += fmt.Sprintf(" rej=%t", m.Reject)
	case pb.MsgHeartbeat:
		s += fmt.Sprintf(" c%d", m.Commit)
	case pb.MsgSnap:
		if m.Snapshot != nil {
			s += fmt.Sprintf(" snap %d/%d", m.Snapshot.Metadata.Term, m.Snapshot.Metadata.Index)
		}
	case pb.MsgReadIndexResp:
		s += fmt.Sprintf(" i%d", m.Index)
	}
	return s
}

// simQueuedConfChange reports whether a configuration change waits in the
// node's apply queue (async storage writes).
func simQueuedConfChange(n *simNode) bool {
	for _, m := range n.applyQ {
		for _, e := range m.Entries {
			if e.Type == pb.EntryConfChange || e.Type == pb.EntryConfChangeV2 {
				return true
			}
		}
	}
	return false
}
