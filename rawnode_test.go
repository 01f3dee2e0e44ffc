package raft

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
	"github.com/stretchr/testify/require"
)

// Tests of the RawNode API: the Ready/Advance contract, bootstrapping,
// status, asynchronous storage writes and determinism.

// HasReady reports exactly whether Ready has work, and is false after
// Advance when nothing new happened.
func TestRawNodeHasReady(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1}, nil)
	require.False(t, rn.HasReady(), "a node that did nothing has work")

	require.NoError(t, rn.Campaign())
	require.True(t, rn.HasReady())
	drain(t, rn, st)
	require.False(t, rn.HasReady())
	require.Equal(t, StateLeader, rn.raft.state)

	// A Ready with nothing new, and its Advance, leave nothing behind.
	rd := rn.Ready()
	require.Equal(t, "<empty Ready>", DescribeReady(rd, nil))
	rn.Advance(rd)
	require.False(t, rn.HasReady())

	require.NoError(t, rn.Propose([]byte("x")))
	require.True(t, rn.HasReady())
	_, committed := drain(t, rn, st)
	require.Equal(t, []string{"x"}, entryData(committed))
	require.False(t, rn.HasReady())

	// Ticks of a single-voter leader produce nothing to do.
	for i := 0; i < 30; i++ {
		rn.Tick()
	}
	require.False(t, rn.HasReady())
}

// Ready must not be taken twice without Advance while the first Ready
// holds acknowledgements that wait for its writes.
func TestRawNodeReadyTwiceWithoutAdvancePanics(t *testing.T) {
	rn, _ := newTestRaw(t, 1, []uint64{1}, nil)
	require.NoError(t, rn.Campaign())
	_ = rn.Ready()
	require.Panics(t, func() { _ = rn.Ready() })
}

// MustSync is set when the Ready carries entries or changes the term or the
// vote (or brings a snapshot), and not for a change of the commit index
// alone.
func TestRawNodeMustSync(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	step := func(m pb.Message) Ready {
		t.Helper()
		m.To = 1
		require.NoError(t, rn.Step(m))
		require.True(t, rn.HasReady())
		rd := persist(t, rn, st)
		drain(t, rn, st)
		return rd
	}

	// Term change alone: a rejected vote request of a later term.
	rd := step(pb.Message{From: 3, Type: pb.MsgVote, Term: 2, Index: 0, LogTerm: 0})
	require.Equal(t, pb.HardState{Term: 2, Commit: 1}, rd.HardState)
	require.Empty(t, rd.Entries)
	require.True(t, rd.MustSync, "term change")

	// Vote change alone.
	rd = step(pb.Message{From: 2, Type: pb.MsgVote, Term: 2, Index: 1, LogTerm: 1})
	require.Equal(t, pb.HardState{Term: 2, Vote: 2, Commit: 1}, rd.HardState)
	require.True(t, rd.MustSync, "vote change")

	// Entries without a commit.
	rd = step(pb.Message{From: 2, Type: pb.MsgApp, Term: 2, Index: 1, LogTerm: 1,
		Entries: []pb.Entry{{Index: 2, Term: 2, Data: []byte("a")}}, Commit: 1})
	require.Len(t, rd.Entries, 1)
	require.True(t, IsEmptyHardState(rd.HardState))
	require.True(t, rd.MustSync, "entries")

	// Commit index alone.
	rd = step(pb.Message{From: 2, Type: pb.MsgHeartbeat, Term: 2, Commit: 2})
	require.Equal(t, pb.HardState{Term: 2, Vote: 2, Commit: 2}, rd.HardState)
	require.Empty(t, rd.Entries)
	require.Len(t, rd.CommittedEntries, 1)
	require.False(t, rd.MustSync, "commit-only change")

	// Messages only.
	rd = step(pb.Message{From: 2, Type: pb.MsgHeartbeat, Term: 2, Commit: 2})
	require.True(t, IsEmptyHardState(rd.HardState))
	require.NotEmpty(t, rd.Messages)
	require.False(t, rd.MustSync, "nothing to persist")

	// A snapshot.
	rd = step(pb.Message{From: 2, Type: pb.MsgSnap, Term: 2, Snapshot: &pb.Snapshot{Metadata: pb.SnapshotMetadata{
		Index: 10, Term: 2, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}}}}})
	require.False(t, IsEmptySnap(rd.Snapshot))
	require.True(t, rd.MustSync, "snapshot")
}

