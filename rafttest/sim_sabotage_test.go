package rafttest

import (
	"errors"
	"strings"
	"testing"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// The tests in this file break the cluster on purpose, each in a way that
// violates one invariant, and assert that the simulator notices.

// simExpectViolation runs seeds 1..maxSeeds of the configuration mk returns and
// requires that some run fails with the invariant want. It returns that
// failure.
func simExpectViolation(t *testing.T, want SimInvariant, maxSeeds int, mk func(seed uint64) SimConfig) *SimError {
	t.Helper()
	var others []string
	for seed := uint64(1); seed <= uint64(maxSeeds); seed++ {
		s, err := NewSim(mk(seed))
		if err != nil {
			t.Fatal(err)
		}
		err = s.Run()
		if err == nil {
			continue
		}
		var se *SimError
		if !errors.As(err, &se) {
			t.Fatalf("seed %d: not a SimError: %v", seed, err)
		}
		if se.Invariant == want {
			t.Logf("seed %d caught: %s: %s", seed, se.Invariant, simFirstLine(se.Detail))
			return se
		}
		others = append(others, string(se.Invariant)+": "+simFirstLine(se.Detail))
	}
	t.Fatalf("no run of %d seeds reported %s; other failures: %q", maxSeeds, want, others)
	return nil
}

func simFirstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// TestSimCatchesTwoLeaders: voters that grant every vote request (the
// network turns rejections into grants) elect two leaders in one term.
func TestSimCatchesTwoLeaders(t *testing.T) {
	simExpectViolation(t, InvElectionSafety, 50, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 400, Hooks: SimHooks{
			Deliver: func(_ int, m pb.Message) (pb.Message, bool) {
				if m.Type == pb.MsgVoteResp || m.Type == pb.MsgPreVoteResp {
					m.Reject = false
				}
				return m, true
			},
		}}
	})
}

// simForgetfulStorage forgets the persisted vote when its node crashes.
type simForgetfulStorage struct{ SimStorage }

func (fs simForgetfulStorage) Crash() {
	hs, _, _ := fs.SimStorage.InitialState()
	hs.Vote = raft.None
	_ = fs.SimStorage.SetHardState(hs)
}

// TestSimCatchesForgottenVote: a storage that loses the vote across restarts
// lets a node vote twice in a term.
func TestSimCatchesForgottenVote(t *testing.T) {
	faults := DefaultSimFaults()
	faults.Crash, faults.Restart, faults.CrashMidReady = 0.1, 0.5, 0.8
	simExpectViolation(t, InvDurability, 100, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 400, Faults: &faults, Hooks: SimHooks{
			Storage: func(_ uint64, st SimStorage) SimStorage { return simForgetfulStorage{st} },
		}}
	})
}

// simCorruptingStorage alters the data of one entry when it is written.
type simCorruptingStorage struct {
	SimStorage
	index uint64
}

func (cs simCorruptingStorage) Append(ents []pb.Entry) error {
	out := make([]pb.Entry, len(ents))
	copy(out, ents)
	for i := range out {
		if out[i].Index == cs.index {
			out[i].Data = append([]byte("corrupt "), out[i].Data...)
		}
	}
	return cs.SimStorage.Append(out)
}

// TestSimCatchesCorruptLog: one node's storage corrupts an entry, so two
// logs hold different entries at the same index and term.
func TestSimCatchesCorruptLog(t *testing.T) {
	simExpectViolation(t, InvLogMatching, 5, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 300, Hooks: SimHooks{
			Storage: func(id uint64, st SimStorage) SimStorage {
				if id == 2 {
					return simCorruptingStorage{st, 8}
				}
				return st
			},
		}}
	})
}

// TestSimCatchesForgedAppend: a network that lets an append from a stale
// term through, rewriting its term and its entries' terms to the newest
// term seen, forges entries that contradict the real leader's.
func TestSimCatchesForgedAppend(t *testing.T) {
	simExpectViolation(t, InvLogMatching, 50, func(seed uint64) SimConfig {
		var maxTerm uint64
		return SimConfig{Seed: seed, Steps: 600, Hooks: SimHooks{
			Deliver: func(_ int, m pb.Message) (pb.Message, bool) {
				if m.Term > maxTerm {
					maxTerm = m.Term
				}
				if m.Type == pb.MsgApp && m.Term < maxTerm && len(m.Entries) > 0 {
					m.Term = maxTerm
					ents := make([]pb.Entry, len(m.Entries))
					copy(ents, m.Entries)
					for i := range ents {
						ents[i].Term = maxTerm
					}
					m.Entries = ents
				}
				return m, true
			},
		}}
	})
}

// simAmnesicStorage loses the newest entries of its log that it does not
// itself know to be committed whenever a node restarts from it, as a disk
// that acknowledged writes it had not made durable would. (Losing an entry
// below its own commit index would show as a durability violation first.)
type simAmnesicStorage struct {
	*simAmnesicState
}

type simAmnesicState struct {
	cur  *raft.MemoryStorage
	lose uint64
}

