package rafttest

import (
	"fmt"
	"strings"

	"github.com/raftcore/raft"
)

// HealAndCheckLiveness ends the faults: it heals every partition, restarts
// every crashed node and makes the network perfect (no loss, duplication or
// extra delay; every node ticks and handles its Ready in every step). Then,
// within SimConfig.LivenessTicks, a leader must be elected and a proposal
// made at it must commit; within as many ticks again every member of the
// leader's configuration must apply everything the leader committed, and
// the state machines of all members must then be identical.
func (s *Sim) HealAndCheckLiveness() error {
	if s.err != nil {
		return s.err
	}
	s.healing = true
	s.net.heal()
	s.tracef("heal: all partitions healed, network perfect")
	for _, n := range s.nodes {
		if n.rn == nil {
			s.restart(n)
		}
	}
	var (
		probe      uint64
		proposedBy *simNode
		proposedAt int
		done       bool
	)
	budget := s.cfg.LivenessTicks
	for ticks := 0; ticks < budget && s.err == nil; ticks++ {
		s.healStep()
		ld := s.currentLeader()
		if ld == nil {
			continue
		}
		if probe != 0 && ld.kv.seen[probe] {
			s.stats.LivenessTicks = ticks
			s.tracef("liveness: leader %d committed the probe after %d ticks", ld.id, ticks)
			done = true
			break
		}
		if probe == 0 || proposedBy != ld || ticks-proposedAt > s.cfg.ElectionTick {
			if probe == 0 {
				probe = s.hist.reserveID()
			}
			proposedBy, proposedAt = ld, ticks
			err := ld.rn.Propose(simEncodePut(probe, "__liveness__", "probe"))
			s.tracef("liveness: propose probe #%d at leader %d: %v", probe, ld.id, err)
			s.observe(ld, "propose probe")
		}
	}
	if s.err != nil {
		return s.err
	}
	if !done {
		s.failf(InvLiveness, "no leader committed a proposal within %d ticks after healing\n%s", budget, s.describeNodes())
		return s.err
	}
	return s.checkConvergence()
}

// healStep is one step of the healed cluster.
func (s *Sim) healStep() {
	s.step++
	if s.step%s.cfg.ElectionTick == 0 {
		for _, n := range s.nodes {
			s.compact(n, false)
		}
	}
	s.tickAll()
	s.net.deliverDue(s)
	s.processAll()
}

// currentLeader returns the up leader of the highest term, or nil.
func (s *Sim) currentLeader() *simNode {
	var best *simNode
	var bestTerm uint64
	for _, n := range s.nodes {
		if n.rn == nil {
			continue
		}
		st := n.rn.BasicStatus()
		if st.RaftState == raft.StateLeader && st.Term > bestTerm {
			best, bestTerm = n, st.Term
		}
	}
	return best
}

// checkConvergence waits for every member to apply what the leader
// committed and compares their state machines.
func (s *Sim) checkConvergence() error {
	for ticks := 0; ticks < s.cfg.LivenessTicks && s.err == nil; ticks++ {
		ld := s.currentLeader()
		if ld == nil {
			s.healStep()
			continue
		}
		members := s.members(ld)
		target := ld.kv.applied
		var lagging []string
		for _, id := range members {
			n := s.nodes[id-1]
			if n.kv.applied != target {
				lagging = append(lagging, fmt.Sprintf("%d(applied %d)", id, n.kv.applied))
			}
		}
		if len(lagging) == 0 && ld.kv.applied == ld.rn.BasicStatus().Commit {
			want := ld.kv.encode()
			for _, id := range members {
				if got := s.nodes[id-1].kv.encode(); string(got) != string(want) {
					s.failf(InvStateMachineSafety, "nodes %d and %d applied up to %d but their state machines differ:\n%s\nvs\n%s",
						ld.id, id, target, want, got)
					return s.err
				}
			}
			s.tracef("converged: %d members at applied %d", len(members), target)
			return nil
		}
		if ticks == s.cfg.LivenessTicks-1 {
			s.failf(InvLiveness, "members did not catch up with leader %d (applied %d) within %d ticks: %s\n%s",
				ld.id, target, s.cfg.LivenessTicks, strings.Join(lagging, " "), s.describeNodes())
			return s.err
		}
		s.healStep()
	}
	return s.err
}

// members lists the voters and learners of a node's configuration.
func (s *Sim) members(n *simNode) []uint64 {
	cfg := n.rn.Status().Config
	var ids []uint64
	for id := range cfg.Voters.IDs() {
		ids = append(ids, id)
	}
	for id := range cfg.Learners {
		ids = append(ids, id)
	}
	for id := range cfg.LearnersNext {
		ids = append(ids, id)
	}
	simSortIDs(ids)
	return ids
}

// describeNodes lists every node's state, for failure reports.
func (s *Sim) describeNodes() string {
	var b strings.Builder
	for _, n := range s.nodes {
		if n.rn == nil {
			fmt.Fprintf(&b, "  node %d: down\n", n.id)
			continue
		}
		st := n.rn.Status()
		first, _ := n.st.FirstIndex()
		last, _ := n.st.LastIndex()
		fmt.Fprintf(&b, "  node %d: %s term=%d vote=%d lead=%d commit=%d applied=%d log=[%d,%d] conf=%s transferee=%d\n",
			n.id, st.RaftState, st.Term, st.Vote, st.Lead, st.Commit, n.kv.applied, first, last,
			raft.DescribeConfState(n.confState), st.LeadTransferee)
		if st.RaftState == raft.StateLeader {
			var ids []uint64
			for id := range st.Progress {
				ids = append(ids, id)
			}
			simSortIDs(ids)
			for _, id := range ids {
				pr := st.Progress[id]
				fmt.Fprintf(&b, "    progress of %d: %s\n", id, pr.String())
			}
		}
	}
	fmt.Fprintf(&b, "  in flight: %d messages", len(s.net.inflight))
	return b.String()
}

// CheckHistory checks the client history for linearizability.
func (s *Sim) CheckHistory() error {
	if s.err != nil {
		return s.err
	}
	res := CheckLinearizable(s.hist.ops())
	if !res.OK {
		verdict := "not linearizable"
		if res.Inconclusive {
			verdict = "inconclusive (search budget exhausted)"
		}
		s.failf(InvLinearizability, "history of key %s is %s\n%s", res.Key, verdict, res.Explanation)
	}
	return s.err
}
