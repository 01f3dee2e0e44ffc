package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
)

// testNode is a RawNode with in-memory storage that follows the Ready
// contract exactly.
type testNode struct {
	rn         *RawNode
	st         *MemoryStorage
	applied    []pb.Entry
	readStates []ReadState
}

// testCluster is a deterministic in-memory network of RawNodes.
type testCluster struct {
	t     testing.TB
	ids   []uint64
	nodes map[uint64]*testNode
	msgs  []pb.Message
	// drop, when set, decides which messages the network loses.
	drop func(m pb.Message) bool
	// discardApplied stops recording applied entries (for benchmarks).
	discardApplied bool
}

func testConfig(id uint64, st Storage) *Config {
	return &Config{
		ID:              id,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         st,
		MaxSizePerMsg:   noLimit,
		MaxInflightMsgs: 256,
		Logger:          testLogger,
		Seed:            id,
	}
}

func newTestCluster(t testing.TB, n int, opt func(*Config)) *testCluster {
	c := &testCluster{t: t, nodes: map[uint64]*testNode{}}
	var peers []uint64
	for i := 1; i <= n; i++ {
		peers = append(peers, uint64(i))
	}
	for _, id := range peers {
		st := NewMemoryStorage()
		if err := st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: peers}}}); err != nil {
			t.Fatal(err)
		}
		cfg := testConfig(id, st)
		if opt != nil {
			opt(cfg)
		}
		rn, err := NewRawNode(cfg)
		if err != nil {
			t.Fatal(err)
		}
		c.ids = append(c.ids, id)
		c.nodes[id] = &testNode{rn: rn, st: st}
	}
	return c
}

// handleReady runs one Ready cycle of a node; it reports whether there was
// one.
func (c *testCluster) handleReady(id uint64) bool { return c.processReady(id, nil) }