func newSimAmnesicStorage(ms *raft.MemoryStorage, lose uint64) simAmnesicStorage {
	return simAmnesicStorage{&simAmnesicState{cur: ms, lose: lose}}
}

// Crash loses the newest writes.
func (a simAmnesicStorage) Crash() { a.truncate() }

func (a simAmnesicStorage) InitialState() (pb.HardState, pb.ConfState, error) {
	return a.cur.InitialState()
}

// truncate rebuilds the storage without its last entries.
func (a simAmnesicStorage) truncate() {
	old := a.cur
	snap, _ := old.Snapshot()
	hs, _, _ := old.InitialState()
	first, _ := old.FirstIndex()
	last, _ := old.LastIndex()
	keep := max(hs.Commit, first-1)
	if last > keep+a.lose {
		keep = last - a.lose
	}
	if keep == last {
		return
	}
	ms := raft.NewMemoryStorage()
	if !raft.IsEmptySnap(snap) {
		_ = ms.ApplySnapshot(snap)
	}
	if keep >= first {
		ents, _ := old.Entries(first, keep+1, 1<<62)
		_ = ms.Append(ents)
	}
	_ = ms.SetHardState(hs)
	a.cur = ms
}

func (a simAmnesicStorage) Entries(lo, hi, max uint64) ([]pb.Entry, error) {
	return a.cur.Entries(lo, hi, max)
}
func (a simAmnesicStorage) Term(i uint64) (uint64, error)  { return a.cur.Term(i) }
func (a simAmnesicStorage) LastIndex() (uint64, error)     { return a.cur.LastIndex() }
func (a simAmnesicStorage) FirstIndex() (uint64, error)    { return a.cur.FirstIndex() }
func (a simAmnesicStorage) Snapshot() (pb.Snapshot, error) { return a.cur.Snapshot() }
func (a simAmnesicStorage) SetHardState(hs pb.HardState) error {
	return a.cur.SetHardState(hs)
}
func (a simAmnesicStorage) ApplySnapshot(s pb.Snapshot) error {
	return a.cur.ApplySnapshot(s)
}
func (a simAmnesicStorage) Append(ents []pb.Entry) error {
	return a.cur.Append(ents)
}
func (a simAmnesicStorage) CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error) {
	return a.cur.CreateSnapshot(i, cs, data)
}
func (a simAmnesicStorage) Compact(i uint64) error { return a.cur.Compact(i) }

func simAmnesicConfig(seed uint64) SimConfig {
	faults := DefaultSimFaults()
	faults.Crash, faults.Restart, faults.Propose = 0.08, 0.3, 0.6
	faults.Partition, faults.Drop = 0, 0.01
	return SimConfig{Seed: seed, Steps: 500, Faults: &faults, Hooks: SimHooks{
		Storage: func(_ uint64, st SimStorage) SimStorage {
			return newSimAmnesicStorage(st.(*raft.MemoryStorage), 3)
		},
	}}
}

// TestSimCatchesLostCommittedEntries: storages that lose their newest
// entries on restart elect leaders without entries known to be committed.
func TestSimCatchesLostCommittedEntries(t *testing.T) {
	simExpectViolation(t, InvLeaderCompleteness, 100, simAmnesicConfig)
}

// TestSimCatchesLostAcknowledgedWrite: a write a client saw applied is
// missing from a later leader's log. The checker of committed entries is
// disabled by making no commit index durable, so that only the
// acknowledgement record can notice.
func TestSimCatchesLostAcknowledgedWrite(t *testing.T) {
	simExpectViolation(t, InvAckedLoss, 100, func(seed uint64) SimConfig {
		cfg := simAmnesicConfig(seed)
		amnesic := cfg.Hooks.Storage
		cfg.Hooks.Storage = func(id uint64, st SimStorage) SimStorage {
			return simCommitlessStorage{amnesic(id, st)}
		}
		return cfg
	})
}

// simCommitlessStorage persists every hard state with the commit index of the
// storage's snapshot (it "forgets" commit indexes, which raft tolerates:
// they can be learned again).
type simCommitlessStorage struct{ SimStorage }

func (c simCommitlessStorage) Crash() { c.SimStorage.(SimCrashable).Crash() }

func (c simCommitlessStorage) SetHardState(hs pb.HardState) error {
	snap, _ := c.SimStorage.Snapshot()
	prev, _, _ := c.SimStorage.InitialState()
	hs.Commit = max(snap.Metadata.Index, prev.Commit)
	return c.SimStorage.SetHardState(hs)
}

// TestSimCatchesSkippedEntry: a state machine that loses the effect of one
// entry.
func TestSimCatchesSkippedEntry(t *testing.T) {
	simExpectViolation(t, InvStateMachineSafety, 5, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 300, Hooks: SimHooks{
			Apply: func(id uint64, e pb.Entry) bool { return !(id == 3 && e.Index == 6) },
		}}
	})
}

