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
	return simExpectViolationPrep(t, want, maxSeeds,
		func(seed uint64) (SimConfig, func(*Sim)) { return mk(seed), func(*Sim) {} }, nil)
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
	t.Run("lease", func(t *testing.T) {
		s := newSim(t)
		n := s.nodes[0]
		op := s.hist.invoke(s, n, "k0", LinGet, "")
		_, st := s.hist.get(op.ID)
		// The read reached node 1 as leader of term 2, after node 2 had
		// been elected for term 3; node 1 answers it in the same round.
		s.chk.recordLeader(s, s.nodes[1], 3)
		st.leaseNode, st.leaseIncarnation, st.leaseStep = n.id, n.incarnation, s.step
		st.leaseTerm, st.leaseMaxTerm = 2, s.chk.maxLeaderTerm
		s.checkLeaseRead(n, op, st)
		expect(t, s, InvLease)
	})
	t.Run("snapshot overtakes the apply queue", func(t *testing.T) {
		s, err := NewSim(SimConfig{Seed: 1, Steps: 10, AsyncStorageWrites: true})
		if err != nil {
			t.Fatal(err)
		}
		s.healing = true // the storage threads do all their work
		n := s.nodes[0]
		snap := pb.Snapshot{Data: newSimKV().encode(), Metadata: pb.SnapshotMetadata{
			Index: 5, Term: 1, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}},
		}}
		// The apply thread installs the snapshot at 5, then is handed
		// index 3, which the snapshot already covers.
		n.applyQ = append(n.applyQ,
			pb.Message{Type: pb.MsgStorageApply, Snapshot: &snap},
			pb.Message{Type: pb.MsgStorageApply, Entries: []pb.Entry{{Index: 3, Term: 1}}})
		for i := 0; i < 2 && s.Err() == nil; i++ {
			s.runStorageWork(n)
		}
		expect(t, s, InvStateMachineSafety)
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

// simSlowLeaderConfig is lease mode in which the clock of whichever node
// leads runs at an eighth of the speed of the others (it ticks only in every
// eighth round), far beyond the drift the lease margin allows. A leader's
// lease then lasts eight times too long. To give it every chance to matter,
// the network cuts the current leader off for 50 of every 70 steps: the
// others time out, elect a new leader and commit writes while the old
// leader still answers reads from its lease. The returned function binds
// the hooks to the Sim (they need to know who leads).
func simSlowLeaderConfig(seed uint64) (SimConfig, func(*Sim)) {
	f := DefaultSimFaults()
	f.Partition, f.ConfChange, f.Propose, f.Read = 0, 0, 0.5, 0.5
	var (
		sim      *Sim
		isolated uint64
	)
	leads := func(n *simNode) bool {
		return n.rn != nil && n.rn.BasicStatus().RaftState == raft.StateLeader
	}
	cfg := SimConfig{Seed: seed, Steps: 300, MaxNodes: 3, LeaseReads: true, Faults: &f, Keys: 5, MaxOpsPerKey: 60, Hooks: SimHooks{
		Ticks: func(id uint64, step, ticks int) int {
			if leads(sim.nodes[id-1]) && step%8 != 0 {
				return 0
			}
			return ticks
		},
		Deliver: func(now int, m pb.Message) (pb.Message, bool) {
			switch {
			case now%70 >= 50:
				isolated = 0
			case isolated == 0:
				if ld := sim.currentLeader(); ld != nil {
					isolated = ld.id
				}
			}
			return m, isolated == 0 || m.From != isolated && m.To != isolated
		},
	}}
	return cfg, func(s *Sim) { sim = s }
}

// simExpectViolationPrep is simExpectViolation for configurations whose
// hooks need the Sim: prep runs between NewSim and Run.
func simExpectViolationPrep(t *testing.T, want SimInvariant, maxSeeds int,
	mk func(seed uint64) (SimConfig, func(*Sim)), prep func(*Sim)) *SimError {
	t.Helper()
	var others []string
	for seed := uint64(1); seed <= uint64(maxSeeds); seed++ {
		cfg, bind := mk(seed)
		s, err := NewSim(cfg)
		if err != nil {
			t.Fatal(err)
		}
		bind(s)
		if prep != nil {
			prep(s)
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

// TestSimCatchesLeaseDrift: a leader whose clock runs slow answers reads
// from a lease that has expired; the direct lease check notices.
func TestSimCatchesLeaseDrift(t *testing.T) {
	simExpectViolationPrep(t, InvLease, 50, simSlowLeaderConfig, nil)
}

// TestSimCatchesLeaseDriftStaleRead: the same, with the direct lease check
// off: a client observes a stale read, and the history is not
// linearizable.
func TestSimCatchesLeaseDriftStaleRead(t *testing.T) {
	se := simExpectViolationPrep(t, InvLinearizability, 100, simSlowLeaderConfig, func(s *Sim) { s.noLeaseCheck = true })
	if !strings.Contains(se.Detail, "not linearizable") {
		t.Fatalf("unexpected detail: %s", se.Detail)
	}
}

// TestSimLeaseIsolatedLeader is the control of the two tests above: the
// same scenario (the leader cut off again and again, while it answers reads
// from its lease) with clocks that keep within the drift bound finds
// nothing, neither with the default bound nor with perfect clocks.
func TestSimLeaseIsolatedLeader(t *testing.T) {
	leaseReads := 0
	for _, drift := range []int{0, -1} {
		for seed := uint64(1); seed <= 15; seed++ {
			cfg, bind := simSlowLeaderConfig(seed)
			cfg.Hooks.Ticks = nil
			cfg.MaxDriftPercent = drift
			s, err := NewSim(cfg)
			if err != nil {
				t.Fatal(err)
			}
			bind(s)
			if err := s.Run(); err != nil {
				t.Fatalf("drift %d%%: %v", drift, err)
			}
			leaseReads += s.Stats().LeaseReads
		}
	}
	if leaseReads == 0 {
		t.Fatal("no read was answered from a lease")
	}
}