// The MustSync helper itself.
func TestMustSyncHelper(t *testing.T) {
	prev := pb.HardState{Term: 2, Vote: 1, Commit: 5}
	tests := []struct {
		st   pb.HardState
		ents int
		want bool
	}{
		{prev, 0, false},
		{pb.HardState{Term: 2, Vote: 1, Commit: 9}, 0, false},
		{prev, 1, true},
		{pb.HardState{Term: 3, Vote: 1, Commit: 5}, 0, true},
		{pb.HardState{Term: 2, Vote: 3, Commit: 5}, 0, true},
		{pb.HardState{Term: 3, Vote: 0, Commit: 5}, 0, true},
	}
	for i, tc := range tests {
		require.Equal(t, tc.want, MustSync(tc.st, prev, tc.ents), "case %d", i)
	}
}

// Bootstrap writes one committed configuration entry per peer at term 1,
// delivered in the first Ready; it refuses non-empty storage, an empty
// peer list and invalid or duplicate IDs.
func TestRawNodeBootstrap(t *testing.T) {
	newEmpty := func() (*RawNode, *MemoryStorage) {
		st := NewMemoryStorage()
		rn, err := NewRawNode(testConfig(1, st))
		require.NoError(t, err)
		return rn, st
	}

	rn, st := newEmpty()
	require.NoError(t, rn.Bootstrap([]Peer{{ID: 1}, {ID: 2, Context: []byte("ctx2")}, {ID: 3}}))
	require.True(t, rn.HasReady())
	rd := rn.Ready()
	require.Equal(t, pb.HardState{Term: 1, Commit: 3}, rd.HardState)
	require.True(t, rd.MustSync)
	require.Len(t, rd.Entries, 3)
	require.Equal(t, rd.Entries, rd.CommittedEntries)
	for i, e := range rd.Entries {
		require.Equal(t, pb.EntryConfChange, e.Type)
		require.Equal(t, uint64(i+1), e.Index)
		require.Equal(t, uint64(1), e.Term)
		var cc pb.ConfChange
		require.NoError(t, cc.Unmarshal(e.Data))
		require.Equal(t, pb.ConfChangeAddNode, cc.Type)
		require.Equal(t, uint64(i+1), cc.NodeID)
		if cc.NodeID == 2 {
			require.Equal(t, []byte("ctx2"), cc.Context)
		}
	}
	require.NoError(t, st.SetHardState(rd.HardState))
	require.NoError(t, st.Append(rd.Entries))
	var cs *pb.ConfState
	for _, e := range rd.CommittedEntries {
		var cc pb.ConfChange
		require.NoError(t, cc.Unmarshal(e.Data))
		cs = rn.ApplyConfChange(cc)
	}
	rn.Advance(rd)
	require.Equal(t, []uint64{1, 2, 3}, cs.Voters)
	require.False(t, rn.HasReady())

	// A restart from the persisted bootstrap state learns the members by
	// applying the committed bootstrap entries again.
	rn2, err := NewRawNode(testConfig(1, st))
	require.NoError(t, err)
	_, again := drain(t, rn2, st)
	require.Len(t, again, 3)
	require.Equal(t, []uint64{1, 2, 3}, rn2.raft.confState().Voters)

	// A bootstrapped single node elects itself and commits.
	solo, soloSt := newEmpty()
	require.NoError(t, solo.Bootstrap([]Peer{{ID: 1}}))
	drain(t, solo, soloSt)
	require.NoError(t, solo.Campaign())
	drain(t, solo, soloSt)
	require.Equal(t, StateLeader, solo.raft.state)
	require.NoError(t, solo.Propose([]byte("x")))
	_, committed := drain(t, solo, soloSt)
	require.Equal(t, []string{"x"}, entryData(committed))

	errs := []struct {
		name  string
		peers []Peer
		st    *MemoryStorage
	}{
		{"non-empty storage", []Peer{{ID: 1}}, newTestStorage(t, []uint64{1})},
		{"no peers", nil, nil},
		{"empty peers", []Peer{}, nil},
		{"duplicate IDs", []Peer{{ID: 1}, {ID: 2}, {ID: 1}}, nil},
		{"zero ID", []Peer{{ID: 1}, {ID: None}}, nil},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			if st == nil {
				st = NewMemoryStorage()
			}
			rn, err := NewRawNode(testConfig(1, st))
			require.NoError(t, err)
			before := rn.BasicStatus()
			require.Error(t, rn.Bootstrap(tc.peers))
			require.Equal(t, before, rn.BasicStatus())
			require.False(t, rn.HasReady(), "a failed Bootstrap left work behind")
		})
	}
}