// processReady is handleReady that first shows the Ready to observe, if not
// nil.
func (c *testCluster) processReady(id uint64, observe func(id uint64, rd Ready)) bool {
	n := c.nodes[id]
	if !n.rn.HasReady() {
		return false
	}
	rd := n.rn.Ready()
	if observe != nil {
		observe(id, rd)
	}
	if n.rn.asyncStorageWrites {
		c.handleAsyncReady(n, rd)
		return true
	}
	if !IsEmptyHardState(rd.HardState) {
		if err := n.st.SetHardState(rd.HardState); err != nil {
			c.t.Fatal(err)
		}
	}
	if !IsEmptySnap(rd.Snapshot) {
		if err := n.st.ApplySnapshot(rd.Snapshot); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := n.st.Append(rd.Entries); err != nil {
		c.t.Fatal(err)
	}
	c.msgs = append(c.msgs, rd.Messages...)
	n.readStates = append(n.readStates, rd.ReadStates...)
	c.apply(n, rd.CommittedEntries)
	n.rn.Advance(rd)
	return true
}

// apply applies committed entries to n: configuration changes reach the
// node, and the entries are recorded unless discardApplied.
func (c *testCluster) apply(n *testNode, ents []pb.Entry) {
	for _, e := range ents {
		if e.Type == pb.EntryConfChange || e.Type == pb.EntryConfChangeV2 {
			cc, err := decodeConfChange(&e)
			if err != nil {
				c.t.Fatal(err)
			}
			n.rn.ApplyConfChange(cc)
		}
		if !c.discardApplied {
			n.applied = append(n.applied, e)
		}
	}
}

// stabilize handles Readys and delivers messages until nothing is left.
func (c *testCluster) stabilize() { c.run(nil, nil) }

// run handles Readys and delivers messages until nothing is left, except
// that messages for which hold returns true are kept back and returned
// (c.drop loses messages). observe, if not nil, sees every Ready.
func (c *testCluster) run(hold func(pb.Message) bool, observe func(id uint64, rd Ready)) []pb.Message {
	var held []pb.Message
	for i := 0; i < 10000; i++ {
		progress := false
		for _, id := range c.ids {
			for c.processReady(id, observe) {
				progress = true
			}
		}
		msgs := c.msgs
		c.msgs = nil
		for _, m := range msgs {
			progress = true
			if c.drop != nil && c.drop(m) {
				continue
			}
			if hold != nil && hold(m) {
				held = append(held, m)
				continue
			}
			if n := c.nodes[m.To]; n != nil {
				_ = n.rn.Step(m)
			}
		}
		if !progress {
			return held
		}
	}
	c.t.Fatal("cluster did not settle")
	return nil
}

// settle is run without an observer.
func (c *testCluster) settle(hold func(pb.Message) bool) []pb.Message {
	return c.run(hold, nil)
}

func (c *testCluster) leader() uint64 {
	for _, id := range c.ids {
		if c.nodes[id].rn.raft.state == StateLeader {
			return id
		}
	}
	return None
}

func TestClusterSmoke(t *testing.T) {
	for _, tc := range []struct{ prevote, async bool }{{false, false}, {true, false}, {false, true}, {true, true}} {
		t.Run(fmt.Sprintf("prevote=%t,async=%t", tc.prevote, tc.async), func(t *testing.T) {
			c := newTestCluster(t, 3, func(cfg *Config) {
				cfg.PreVote = tc.prevote
				cfg.CheckQuorum = true
				cfg.AsyncStorageWrites = tc.async
			})
			if err := c.nodes[1].rn.Campaign(); err != nil {
				t.Fatal(err)
			}
			c.stabilize()
			if c.leader() != 1 {
				t.Fatalf("leader %d", c.leader())
			}
			for i := 0; i < 10; i++ {
				if err := c.nodes[1].rn.Propose([]byte(fmt.Sprint("e", i))); err != nil {
					t.Fatal(err)
				}
			}
			c.stabilize()
			for _, id := range c.ids {
				n := c.nodes[id]
				if len(n.applied) != 11 {
					t.Fatalf("node %d applied %d entries: %s", id, len(n.applied), DescribeEntries(n.applied, nil))
				}
			}
			// Follower proposal forwarding and a read.
			if err := c.nodes[2].rn.Propose([]byte("from2")); err != nil {
				t.Fatal(err)
			}
			c.nodes[3].rn.ReadIndex([]byte("r1"))
			c.stabilize()
			if got := len(c.nodes[3].applied); got != 12 {
				t.Fatalf("applied %d", got)
			}
		})
	}
}

var testLogger Logger = discardLogger

// handleAsyncReady does the storage work of a Ready in async mode at once,
// in order, and steps the responses back.
func (c *testCluster) handleAsyncReady(n *testNode, rd Ready) {
	var responses []pb.Message
	for _, m := range rd.Messages {
		switch m.To {
		case LocalAppendThread:
			if m.Term != 0 || m.Vote != 0 || m.Commit != 0 {
				if err := n.st.SetHardState(pb.HardState{Term: m.Term, Vote: m.Vote, Commit: m.Commit}); err != nil {
					c.t.Fatal(err)
				}
			}
			if m.Snapshot != nil {
				if err := n.st.ApplySnapshot(*m.Snapshot); err != nil {
					c.t.Fatal(err)
				}
			}
			if err := n.st.Append(m.Entries); err != nil {
				c.t.Fatal(err)
			}
			responses = append(responses, m.Responses...)
		case LocalApplyThread:
			c.apply(n, m.Entries)
			responses = append(responses, m.Responses...)
		default:
			c.msgs = append(c.msgs, m)
		}
	}
	n.readStates = append(n.readStates, rd.ReadStates...)
	for _, m := range responses {
		if m.To == n.rn.raft.id {
			if err := n.rn.Step(m); err != nil {
				c.t.Fatal(err)
			}
		} else {
			c.msgs = append(c.msgs, m)
		}
	}
}