// simRegressingStorage now and then persists half the commit index it is
// given.
type simRegressingStorage struct {
	SimStorage
	writes *int
}

func (r simRegressingStorage) SetHardState(hs pb.HardState) error {
	*r.writes++
	if *r.writes%10 == 0 {
		hs.Commit /= 2
	}
	return r.SimStorage.SetHardState(hs)
}

// TestSimCatchesCommitRegression: a persisted commit index goes back.
func TestSimCatchesCommitRegression(t *testing.T) {
	simExpectViolation(t, InvCommitIndex, 5, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 300, Hooks: SimHooks{
			Storage: func(_ uint64, st SimStorage) SimStorage { return simRegressingStorage{st, new(int)} },
		}}
	})
}

// TestSimCatchesStaleReads: nodes that answer reads from their own state
// machine, without ReadIndex, serve stale values.
func TestSimCatchesStaleReads(t *testing.T) {
	se := simExpectViolation(t, InvLinearizability, 50, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 500, Hooks: SimHooks{
			ReadLocally: func(uint64) bool { return true },
		}}
	})
	if !strings.Contains(se.Detail, "not linearizable") {
		t.Fatalf("unexpected detail: %s", se.Detail)
	}
}

// TestSimCatchesNoProgress: a network that loses everything never elects a
// leader.
func TestSimCatchesNoProgress(t *testing.T) {
	simExpectViolation(t, InvLiveness, 1, func(seed uint64) SimConfig {
		return SimConfig{Seed: seed, Steps: 50, Hooks: SimHooks{
			Deliver: func(int, pb.Message) (pb.Message, bool) { return pb.Message{}, false },
		}}
	})
}

// TestSimCheckerDirect feeds the checker contradictory records directly,
// one invariant at a time, without a faulty cluster.
func TestSimCheckerDirect(t *testing.T) {
	newSim := func(t *testing.T) *Sim {
		s, err := NewSim(SimConfig{Seed: 1, Steps: 10})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	expect := func(t *testing.T, s *Sim, want SimInvariant) {
		t.Helper()
		var se *SimError
		if err := s.Err(); !errors.As(err, &se) || se.Invariant != want {
			t.Fatalf("want %s, got %v", want, err)
		}
		if !strings.Contains(se.Error(), "seed=1") {
			t.Fatalf("error does not name the seed: %v", se)
		}
	}
	t.Run("election safety", func(t *testing.T) {
		s := newSim(t)
		s.chk.recordLeader(s, s.nodes[0], 7)
		s.chk.recordLeader(s, s.nodes[1], 7)
		expect(t, s, InvElectionSafety)
	})
	t.Run("log matching", func(t *testing.T) {
		s := newSim(t)
		ents := []pb.Entry{{Index: 2, Term: 2, Data: []byte("a")}}
		for i, n := range s.nodes[:2] {
			ents[0].Data = []byte{byte('a' + i)}
			s.persist(n, pb.HardState{}, ents, pb.Snapshot{})
		}
		expect(t, s, InvLogMatching)
	})
	t.Run("leader completeness", func(t *testing.T) {
		s := newSim(t)
		n1, n2 := s.nodes[0], s.nodes[1]
		s.persist(n1, pb.HardState{Term: 2, Commit: 2}, []pb.Entry{{Index: 2, Term: 2, Data: []byte("x")}}, pb.Snapshot{})
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		// Node 2 leads term 3 without index 2.
		n2.leaderCheck = 3
		s.persist(n2, pb.HardState{Term: 3, Vote: 2}, []pb.Entry{{Index: 2, Term: 3}}, pb.Snapshot{})
		expect(t, s, InvLeaderCompleteness)
	})
	t.Run("state machine safety", func(t *testing.T) {
		s := newSim(t)
		s.chk.recordApplied(s, s.nodes[0], &pb.Entry{Index: 2, Term: 2, Data: []byte("a")})
		s.chk.recordApplied(s, s.nodes[1], &pb.Entry{Index: 2, Term: 2, Data: []byte("b")})
		expect(t, s, InvStateMachineSafety)
	})
	t.Run("commit beyond last index", func(t *testing.T) {
		s := newSim(t)
		s.persist(s.nodes[0], pb.HardState{Term: 1, Commit: 5}, nil, pb.Snapshot{})
		expect(t, s, InvCommitIndex)
	})
	t.Run("acknowledged write", func(t *testing.T) {
		s := newSim(t)
		n1, n2 := s.nodes[0], s.nodes[1]
		s.chk.recordCommitted(s, s.chk.acked, &s.chk.maxAcked, 2, simCommitRec{
			term: 2, digest: simEntryDigest(&pb.Entry{Data: []byte("x")}), commitTerm: 2, node: n1.id, what: "an acknowledged put",
		})
		n2.leaderCheck = 3
		s.persist(n2, pb.HardState{Term: 3, Vote: 2}, []pb.Entry{{Index: 2, Term: 3}}, pb.Snapshot{})
		expect(t, s, InvAckedLoss)
	})
}