// Status and BasicStatus report the node's state; only a leader reports
// progress. BasicStatus does not allocate.
func TestRawNodeStatus(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	s := rn.Status()
	require.Equal(t, uint64(1), s.ID)
	require.Equal(t, StateFollower, s.RaftState)
	require.Nil(t, s.Progress)
	require.Equal(t, uint64(1), s.Applied)

	makeLeader(t, rn, st)
	require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgAppResp, Term: rn.raft.Term, Index: 2}))
	drain(t, rn, st)
	s = rn.Status()
	require.Equal(t, StateLeader, s.RaftState)
	require.Equal(t, uint64(1), s.Lead)
	require.Equal(t, pb.HardState{Term: 2, Vote: 1, Commit: 2}, s.HardState)
	require.Equal(t, uint64(2), s.Applied)
	require.Len(t, s.Progress, 3)
	require.Equal(t, uint64(2), s.Progress[1].Match)
	require.Equal(t, uint64(2), s.Progress[2].Match)
	require.Equal(t, tracker.StateReplicate, s.Progress[2].State)
	require.Equal(t, uint64(0), s.Progress[3].Match)
	require.Equal(t, []uint64{1, 2, 3}, s.Config.Voters[0].Slice())

	// The status is a copy.
	s.Progress[2] = tracker.Progress{}
	require.Equal(t, uint64(2), rn.Status().Progress[2].Match)

	b := rn.BasicStatus()
	require.Equal(t, s.BasicStatus, b)
	allocs := testing.AllocsPerRun(100, func() { _ = rn.BasicStatus() })
	require.Zero(t, allocs, "BasicStatus allocates")

	// The JSON form is valid and stable.
	var decoded map[string]interface{}
	require.NoError(t, json.Unmarshal([]byte(s.String()), &decoded))
	require.Equal(t, rn.Status().String(), rn.Status().String())
}

// WithProgress visits every peer in ascending ID order and tells learners
// from voters.
func TestRawNodeWithProgress(t *testing.T) {
	st := NewMemoryStorage()
	require.NoError(t, st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1, Term: 1,
		ConfState: pb.ConfState{Voters: []uint64{9, 1, 5, 3}, Learners: []uint64{7, 2}}}}))
	rn, err := NewRawNode(testConfig(1, st))
	require.NoError(t, err)
	makeLeader(t, rn, st)

	for round := 0; round < 20; round++ {
		var ids []uint64
		var learners []uint64
		rn.WithProgress(func(id uint64, typ ProgressType, pr tracker.Progress) {
			ids = append(ids, id)
			if typ == ProgressTypeLearner {
				learners = append(learners, id)
				require.True(t, pr.IsLearner)
			}
			require.Nil(t, pr.Inflights)
		})
		require.Equal(t, []uint64{1, 2, 3, 5, 7, 9}, ids)
		require.Equal(t, []uint64{2, 7}, learners)
	}
}

// asyncNode drives a RawNode with AsyncStorageWrites the way an application
// with separate append and apply threads does, synchronously for the test.
type asyncNode struct {
	t       *testing.T
	rn      *RawNode
	st      *MemoryStorage
	applied []pb.Entry
	// out collects the messages to peers.
	out []pb.Message
}

