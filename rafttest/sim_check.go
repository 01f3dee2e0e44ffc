package rafttest

import (
	"math"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// simEntryID is an entry's position.
type simEntryID struct{ index, term uint64 }

// simLogRec is what the checker knows of the entry at an (index, term).
type simLogRec struct {
	digest      uint64
	knownDigest bool // false for snapshot boundaries
	prevTerm    uint64
	knownPrev   bool
	node        uint64
}

// simCommitRec is an entry known to be committed. term bounds from above the
// term in which it was committed: the term of the node that persisted a
// commit index covering it (a node learns a commit index only from a leader
// of its current term or an earlier one).
type simCommitRec struct {
	term, digest uint64
	commitTerm   uint64
	node         uint64
	what         string // "committed" or "acknowledged op #N"
}

// simApplyRec is the entry applied at an index.
type simApplyRec struct {
	term, digest uint64
	node         uint64
}

// simStateRec is the state machine digest at an index.
type simStateRec struct {
	digest uint64
	node   uint64
	how    string
}

// simChecker holds the global records the invariants are checked against.
// Its maps are only looked up, never iterated, so they do not affect
// determinism.
type simChecker struct {
	leaders map[uint64]uint64 // term -> leader
	// maxLeaderTerm is the highest term a leader was seen in.
	maxLeaderTerm uint64
	log           map[simEntryID]simLogRec
	committed     map[uint64]simCommitRec
	maxCommitted  uint64
	acked         map[uint64]simCommitRec
	maxAcked      uint64
	applied       map[uint64]simApplyRec
	states        map[uint64]simStateRec
}

func (c *simChecker) init() {
	c.leaders = map[uint64]uint64{}
	c.log = map[simEntryID]simLogRec{}
	c.committed = map[uint64]simCommitRec{}
	c.acked = map[uint64]simCommitRec{}
	c.applied = map[uint64]simApplyRec{}
	c.states = map[uint64]simStateRec{}
}

// recordLeader checks Election Safety and arms the completeness check of a
// new leadership.
func (c *simChecker) recordLeader(s *Sim, n *simNode, term uint64) {
	if l, ok := c.leaders[term]; ok && l != n.id {
		s.failf(InvElectionSafety, "nodes %d and %d are both leaders of term %d", l, n.id, term)
		return
	}
	if _, ok := c.leaders[term]; !ok {
		c.leaders[term] = n.id
		c.maxLeaderTerm = max(c.maxLeaderTerm, term)
		s.tracef("node %d is leader of term %d", n.id, term)
	}
	if n.leaderCheck != term && n.lastLeaderTerm != term {
		n.leaderCheck = term
		n.lastLeaderTerm = term
	}
}

// recordEntries reads back entries [lo, hi] that were just persisted and
// checks them against every entry persisted anywhere at the same position.
func (c *simChecker) recordEntries(s *Sim, n *simNode, lo, hi uint64) {
	first, _ := n.st.FirstIndex()
	if lo < first {
		lo = first
	}
	if lo > hi {
		return
	}
	ents, err := n.st.Entries(lo, hi+1, math.MaxUint64)
	if err != nil {
		s.failf(InvHarness, "node %d: reading back entries [%d, %d]: %v", n.id, lo, hi, err)
		return
	}
	if len(ents) != int(hi-lo+1) {
		s.failf(InvHarness, "node %d: reading back entries [%d, %d] gave %d", n.id, lo, hi, len(ents))
		return
	}
	prev, err := n.st.Term(lo - 1)
	if err != nil {
		s.failf(InvHarness, "node %d: Term(%d): %v", n.id, lo-1, err)
		return
	}
	for i := range ents {
		e := &ents[i]
		if e.Index != lo+uint64(i) {
			s.failf(InvLogMatching, "node %d: storage holds index %d at position %d", n.id, e.Index, lo+uint64(i))
			return
		}
		rec := simLogRec{digest: simEntryDigest(e), knownDigest: true, prevTerm: prev, knownPrev: true, node: n.id}
		c.recordLogRec(s, simEntryID{e.Index, e.Term}, rec)
		if s.err != nil {
			return
		}
		// An entry at or below the node's persisted commit must be the
		// committed one: committed entries are never overwritten.
		if e.Index <= n.persisted.Commit {
			if cr, ok := c.committed[e.Index]; ok && (cr.term != e.Term || cr.digest != rec.digest) {
				s.failf(InvStateMachineSafety, "node %d overwrote committed index %d (term %d, by node %d) with term %d",
					n.id, e.Index, cr.term, cr.node, e.Term)
				return
			}
		}
		prev = e.Term
	}
}

// recordSnapshotTerm records the (index, term) a persisted snapshot ends at.
func (c *simChecker) recordSnapshotTerm(s *Sim, n *simNode, snap pb.Snapshot) {
	md := snap.Metadata
	c.recordLogRec(s, simEntryID{md.Index, md.Term}, simLogRec{node: n.id})
	if cr, ok := c.committed[md.Index]; ok && cr.term != md.Term {
		s.failf(InvStateMachineSafety, "node %d persisted a snapshot at %d/%d but term %d was committed there (by node %d)",
			n.id, md.Term, md.Index, cr.term, cr.node)
	}
}

func (c *simChecker) recordLogRec(s *Sim, id simEntryID, rec simLogRec) {
	old, ok := c.log[id]
	if !ok {
		c.log[id] = rec
		return
	}
	if old.knownDigest && rec.knownDigest && old.digest != rec.digest {
		s.failf(InvLogMatching, "index %d term %d holds different entries on nodes %d and %d", id.index, id.term, old.node, rec.node)
		return
	}
	if old.knownPrev && rec.knownPrev && old.prevTerm != rec.prevTerm {
		s.failf(InvLogMatching, "index %d term %d follows term %d on node %d but term %d on node %d: the logs differ before it",
			id.index, id.term, old.prevTerm, old.node, rec.prevTerm, rec.node)
		return
	}
	if !old.knownDigest && rec.knownDigest || !old.knownPrev && rec.knownPrev {
		c.log[id] = rec
	}
}

// checkPersisted reads back the node's hard state after a write and checks
// durability and the commit index; it records the entries newly covered by
// the persisted commit index.
func (c *simChecker) checkPersisted(s *Sim, n *simNode) {
	hs, _, err := n.st.InitialState()
	if err != nil {
		s.failf(InvHarness, "node %d: InitialState: %v", n.id, err)
		return
	}
	prev := n.persisted
	switch {
	case hs.Term < prev.Term:
		s.failf(InvDurability, "node %d persisted term %d after %d", n.id, hs.Term, prev.Term)
		return
	case hs.Term == prev.Term && prev.Vote != raft.None && hs.Vote != prev.Vote:
		s.failf(InvDurability, "node %d changed its persisted vote in term %d from %d to %d", n.id, hs.Term, prev.Vote, hs.Vote)
		return
	case hs.Commit < prev.Commit:
		s.failf(InvCommitIndex, "node %d persisted commit %d after %d", n.id, hs.Commit, prev.Commit)
		return
	}
	last, _ := n.st.LastIndex()
	if hs.Commit > last {
		s.failf(InvCommitIndex, "node %d persisted commit %d beyond its last index %d", n.id, hs.Commit, last)
		return
	}
	n.persisted = hs
	if hs.Commit <= n.commitRecorded {
		return
	}
	first, _ := n.st.FirstIndex()
	lo := n.commitRecorded + 1
	if lo < first {
		lo = first
	}
	n.commitRecorded = hs.Commit
	if lo > hs.Commit {
		return
	}
	ents, err := n.st.Entries(lo, hs.Commit+1, math.MaxUint64)
	if err != nil {
		s.failf(InvHarness, "node %d: reading committed entries [%d, %d]: %v", n.id, lo, hs.Commit, err)
		return
	}
	for i := range ents {
		e := &ents[i]
		c.recordCommitted(s, c.committed, &c.maxCommitted, e.Index, simCommitRec{
			term: e.Term, digest: simEntryDigest(e), commitTerm: hs.Term, node: n.id, what: "a committed entry",
		})
		if s.err != nil {
			return
		}
	}
}

// recordCommitted adds to the committed (or acknowledged) record, which
// must never hold two different entries at one index.
func (c *simChecker) recordCommitted(s *Sim, m map[uint64]simCommitRec, max *uint64, index uint64, rec simCommitRec) {
	old, ok := m[index]
	if !ok {
		m[index] = rec
		if index > *max {
			*max = index
		}
		return
	}
	if old.term != rec.term || old.digest != rec.digest {
		s.failf(InvStateMachineSafety, "different entries committed at index %d: term %d (node %d) and term %d (node %d)",
			index, old.term, old.node, rec.term, rec.node)
		return
	}
	if rec.commitTerm < old.commitTerm {
		old.commitTerm = rec.commitTerm
		m[index] = old
	}
}

// recordAck records a put its client saw applied.
func (c *simChecker) recordAck(s *Sim, n *simNode, e *pb.Entry) {
	c.recordCommitted(s, c.acked, &c.maxAcked, e.Index, simCommitRec{
		term: e.Term, digest: simEntryDigest(e), commitTerm: n.rn.BasicStatus().Term, node: n.id, what: "an acknowledged put",
	})
}

// recordApplied checks that a node's state machine applies a contiguous
// sequence and the same entry at each index as every other node.
func (c *simChecker) recordApplied(s *Sim, n *simNode, e *pb.Entry) {
	if e.Index != n.appliedRecorded+1 {
		s.failf(InvStateMachineSafety, "node %d's state machine applied index %d after %d: it skipped entries",
			n.id, e.Index, n.appliedRecorded)
		return
	}
	n.appliedRecorded = e.Index
	rec := simApplyRec{term: e.Term, digest: simEntryDigest(e), node: n.id}
	if old, ok := c.applied[e.Index]; ok {
		if old.term != rec.term || old.digest != rec.digest {
			s.failf(InvStateMachineSafety, "index %d: node %d applied an entry of term %d, node %d one of term %d (or other content)",
				e.Index, old.node, old.term, n.id, e.Term)
		}
		return
	}
	c.applied[e.Index] = rec
	if cr, ok := c.committed[e.Index]; ok && (cr.term != rec.term || cr.digest != rec.digest) {
		s.failf(InvStateMachineSafety, "node %d applied at %d an entry of term %d, but term %d was committed there",
			n.id, e.Index, e.Term, cr.term)
	}
}

// recordStateDigest checks that state machine snapshots at one index agree.
func (c *simChecker) recordStateDigest(s *Sim, n *simNode, index, digest uint64, how string) {
	old, ok := c.states[index]
	if !ok {
		c.states[index] = simStateRec{digest: digest, node: n.id, how: how}
		return
	}
	if old.digest != digest {
		s.failf(InvStateMachineSafety, "state machines differ at index %d: snapshot %s by node %d and %s by node %d",
			index, old.how, old.node, how, n.id)
	}
}

// storedLog returns n's whole stored log and the index of its first
// entry; ok is false (and the run has failed) if the storage cannot serve
// it.
func (s *Sim) storedLog(n *simNode) (first uint64, ents []pb.Entry, ok bool) {
	first, _ = n.st.FirstIndex()
	last, _ := n.st.LastIndex()
	ents, err := n.st.Entries(first, last+1, math.MaxUint64)
	if err != nil {
		s.failf(InvHarness, "node %d: reading its log: %v", n.id, err)
		return 0, nil, false
	}
	return first, ents, true
}

// checkLeaderLog runs the completeness checks of a leadership once the
// leader has persisted the first entry of its term: its log before that
// entry was fixed when it was elected.
func (c *simChecker) checkLeaderLog(s *Sim, n *simNode) {
	term := n.leaderCheck
	first, ents, ok := s.storedLog(n)
	if !ok {
		return
	}
	k := uint64(0)
	for i := range ents {
		if ents[i].Term > term {
			n.leaderCheck = 0 // the term's first entry was lost before it was persisted
			return
		}
		if ents[i].Term == term {
			k = ents[i].Index
			break
		}
	}
	if k == 0 {
		return // not persisted yet
	}
	n.leaderCheck = 0
	s.stats.LeaderChecks++
	c.checkContains(s, n, term, first, k, ents, c.committed, c.maxCommitted, InvLeaderCompleteness)
	if s.err == nil {
		c.checkContains(s, n, term, first, k, ents, c.acked, c.maxAcked, InvAckedLoss)
	}
}

// checkContains checks that the leader of term, whose log ents starts at
// first and whose term begins at index k, holds every recorded entry that
// was committed in an earlier term.
func (c *simChecker) checkContains(s *Sim, n *simNode, term, first, k uint64, ents []pb.Entry,
	recs map[uint64]simCommitRec, max uint64, inv SimInvariant) {
	for j := first; j <= max; j++ {
		rec, ok := recs[j]
		if !ok || rec.commitTerm >= term {
			continue
		}
		if j >= k {
			s.failf(inv, "leader %d of term %d starts its term at index %d, but %s of term %d at index %d was known committed by term %d (node %d)",
				n.id, term, k, rec.what, rec.term, j, rec.commitTerm, rec.node)
			return
		}
		e := &ents[j-first]
		if e.Term != rec.term || simEntryDigest(e) != rec.digest {
			s.failf(inv, "leader %d of term %d has term %d at index %d, but %s of term %d is there (known committed by term %d, node %d)",
				n.id, term, e.Term, j, rec.what, rec.term, rec.commitTerm, rec.node)
			return
		}
	}
}

// checkLogsPairwise compares every two nodes' persisted logs directly: where
// they hold an entry with the same index and term, they must be identical up
// to it. It is an oracle for the incremental check in recordEntries.
func (s *Sim) checkLogsPairwise() {
	type plog struct {
		first uint64
		ents  []pb.Entry
	}
	logs := make([]plog, len(s.nodes))
	for i, n := range s.nodes {
		first, ents, ok := s.storedLog(n)
		if !ok {
			return
		}
		logs[i] = plog{first, ents}
	}
	for i := range logs {
		for j := i + 1; j < len(logs); j++ {
			a, b := logs[i], logs[j]
			lo := max(a.first, b.first)
			hi := min(a.first+uint64(len(a.ents)), b.first+uint64(len(b.ents))) // exclusive
			matched := false
			for x := hi; x > lo; x-- {
				ea, eb := &a.ents[x-1-a.first], &b.ents[x-1-b.first]
				if !matched && ea.Term == eb.Term {
					matched = true
				}
				if matched && (ea.Term != eb.Term || simEntryDigest(ea) != simEntryDigest(eb)) {
					s.failf(InvLogMatching, "nodes %d and %d agree on a later entry but differ at index %d (terms %d and %d)",
						s.nodes[i].id, s.nodes[j].id, x-1, ea.Term, eb.Term)
					return
				}
			}
		}
	}
}
