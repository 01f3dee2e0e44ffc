package kv

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// applyEntries applies committed entries to the store, in log order.
func (n *Node) applyEntries(ents []pb.Entry) error {
	for i := range ents {
		e := &ents[i]
		if e.Index <= n.appliedIndex {
			// Covered by a snapshot installed in the same Ready.
			continue
		}
		var err error
		switch e.Type {
		case pb.EntryNormal:
			err = n.applyNormal(e)
		case pb.EntryConfChange:
			var cc pb.ConfChange
			if err = cc.Unmarshal(e.Data); err == nil {
				err = n.applyConfChange(e, cc, cc.ID)
			}
		case pb.EntryConfChangeV2:
			// Never proposed by this service, but valid in a raft log.
			var cc pb.ConfChangeV2
			if err = cc.Unmarshal(e.Data); err == nil {
				err = n.applyConfChange(e, cc, 0)
			}
		default:
			err = fmt.Errorf("unknown entry type %d", e.Type)
		}
		if err != nil {
			// Every node holds the same committed entry and fails alike:
			// continuing could only diverge from a correct implementation.
			return fmt.Errorf("applying entry %d: %w", e.Index, err)
		}
		n.appliedIndex = e.Index
	}
	return nil
}

// applyNormal applies a command (or an empty entry) and answers the
// client that proposed it, if it is waiting on this node.
//
// The proposal is matched by its request ID and, to be certain, by its
// bytes: an ID is random, and after a restart a node's fresh IDs could in
// principle meet an old entry still being applied.
func (n *Node) applyNormal(e *pb.Entry) error {
	if len(e.Data) == 0 {
		return n.traceRecord(TraceRecord{Index: e.Index, Term: e.Term, Kind: "noop"})
	}
	c, err := DecodeCommand(e.Data)
	if err != nil {
		return err
	}
	n.store.Apply(c)
	n.traceRecord(TraceRecord{Index: e.Index, Term: e.Term, Kind: c.Op.String(), ID: c.ID, Key: string(c.Key), Value: string(c.Value)})
	if p := n.proposals[c.ID]; p != nil && bytes.Equal(p.data, e.Data) {
		delete(n.proposals, c.ID)
		p.done <- proposeResult{index: e.Index}
	}
	return nil
}

// applyConfChange applies a configuration change entry. A ConfChange's
// Context is the URL of the member it adds or promotes (empty for a
// removal); this is how every member learns the others' addresses.
// Membership is then read back from the ConfState raft returns, so the
// store's member list never disagrees with raft's configuration, even
// for a change raft refuses.
func (n *Node) applyConfChange(e *pb.Entry, cc pb.ConfChangeI, reqID uint64) error {
	n.confState = *n.rn.ApplyConfChange(cc)
	n.confSnapshotDue = true
	v2 := cc.AsV2()
	inConf := confMembers(n.confState)
	for _, ch := range v2.Changes {
		if ch.Type != pb.ConfChangeRemoveNode && len(v2.Context) > 0 && inConf[ch.NodeID] {
			n.store.SetMember(ch.NodeID, string(v2.Context))
		}
	}
	for id := range n.store.Members() {
		if !inConf[id] {
			n.store.RemoveMember(id)
		}
	}
	n.syncTransport()
	n.publishMembers()
	n.updateRemoved()
	desc := pb.ConfChangesToString(v2.Changes)
	n.logger.Printf("applied configuration change %q at %d: %s", desc, e.Index, raft.DescribeConfState(n.confState))
	n.traceRecord(TraceRecord{Index: e.Index, Term: e.Term, Kind: "conf", ID: reqID, Key: desc})
	if c := n.confChanges[reqID]; reqID != 0 && c != nil {
		delete(n.confChanges, reqID)
		c.done <- confResult{members: n.memberList()}
	}
	return nil
}

// confMembers returns every ID in a configuration, voter or learner.
func confMembers(cs pb.ConfState) map[uint64]bool {
	m := map[uint64]bool{}
	for _, ids := range [][]uint64{cs.Voters, cs.Learners, cs.VotersOutgoing, cs.LearnersNext} {
		for _, id := range ids {
			m[id] = true
		}
	}
	return m
}

// updateRemoved publishes whether this node is outside the configuration
// it applied: removed, or not yet added.
func (n *Node) updateRemoved() {
	out := len(n.confState.Voters) > 0 && !confMembers(n.confState)[n.cfg.ID]
	if n.removed.Swap(out) != out && out {
		n.logger.Printf("this node is not a member of the configuration %s", raft.DescribeConfState(n.confState))
	}
}

// syncTransport makes the transport's peers those of the store.
func (n *Node) syncTransport() {
	members := n.store.Members()
	for id, u := range members {
		n.setPeer(id, u)
	}
	for id := range n.peerURLs {
		if _, ok := members[id]; !ok {
			n.tr.RemovePeer(id)
			delete(n.peerURLs, id)
		}
	}
}

// setPeer tells the transport where member id is, unless it knows.
func (n *Node) setPeer(id uint64, baseURL string) {
	if id == n.cfg.ID || n.peerURLs[id] == baseURL {
		return
	}
	n.peerURLs[id] = baseURL
	n.tr.AddPeer(id, baseURL+"/raft")
}

// memberList returns the members in ID order with their roles.
func (n *Node) memberList() []Member {
	learners := map[uint64]bool{}
	for _, id := range n.confState.Learners {
		learners[id] = true
	}
	for _, id := range n.confState.LearnersNext {
		learners[id] = true
	}
	urls := n.store.Members()
	out := make([]Member, 0, len(urls))
	for id, u := range urls {
		out = append(out, Member{ID: id, URL: u, Learner: learners[id]})
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// publishMembers makes the current member list visible to handlers.
func (n *Node) publishMembers() {
	ms := n.memberList()
	n.members.Store(&ms)
}

// Members returns the members as this node last applied them.
func (n *Node) Members() []Member {
	if p := n.members.Load(); p != nil {
		return *p
	}
	return nil
}