// handle processes one local storage message: it does the work and steps
// the responses addressed to this node back.
func (a *asyncNode) handle(m pb.Message) {
	t := a.t
	switch m.To {
	case LocalAppendThread:
		require.Equal(t, pb.MsgStorageAppend, m.Type)
		if m.Term != 0 || m.Vote != 0 || m.Commit != 0 {
			require.NoError(t, a.st.SetHardState(pb.HardState{Term: m.Term, Vote: m.Vote, Commit: m.Commit}))
		}
		if m.Snapshot != nil {
			require.NoError(t, a.st.ApplySnapshot(*m.Snapshot))
		}
		require.NoError(t, a.st.Append(m.Entries))
	case LocalApplyThread:
		require.Equal(t, pb.MsgStorageApply, m.Type)
		a.applied = append(a.applied, m.Entries...)
	default:
		t.Fatalf("not a local message: %s", DescribeMessage(m, nil))
	}
	for _, resp := range m.Responses {
		if resp.To == a.rn.raft.id {
			require.NoError(t, a.rn.Step(resp))
		} else {
			a.out = append(a.out, resp)
		}
	}
}

// ready takes a Ready and splits its messages into local work and messages
// to peers; it checks that the synchronous fields are empty.
func (a *asyncNode) ready() (local []pb.Message, rd Ready) {
	t := a.t
	rd = a.rn.Ready()
	require.Empty(t, rd.Entries)
	require.True(t, IsEmptyHardState(rd.HardState))
	require.True(t, IsEmptySnap(rd.Snapshot))
	require.Empty(t, rd.CommittedEntries)
	for _, m := range rd.Messages {
		if IsLocalMsgTarget(m.To) {
			local = append(local, m)
		} else {
			a.out = append(a.out, m)
		}
	}
	return local, rd
}

// With AsyncStorageWrites, the Ready carries the writes as MsgStorageAppend
// and the application work as MsgStorageApply, each with the responses to
// step back when done; stepping them marks the writes durable and the
// entries applied. Advance must not be called.
func TestRawNodeAsyncStorageWrites(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1}, func(c *Config) { c.AsyncStorageWrites = true })
	a := &asyncNode{t: t, rn: rn, st: st}

	require.NoError(t, rn.Campaign())
	local, rd := a.ready()
	require.Len(t, local, 1)
	app := local[0]
	require.Equal(t, LocalAppendThread, app.To)
	require.Equal(t, uint64(2), app.Term)
	require.Equal(t, uint64(1), app.Vote)
	var respTypes []pb.MessageType
	for _, r := range app.Responses {
		respTypes = append(respTypes, r.Type)
	}
	require.Contains(t, respTypes, pb.MsgVoteResp, "the self-vote must wait for the write")
	require.Equal(t, pb.MsgStorageAppendResp, respTypes[len(respTypes)-1])
	require.Panics(t, func() { rn.Advance(rd) })

	// Until the write is reported durable, the vote does not count.
	require.Equal(t, StateCandidate, rn.raft.state)
	a.handle(app)
	require.Equal(t, StateLeader, rn.raft.state)
	hs, _, err := st.InitialState()
	require.NoError(t, err)
	require.Equal(t, uint64(1), hs.Vote)

	// The leader's empty entry, then a proposal: appended, committed once
	// durable, then applied.
	require.NoError(t, rn.Propose([]byte("x")))
	var appends, applies int
	for i := 0; rn.HasReady(); i++ {
		require.Less(t, i, 20)
		local, _ := a.ready()
		for _, m := range local {
			if m.To == LocalAppendThread {
				appends++
				if len(m.Entries) > 0 {
					last := m.Entries[len(m.Entries)-1]
					require.Less(t, rn.raft.raftLog.committed, last.Index, "committed before the write was durable")
				}
			} else {
				applies++
				require.Equal(t, pb.MsgStorageApplyResp, m.Responses[0].Type)
				require.Equal(t, m.Entries, m.Responses[0].Entries)
			}
			a.handle(m)
		}
	}
	require.Positive(t, appends)
	require.Positive(t, applies)
	require.Equal(t, []string{"x"}, entryData(a.applied))
	last := rn.raft.raftLog.lastIndex()
	require.Equal(t, last, rn.BasicStatus().Applied)
	require.Equal(t, last, rn.BasicStatus().Commit)
	require.False(t, rn.raft.raftLog.hasNextOrInProgressUnstableEnts(), "stepping the append response did not make the entries stable")
	stored, err := st.LastIndex()
	require.NoError(t, err)
	require.Equal(t, last, stored)
}

