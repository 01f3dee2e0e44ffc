package rafttest

import (
	"fmt"

	"github.com/raftcore/raft"
)

// Lease mode (SimConfig.LeaseReads).
//
// A leader's lease is an argument about time: a follower that acknowledged
// a heartbeat sent at the leader's tick t refuses to vote for anyone else
// until it has ticked ElectionTick times since it received it, so the
// leader may answer reads alone until (its own) tick t + ElectionTick,
// minus a margin for clocks that run at different rates. Random per-node
// ticks make the rates unbounded, so the default mode cannot test leases.
// Lease mode makes time advance in rounds instead, one per step: in each
// round every up node ticks once, and the ticks are interleaved at random
// with the round's message deliveries (a message may arrive just before or
// just after its receiver's tick, the two ends of tick discretization).
//
// Clocks drift within a bound: a node's clock may skip a tick or tick twice
// in a round, but at most once every driftGap = ceil(100/MaxDriftPercent)
// rounds. In a window of W rounds a clock then makes at most ceil(W/driftGap)
// adjustments of one tick each, so it is off by at most
// ceil(W*MaxDriftPercent/100) ticks. Each incarnation of a node draws the
// character of its clock: exact, fast (it doubles a tick whenever the bound
// allows), slow (it skips whenever allowed) or erratic (it adjusts now and
// then, either way). A slow leader with fast followers is the case the
// core's margin must cover.
//
// The lease is checked in two ways. The history's linearizability catches a
// stale read that a client could observe. And each read that a leader
// answers from its lease is checked directly: when the read is made, no
// leader of a later term may have been elected already, since a quorum
// acknowledged the leader recently enough that none of it may have voted
// since. A read is known to be answered from the lease when the leader
// answers it in the round it was made: a heartbeat round takes at least two
// rounds (out in one, back in the next at the earliest).

// The characters of simulated clocks.
const (
	simClockExact = iota
	simClockFast
	simClockSlow
	simClockErratic
	simClockKinds
)

func simClockName(kind int) string {
	switch kind {
	case simClockExact:
		return "exact"
	case simClockFast:
		return "fast"
	case simClockSlow:
		return "slow"
	case simClockErratic:
		return "erratic"
	}
	return fmt.Sprint("clock", kind)
}

// drawClock gives a starting node's clock its character (lease mode only,
// so that the default mode draws nothing).
func (s *Sim) drawClock(n *simNode) {
	if !s.cfg.LeaseReads || s.driftGap == 0 {
		return
	}
	n.clockKind = s.rng.IntN(simClockKinds)
}

// roundTicks returns how many times node n ticks in this round.
func (s *Sim) roundTicks(n *simNode) int {
	c := 1
	if g := s.driftGap; g > 0 && (!n.adjusted || s.step-n.lastAdjust >= g) {
		d := 0
		switch n.clockKind {
		case simClockFast:
			d = 1
		case simClockSlow:
			d = -1
		case simClockErratic:
			switch s.rng.IntN(2 * g) {
			case 0:
				d = 1
			case 1:
				d = -1
			}
		}
		if d != 0 {
			c += d
			n.adjusted, n.lastAdjust = true, s.step
			s.stats.DriftTicks++
		}
	}
	if s.cfg.Hooks.Ticks != nil {
		c = s.cfg.Hooks.Ticks(n.id, s.step, c)
	}
	return c
}

// leaseRound advances time by one round: every up node ticks (as its clock
// says), at random points among the deliveries of the messages due.
func (s *Sim) leaseRound() {
	due := s.net.takeDue(s)
	var ticks []*simNode
	for _, i := range s.rng.Perm(len(s.nodes)) {
		n := s.nodes[i]
		if n.rn == nil {
			continue
		}
		for c := s.roundTicks(n); c > 0; c-- {
			ticks = append(ticks, n)
		}
	}
	// A uniformly random interleaving of the two sequences, each kept in
	// order.
	for len(ticks)+len(due) > 0 && s.err == nil {
		if len(due) == 0 || len(ticks) > 0 && s.rng.IntN(len(ticks)+len(due)) < len(ticks) {
			n := ticks[0]
			ticks = ticks[1:]
			if n.rn != nil {
				n.rn.Tick()
				s.tracef("tick %d", n.id)
				s.observe(n, "tick")
			}
			continue
		}
		m := due[0].m
		due = due[1:]
		s.net.deliver(s, m)
	}
}

// leaseReadArrived notes, for the direct lease check, that a read reached
// node n (made there, or forwarded to it): if n leads, what the cluster
// looked like at that moment.
func (s *Sim) leaseReadArrived(n *simNode, st *simOpState) {
	if !s.cfg.LeaseReads || st == nil || n.rn == nil {
		return
	}
	bs := n.rn.BasicStatus()
	if bs.RaftState != raft.StateLeader {
		return
	}
	if len(n.rn.Status().Config.Voters.IDs()) < 2 {
		return // a single voter answers every read at once
	}
	st.leaseNode, st.leaseIncarnation, st.leaseStep = n.id, n.incarnation, s.step
	st.leaseTerm, st.leaseMaxTerm = bs.Term, s.chk.maxLeaderTerm
}

// checkLeaseRead runs when node n answers the read op (in a Ready's read
// states, or in a MsgReadIndexResp to the follower that forwarded it): if
// the read reached n while n led, in this round, n answered it from its
// lease.
func (s *Sim) checkLeaseRead(n *simNode, op *LinOp, st *simOpState) {
	if st.leaseNode != n.id || st.leaseIncarnation != n.incarnation || st.leaseStep != s.step {
		return
	}
	st.leaseNode = 0 // once (a duplicated request is answered twice)
	s.stats.LeaseReads++
	op.Note += fmt.Sprintf(" lease@%d", n.id)
	s.tracef("node %d answered read #%d from its lease (term %d)", n.id, op.ID, st.leaseTerm)
	if st.leaseMaxTerm > st.leaseTerm && !s.noLeaseCheck {
		s.failf(InvLease, "node %d, leader of term %d, answered read #%d of %s from its lease at step %d, "+
			"but node %d had been elected leader of term %d already",
			n.id, st.leaseTerm, op.ID, op.Key, s.step, s.chk.leaders[st.leaseMaxTerm], st.leaseMaxTerm)
	}
}