// A follower with AsyncStorageWrites acknowledges appended entries only
// through the append thread: the MsgAppResp to the leader is a response of
// the MsgStorageAppend, not a message of its own.
func TestRawNodeAsyncStorageWritesFollowerAck(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2}, func(c *Config) { c.AsyncStorageWrites = true })
	a := &asyncNode{t: t, rn: rn, st: st}
	require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgApp, Term: 2, Index: 1, LogTerm: 1,
		Entries: []pb.Entry{{Index: 2, Term: 2, Data: []byte("a")}}, Commit: 2}))
	local, _ := a.ready()
	require.Empty(t, pick(a.out, pb.MsgAppResp, 2), "acknowledged before the write")
	require.Len(t, local, 1)
	require.Len(t, pick(local[0].Responses, pb.MsgAppResp, 2), 1)
	a.handle(local[0])
	require.Len(t, pick(a.out, pb.MsgAppResp, 2), 1)

	// The commit index arrived with the append; the entry is applied once
	// durable.
	for i := 0; rn.HasReady(); i++ {
		require.Less(t, i, 10)
		local, _ := a.ready()
		for _, m := range local {
			a.handle(m)
		}
	}
	require.Equal(t, []string{"a"}, entryData(a.applied))
	require.Equal(t, uint64(2), rn.BasicStatus().Applied)
}

// determinismScenario runs a three-node cluster through elections driven by
// randomized timeouts, proposals, a partition and a leadership transfer,
// and returns every Ready of every node, rendered.
func determinismScenario(t *testing.T, seed uint64) []string {
	c := newTestCluster(t, 3, func(cfg *Config) {
		cfg.Seed = seed*1000 + cfg.ID
		cfg.PreVote = true
		cfg.CheckQuorum = true
	})
	var out []string
	observe := func(id uint64, rd Ready) {
		out = append(out, fmt.Sprintf("node %d: %s", id, DescribeReady(rd, nil)))
	}
	tickAll := func(n int) {
		for i := 0; i < n; i++ {
			for _, id := range c.ids {
				c.nodes[id].rn.Tick()
			}
			c.run(nil, observe)
		}
	}
	tickAll(30)
	ldr := c.leader()
	require.NotEqual(t, None, ldr, "no leader elected")
	for i := 0; i < 5; i++ {
		require.NoError(t, c.nodes[ldr].rn.Propose([]byte(fmt.Sprint("p", i))))
	}
	c.nodes[ldr].rn.ReadIndex([]byte("read"))
	c.run(nil, observe)
	c.isolate(ldr)
	tickAll(40)
	c.heal()
	tickAll(20)
	ldr = c.leader()
	require.NotEqual(t, None, ldr)
	other := c.ids[0]
	if other == ldr {
		other = c.ids[1]
	}
	c.nodes[ldr].rn.TransferLeader(other)
	c.run(nil, observe)
	tickAll(5)
	for _, id := range c.ids {
		out = append(out, fmt.Sprintf("node %d status %s", id, c.nodes[id].rn.Status()))
	}
	return out
}

// Two runs of the same scenario with the same seeds produce byte-identical
// Ready sequences; different seeds give different election timeouts.
func TestRawNodeDeterminism(t *testing.T) {
	first := determinismScenario(t, 1)
	require.Greater(t, len(first), 50)
	for run := 0; run < 3; run++ {
		again := determinismScenario(t, 1)
		require.Equal(t, strings.Join(first, "\n"), strings.Join(again, "\n"), "run %d differs", run)
	}

	timeouts := map[int]bool{}
	for seed := uint64(1); seed <= 20; seed++ {
		rn, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.Seed = seed })
		timeouts[rn.raft.randomizedElectionTimeout] = true
	}
	require.Greater(t, len(timeouts), 1, "the seed does not influence the election timeout")

	differs := false
	for seed := uint64(2); seed <= 5 && !differs; seed++ {
		differs = strings.Join(determinismScenario(t, seed), "\n") != strings.Join(first, "\n")
	}
	require.True(t, differs, "different seeds always give the same run")
}

// Nodes created without a Seed still draw different timeouts from one
// another (the default seed differs per node), so that a cluster of nodes
// in one process does not campaign in lockstep.
func TestRawNodeDefaultSeedsDiffer(t *testing.T) {
	timeouts := map[int]bool{}
	for i := 0; i < 20; i++ {
		rn, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.Seed = 0 })
		timeouts[rn.raft.randomizedElectionTimeout] = true
	}
	require.Greater(t, len(timeouts), 1)
}

// A configuration change proposed at a single-voter RawNode commits and,
// once applied, is in force.
func TestRawNodeProposeConfChange(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1}, nil)
	require.NoError(t, rn.Campaign())
	drain(t, rn, st)
	for _, cc := range []pb.ConfChangeI{
		pb.ConfChange{Type: pb.ConfChangeAddLearnerNode, NodeID: 2},
		pb.ConfChangeV2{Changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeAddLearnerNode, NodeID: 3}}},
	} {
		require.NoError(t, rn.ProposeConfChange(cc))
		_, committed := drain(t, rn, st)
		var typ []pb.EntryType
		for _, e := range committed {
			typ = append(typ, e.Type)
		}
		want := pb.EntryConfChange
		if _, ok := cc.AsV1(); !ok {
			want = pb.EntryConfChangeV2
		}
		require.Contains(t, typ, want)
	}
	require.Equal(t, []uint64{2, 3}, rn.raft.confState().Learners)
}

// asyncCluster is a cluster of nodes with AsyncStorageWrites whose storage
// threads lag behind: local work queues up and is done only when the test
// says so, in order, as an application's threads would.
type asyncCluster struct {
	t     *testing.T
	ids   []uint64
	nodes map[uint64]*asyncNode
	work  map[uint64][]pb.Message // pending local work, per node
	net   []pb.Message
}

func newAsyncCluster(t *testing.T, n int, opt func(*Config)) *asyncCluster {
	c := &asyncCluster{t: t, nodes: map[uint64]*asyncNode{}, work: map[uint64][]pb.Message{}}
	var voters []uint64
	for id := uint64(1); id <= uint64(n); id++ {
		voters = append(voters, id)
	}
	for _, id := range voters {
		rn, st := newTestRaw(t, id, voters, func(cfg *Config) {
			cfg.AsyncStorageWrites = true
			if opt != nil {
				opt(cfg)
			}
		})
		c.ids = append(c.ids, id)
		c.nodes[id] = &asyncNode{t: t, rn: rn, st: st}
	}
	return c
}

// step runs one round: every node hands out its Ready; then, for the nodes
// selected by doWork, the queued local work is done; then the network
// delivers. It reports whether anything happened.
func (c *asyncCluster) step(doWork func(id uint64) bool) bool {
	progress := false
	for _, id := range c.ids {
		a := c.nodes[id]
		if a.rn.HasReady() {
			progress = true
			local, _ := a.ready()
			c.work[id] = append(c.work[id], local...)
		}
	}
	for _, id := range c.ids {
		if len(c.work[id]) == 0 || !doWork(id) {
			continue
		}
		progress = true
		a := c.nodes[id]
		w := c.work[id]
		c.work[id] = nil
		for _, m := range w {
			a.handle(m)
		}
	}
	for _, id := range c.ids {
		c.net = append(c.net, c.nodes[id].out...)
		c.nodes[id].out = nil
	}
	msgs := c.net
	c.net = nil
	for _, m := range msgs {
		progress = true
		if a := c.nodes[m.To]; a != nil {
			_ = a.rn.Step(m)
		}
	}
	return progress
}

// settle runs rounds (work done on every round) until nothing happens.
func (c *asyncCluster) settle() {
	for i := 0; c.step(func(uint64) bool { return true }); i++ {
		require.Less(c.t, i, 10000)
	}
}

// A cluster whose storage threads lag behind (work is done on some rounds
// only) elects a leader and commits the same entries everywhere, and no
// node counts an acknowledgement before the write it acknowledges.
func TestRawNodeAsyncStorageWritesCluster(t *testing.T) {
	c := newAsyncCluster(t, 3, nil)
	require.NoError(t, c.nodes[1].rn.Campaign())
	c.settle()
	require.Equal(t, StateLeader, c.nodes[1].rn.raft.state)

	var want []string
	round := 0
	for i := 0; i < 20; i++ {
		d := fmt.Sprint("e", i)
		want = append(want, d)
		require.NoError(t, c.nodes[1].rn.Propose([]byte(d)))
		// Node id's threads work only on every id-th round.
		for j := 0; j < 3; j++ {
			round++
			c.step(func(id uint64) bool { return round%int(id) == 0 })
			// Safety: nothing is committed that a majority has not
			// durably stored.
			ldr := c.nodes[1].rn.raft
			durable := 0
			for _, id := range c.ids {
				last, err := c.nodes[id].st.LastIndex()
				require.NoError(t, err)
				if last >= ldr.raftLog.committed {
					durable++
				}
			}
			require.GreaterOrEqual(t, durable, 2, "commit index %d is durable on fewer than a majority", ldr.raftLog.committed)
		}
	}
	c.settle()
	for _, id := range c.ids {
		require.Equal(t, want, entryData(c.nodes[id].applied), "node %d", id)
	}
}

// With AsyncStorageWrites, MaxCommittedSizePerReady bounds what is handed
// to the apply thread and not yet reported applied, across Readys: the
// size of the entries outstanding stays within the limit (or is a single
// entry).
func TestRawNodeAsyncMaxCommittedSizePerReady(t *testing.T) {
	const limit = 100
	rn, st := newTestRaw(t, 1, []uint64{1}, func(c *Config) { c.AsyncStorageWrites = true; c.MaxCommittedSizePerReady = limit })
	a := &asyncNode{t: t, rn: rn, st: st}
	require.NoError(t, rn.Campaign())
	for i := 0; rn.HasReady(); i++ {
		require.Less(t, i, 10)
		local, _ := a.ready()
		for _, m := range local {
			a.handle(m)
		}
	}
	for i := 0; i < 30; i++ {
		require.NoError(t, rn.Propose([]byte("0123456789")))
	}
	// Do the appends, but hold back the apply work.
	var held []pb.Message
	for i := 0; rn.HasReady(); i++ {
		require.Less(t, i, 100)
		local, _ := a.ready()
		for _, m := range local {
			if m.To == LocalApplyThread {
				held = append(held, m)
				continue
			}
			a.handle(m)
		}
	}
	var outstanding []pb.Entry
	for _, m := range held {
		outstanding = append(outstanding, m.Entries...)
	}
	require.NotEmpty(t, outstanding)
	if len(outstanding) > 1 {
		require.LessOrEqual(t, entsSize(outstanding), uint64(limit),
			"%d entries (%d bytes, %d payload bytes) handed out for applying at once with MaxCommittedSizePerReady=%d",
			len(outstanding), entsSize(outstanding), payloadsSize(outstanding), limit)
	}
	// Applying releases the budget and the rest follows.
	for _, m := range held {
		a.handle(m)
	}
	for i := 0; rn.HasReady(); i++ {
		require.Less(t, i, 100)
		local, _ := a.ready()
		for _, m := range local {
			a.handle(m)
		}
	}
	require.Len(t, entryData(a.applied), 30)
}
