package rafttest

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// SimConfig configures a Sim: a seeded, deterministic simulation of a raft
// cluster under faults. Everything random is drawn from one PCG source seeded
// by Seed, and nothing iterates a map, so a Seed (with the same SimConfig)
// replays the same run event for event.
type SimConfig struct {
	// Seed seeds the run.
	Seed uint64
	// Nodes is the number of initial voters (IDs 1..Nodes). Default 3.
	Nodes int
	// MaxNodes is the size of the pool of node IDs (1..MaxNodes) that
	// membership changes draw from; nodes beyond Nodes start empty and join
	// when added. Default Nodes+2.
	MaxNodes int
	// Steps is the number of faulty steps Run simulates before it heals
	// the cluster and checks liveness. Default 1000.
	Steps int
	// Keys is the number of keys clients use. Default 2+Steps/64, so that
	// client operations continue through the whole run.
	Keys int
	// MaxOpsPerKey bounds the client operations per key, which keeps the
	// linearizability check cheap. Default 40.
	MaxOpsPerKey int
	// AsyncStorageWrites runs every node with Config.AsyncStorageWrites:
	// persistence and application become queued work that each step
	// performs (or a crash loses) independently of the Ready loop.
	AsyncStorageWrites bool
	// LeaseReads runs the cluster in lease mode: every node uses
	// ReadOnlyLeaseBased and CheckQuorum (whatever ConfigOptions says), and
	// time advances in rounds with bounded clock drift instead of random
	// per-node ticks (under which no lease is sound). Each step is a round:
	// every up node ticks once, at a random point among the round's message
	// deliveries, except that a node's clock may skip or double a tick, at
	// most once every ceil(100/MaxDriftPercent) rounds. So over any window
	// of W rounds a node ticks W times, give or take ceil(W *
	// MaxDriftPercent / 100). Message delays, loss and every other fault
	// stay as configured: the lease must hold for any message delay.
	//
	// Besides the linearizability of the history, lease mode checks the
	// lease directly: a read that a leader answers from its lease (in the
	// round it was made, which a heartbeat round cannot achieve) must not
	// find a leader of a later term elected already (InvLease).
	LeaseReads bool
	// MaxDriftPercent bounds the clock drift of lease mode (see LeaseReads).
	// Zero means 5, below the 10% the core's lease margin tolerates;
	// negative means perfect clocks. At most 100.
	MaxDriftPercent int
	// Faults are the probabilities of events; nil means DefaultSimFaults().
	Faults *SimFaults
	// ElectionTick and HeartbeatTick of every node. Defaults 10 and 1.
	ElectionTick, HeartbeatTick int
	// ConfigOptions, if set, may change each node's Config before the node
	// is built (also at every restart). The simulator sets ID, Storage,
	// Applied, Seed, Logger and AsyncStorageWrites itself, after the call,
	// and defaults to PreVote, CheckQuorum and StepDownOnRemoval. Note that
	// ReadOnlyLeaseBased is not linearizable under the random ticks of the
	// default mode (use LeaseReads, which bounds clock drift), and that
	// without StepDownOnRemoval a removed leader may keep a cluster from
	// making progress.
	ConfigOptions func(*raft.Config)
	// LivenessTicks bounds the ticks after healing within which a leader
	// must be elected and a proposal must commit. Default 10*ElectionTick.
	LivenessTicks int
	// Hooks inject faults beyond the simulator's model, to show that its
	// checks catch violations. Leave them zero for a correct run.
	Hooks SimHooks
	// Trace, if set, receives one line per event.
	Trace io.Writer
	// Logger, if set, receives the nodes' raft log lines.
	Logger raft.Logger
}

// SimFaults are the probabilities that drive a simulation. Per-step
// probabilities are tried once per step; per-node ones once per node and
// step; per-message ones once per message sent.
type SimFaults struct {
	// Tick is the per-node probability of a tick in a step. Nodes tick
	// independently, so their clocks drift apart. Lease mode ignores it
	// (see SimConfig.LeaseReads).
	Tick float64
	// Ready is the per-node probability of handling pending Ready work
	// (or, with async storage writes, of performing queued storage work).
	Ready float64
	// ApplyStall, with async storage writes, is the probability that a
	// node's apply thread skips a turn at its queued work (on top of the
	// one turn in four it skips anyway): a slow state machine, so that
	// committed entries wait on the apply thread while more arrive.
	ApplyStall float64
	// Drop, Duplicate are per-message probabilities.
	Drop, Duplicate float64
	// MaxDelay is the largest extra delay of a message, in steps; delays
	// are uniform, so messages get reordered.
	MaxDelay int
	// LongDelay is the per-message probability of a further delay of up
	// to MaxLongDelay steps (uniform), which models a message stuck in a
	// queue for far longer than an election timeout.
	LongDelay    float64
	MaxLongDelay int
	// Crash is the per-step probability that one up node crashes, losing
	// whatever it had not persisted; CrashMidReady is the probability that
	// the crash hits in the middle of handling a Ready. Restart is the
	// per-step probability that one down node restarts.
	Crash, CrashMidReady, Restart float64
	// Partition is the per-step probability of a new partition (symmetric
	// or one-way); Heal of healing all partitions.
	Partition, Heal float64
	// Propose and Read are per-step probabilities of a client put and a
	// client ReadIndex read.
	Propose, Read float64
	// ConfChange is the per-step probability of a membership change
	// proposal; Compact of a snapshot and log compaction at one node;
	// Transfer of a leadership transfer request.
	ConfChange, Compact, Transfer float64
}

// DefaultSimFaults returns moderate fault rates that keep a cluster making
// progress most of the time while exercising every fault.
func DefaultSimFaults() SimFaults {
	return SimFaults{
		Tick:          0.5,
		Ready:         0.8,
		Drop:          0.05,
		Duplicate:     0.02,
		MaxDelay:      3,
		Crash:         0.01,
		CrashMidReady: 0.5,
		Restart:       0.05,
		Partition:     0.01,
		Heal:          0.03,
		Propose:       0.3,
		Read:          0.2,
		ConfChange:    0.01,
		Compact:       0.02,
		Transfer:      0.005,
	}
}

// SimHooks inject faults beyond the simulator's model. Each is optional.
// They exist so tests can prove that the checks catch broken behaviour;
// they are also a way to test an application's own storage or transport
// wrappers under the simulator.
type SimHooks struct {
	// Storage, if set, wraps each node's storage when the node is created.
	// The wrapper survives crashes like the storage does.
	Storage func(id uint64, st SimStorage) SimStorage
	// Deliver, if set, sees every message about to be delivered and
	// returns the message to deliver instead, or false to drop it. It
	// runs after the simulator's own faults. now is the current step.
	Deliver func(now int, m pb.Message) (pb.Message, bool)
	// Apply, if set, sees every committed entry a node is about to apply
	// and may return false to make the state machine skip it.
	Apply func(id uint64, e pb.Entry) bool
	// ReadLocally, if set to true for a node, makes it answer reads
	// from its state machine at once instead of through ReadIndex.
	ReadLocally func(id uint64) bool
	// Ticks, if set, sees how many times node id is about to tick in
	// round step of lease mode (0, 1 or 2, within the drift bound) and
	// returns how many times it ticks instead: a clock that breaks the
	// bound.
	Ticks func(id uint64, step, ticks int) int
}

// SimStorage is the persistent storage of a simulated node: what the node's
// RawNode reads and what the simulator writes on its behalf.
// *raft.MemoryStorage satisfies it.
type SimStorage interface {
	raft.Storage
	SetHardState(pb.HardState) error
	ApplySnapshot(pb.Snapshot) error
	Append([]pb.Entry) error
	CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error)
	Compact(compactIndex uint64) error
}

// SimCrashable is implemented by a SimStorage that wants to know when its
// node crashes, for example to model a disk that loses writes it had not made
// durable. The simulator calls Crash after the node stops and before it
// restarts.
type SimCrashable interface {
	Crash()
}

// SimInvariant names a property the simulator checks.
type SimInvariant string

// The properties the simulator checks. See Sim for how each is checked.
const (
	InvElectionSafety     SimInvariant = "election safety"
	InvLogMatching        SimInvariant = "log matching"
	InvLeaderCompleteness SimInvariant = "leader completeness"
	InvStateMachineSafety SimInvariant = "state machine safety"
	InvCommitIndex        SimInvariant = "commit index"
	InvDurability         SimInvariant = "durability"
	InvAckedLoss          SimInvariant = "acknowledged write lost"
	InvLiveness           SimInvariant = "liveness"
	InvLinearizability    SimInvariant = "linearizability"
	InvLease              SimInvariant = "lease"
	InvHarness            SimInvariant = "harness"
)

// SimError reports a violated invariant.
type SimError struct {
	// Seed and Step locate the failure; Step is -1 once the faulty steps
	// are over (liveness and the final checks).
	Seed uint64
	Step int
	// Invariant is the violated property.
	Invariant SimInvariant
	// Detail explains the violation.
	Detail string
	// Trace holds the last events before the failure.
	Trace []string
}

// Error implements error.
func (e *SimError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "sim seed=%d step=%d: %s violated: %s", e.Seed, e.Step, e.Invariant, e.Detail)
	if len(e.Trace) > 0 {
		b.WriteString("\nlast events:\n")
		for _, l := range e.Trace {
			b.WriteString("  ")
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// SimStats counts what happened in a run, to judge a configuration's
// coverage.
type SimStats struct {
	Steps, Delivered, Dropped, Duplicated             int
	Crashes, Restarts, Partitions, Elections          int
	Puts, PutsAcked, Reads, ReadsServed               int
	ConfChangesApplied, Snapshots, SnapshotsInstalled int
	Transfers                                         int
	// LeaseReads counts reads a leader answered from its lease (lease
	// mode); DriftTicks the ticks clocks skipped or doubled.
	LeaseReads, DriftTicks int
	// SnapsOverApply counts snapshots that reached a node (async storage
	// writes) while committed entries with a configuration change were
	// queued for its apply thread.
	SnapsOverApply int
	// LeaderChecks counts completeness checks of new leaders' logs.
	LeaderChecks  int
	MaxCommit     uint64
	LivenessTicks int
}

// String returns the statistics on one line.
func (st SimStats) String() string {
	return fmt.Sprintf("steps=%d msgs=%d dropped=%d dup=%d crashes=%d restarts=%d partitions=%d elections=%d "+
		"puts=%d/%d reads=%d/%d leasereads=%d drift=%d confchanges=%d snaps=%d/%d snapsoverapply=%d transfers=%d "+
		"leaderchecks=%d commit=%d liveness=%dticks",
		st.Steps, st.Delivered, st.Dropped, st.Duplicated, st.Crashes, st.Restarts, st.Partitions, st.Elections,
		st.PutsAcked, st.Puts, st.ReadsServed, st.Reads, st.LeaseReads, st.DriftTicks, st.ConfChangesApplied,
		st.Snapshots, st.SnapshotsInstalled, st.SnapsOverApply, st.Transfers, st.LeaderChecks, st.MaxCommit, st.LivenessTicks)
}

// Sim is a simulated raft cluster. Each node is a raft.RawNode over
// persistent storage, driven by the simulator exactly as doc.go's Ready
// contract prescribes, with a small key-value state machine on top. The
// network loses, delays, reorders and duplicates messages and can be
// partitioned; nodes crash (losing everything not persisted) and restart;
// clients put and read keys; members are added and removed; logs are
// compacted; leadership is transferred.
//
// After every call into a node and every write to storage, the simulator
// checks:
//
//   - election safety: the leader of each term, recorded whenever a node
//     reports being leader after any call, is unique;
//   - durability of votes and terms: a node's persisted term never goes
//     back and its persisted vote never changes within a term, across
//     restarts;
//   - log matching: every persisted entry is recorded by (index, term) with
//     a digest of its content and the term of its predecessor; two entries
//     with the same index and term must agree on both, which by induction
//     makes the logs identical up to them (and a full pairwise comparison
//     of the persisted logs runs periodically as an oracle);
//   - commit index: a node's commit never decreases while it runs, its
//     persisted commit never decreases and never exceeds its persisted last
//     index, and applied never exceeds commit;
//   - state machine safety: every node applies a contiguous sequence of
//     indexes, and every application at an index is the same entry; two
//     persisted commit indexes never cover different entries; snapshots at
//     the same index carry the same state;
//   - leader completeness: each entry known committed (from a persisted
//     commit index, recorded with the persisting node's term, an upper
//     bound of the term it was committed in) is in the persisted log of
//     every leader of a later term, checked when that leader persists the
//     first entry of its term;
//   - acknowledged writes: each put a client saw applied is in the log of
//     every leader of a later term, checked the same way.
//
// In lease mode (SimConfig.LeaseReads) it also checks every read a leader
// answers from its lease: no leader of a later term may have been elected
// by then (see sim_lease.go).
//
// Run then heals every fault and checks liveness (a leader is elected and
// a proposal commits within SimConfig.LivenessTicks, and every member
// catches up), and finally checks the client history for linearizability
// with CheckLinearizable.
//
// The state machine is volatile: a restarted node rebuilds it from the
// snapshot in its storage and re-applies the committed log after it, so
// Config.Applied is the snapshot's index. That is also what raft needs:
// it restores its configuration from the snapshot's ConfState, so every
// configuration change after the snapshot must be applied again. Puts are
// deduplicated by their unique operation ID (a duplicated proposal can
// enter the log twice), so re-application is harmless.
type Sim struct {
	cfg    SimConfig
	faults SimFaults
	rng    *rand.Rand

	step    int
	healing bool
	clock   int64
	// driftGap is the least number of rounds between two adjustments of
	// a node's clock in lease mode (0: perfect clocks).
	driftGap int
	// noLeaseCheck turns the direct lease check off, so that tests can
	// show that the history check alone catches stale lease reads.
	noLeaseCheck bool

	nodes []*simNode // by ID-1
	net   simNetwork
	chk   simChecker
	hist  simHistory
	stats SimStats

	traceHash uint64
	traceRing []string
	traceNext int
	err       *SimError
}

// NewSim builds a cluster from cfg. It fails if cfg is invalid.
func NewSim(cfg SimConfig) (*Sim, error) {
	if cfg.Nodes == 0 {
		cfg.Nodes = 3
	}
	if cfg.MaxNodes == 0 {
		cfg.MaxNodes = cfg.Nodes + 2
	}
	if cfg.Nodes < 1 || cfg.MaxNodes < cfg.Nodes || cfg.MaxNodes > 64 {
		return nil, fmt.Errorf("rafttest: SimConfig needs 1 <= Nodes <= MaxNodes <= 64, got %d and %d", cfg.Nodes, cfg.MaxNodes)
	}
	if cfg.Steps == 0 {
		cfg.Steps = 1000
	}
	if cfg.Keys == 0 {
		// Enough keys that clients keep going for the whole run.
		cfg.Keys = 2 + cfg.Steps/64
	}
	if cfg.MaxOpsPerKey == 0 {
		cfg.MaxOpsPerKey = 40
	}
	if cfg.ElectionTick == 0 {
		cfg.ElectionTick = 10
	}
	if cfg.HeartbeatTick == 0 {
		cfg.HeartbeatTick = 1
	}
	if cfg.LivenessTicks == 0 {
		cfg.LivenessTicks = 30 * cfg.ElectionTick
	}
	if cfg.MaxDriftPercent > 100 {
		return nil, fmt.Errorf("rafttest: SimConfig.MaxDriftPercent %d exceeds 100", cfg.MaxDriftPercent)
	}
	if cfg.MaxDriftPercent == 0 {
		cfg.MaxDriftPercent = 5
	}
	s := &Sim{cfg: cfg, rng: rand.New(rand.NewPCG(cfg.Seed, 0x5eed5eed5eed5eed))}
	if cfg.LeaseReads && cfg.MaxDriftPercent > 0 {
		s.driftGap = (100 + cfg.MaxDriftPercent - 1) / cfg.MaxDriftPercent
	}
	if cfg.Faults != nil {
		s.faults = *cfg.Faults
	} else {
		s.faults = DefaultSimFaults()
	}
	s.traceRing = make([]string, 60)
	s.chk.init()
	s.hist.init(cfg.Keys)
	var voters []uint64
	for id := uint64(1); id <= uint64(cfg.Nodes); id++ {
		voters = append(voters, id)
	}
	initial := newSimKV()
	for id := uint64(1); id <= uint64(cfg.MaxNodes); id++ {
		var st SimStorage = raft.NewMemoryStorage()
		if id <= uint64(cfg.Nodes) {
			// Bootstrap by an initial snapshot of the empty state machine
			// whose configuration lists the voters.
			if err := st.ApplySnapshot(pb.Snapshot{
				Data:     initial.encode(),
				Metadata: pb.SnapshotMetadata{Index: 1, Term: 1, ConfState: pb.ConfState{Voters: voters}},
			}); err != nil {
				return nil, err
			}
		}
		if cfg.Hooks.Storage != nil {
			st = cfg.Hooks.Storage(id, st)
		}
		n := &simNode{id: id, st: st}
		s.nodes = append(s.nodes, n)
	}
	s.net.init(cfg.MaxNodes)
	for _, n := range s.nodes {
		if err := s.start(n); err != nil {
			return nil, err
		}
	}
	if s.err != nil {
		return nil, s.err
	}
	return s, nil
}

// Run simulates SimConfig.Steps faulty steps, heals the cluster, checks
// liveness and finally checks the client history for linearizability. It
// returns the first violation as a *SimError, or nil.
func (s *Sim) Run() error {
	for s.step < s.cfg.Steps && s.err == nil {
		s.Step()
	}
	if s.err == nil {
		s.HealAndCheckLiveness()
	}
	if s.err == nil {
		s.CheckHistory()
	}
	if s.err != nil {
		return s.err
	}
	return nil
}

// Step simulates one faulty step: random events, ticks, message delivery,
// and Ready handling. It returns the first violation found so far.
func (s *Sim) Step() error {
	if s.err != nil {
		return s.err
	}
	s.step++
	s.stats.Steps++
	s.randomEvents()
	if s.cfg.LeaseReads {
		s.leaseRound()
	} else {
		s.tickAll()
		s.net.deliverDue(s)
	}
	s.processAll()
	s.periodicChecks()
	if s.err != nil {
		return s.err
	}
	return nil
}

// Err returns the first violation found, or nil.
func (s *Sim) Err() error {
	if s.err != nil {
		return s.err
	}
	return nil
}

// Stats returns the run's statistics so far.
func (s *Sim) Stats() SimStats {
	st := s.stats
	for _, n := range s.nodes {
		if n.maxCommit > st.MaxCommit {
			st.MaxCommit = n.maxCommit
		}
	}
	return st
}

// TraceHash returns a hash of every event so far: equal for two runs of the
// same SimConfig.
func (s *Sim) TraceHash() uint64 { return s.traceHash }

// History returns the client operations so far.
func (s *Sim) History() []LinOp { return s.hist.ops() }

// tracef records an event.
func (s *Sim) tracef(format string, args ...interface{}) {
	line := fmt.Sprintf("%d: ", s.step) + fmt.Sprintf(format, args...)
	h := fnv.New64a()
	var seed [8]byte
	for i := range seed {
		seed[i] = byte(s.traceHash >> (8 * i))
	}
	h.Write(seed[:])
	h.Write([]byte(line))
	s.traceHash = h.Sum64()
	s.traceRing[s.traceNext%len(s.traceRing)] = line
	s.traceNext++
	if s.cfg.Trace != nil {
		fmt.Fprintln(s.cfg.Trace, line)
	}
}

// failf records the first violation.
func (s *Sim) failf(inv SimInvariant, format string, args ...interface{}) {
	if s.err != nil {
		return
	}
	step := s.step
	if s.healing {
		step = -1
	}
	e := &SimError{Seed: s.cfg.Seed, Step: step, Invariant: inv, Detail: fmt.Sprintf(format, args...)}
	n := len(s.traceRing)
	for i := s.traceNext - n; i < s.traceNext; i++ {
		if i >= 0 {
			e.Trace = append(e.Trace, s.traceRing[i%n])
		}
	}
	s.err = e
	s.tracef("FAIL %s: %s", inv, e.Detail)
}

// chance draws a Bernoulli outcome.
func (s *Sim) chance(p float64) bool { return p > 0 && s.rng.Float64() < p }

// randomEvents performs the step's random faults and client operations, in a
// fixed order so that the same seed draws the same decisions.
func (s *Sim) randomEvents() {
	f := &s.faults
	if s.chance(f.Crash) {
		if n := s.pickNode(func(n *simNode) bool { return n.rn != nil }); n != nil {
			s.crash(n, s.chance(f.CrashMidReady))
		}
	}
	if s.chance(f.Restart) {
		if n := s.pickNode(func(n *simNode) bool { return n.rn == nil }); n != nil {
			s.restart(n)
		}
	}
	if s.chance(f.Partition) {
		s.partition()
	}
	if s.chance(f.Heal) && s.net.partitioned() {
		s.net.heal()
		s.tracef("heal partitions")
	}
	if s.chance(f.Propose) {
		s.clientPut()
	}
	if s.chance(f.Read) {
		s.clientRead()
	}
	if s.chance(f.ConfChange) {
		s.confChange()
	}
	if s.chance(f.Compact) {
		if n := s.pickNode(func(n *simNode) bool { return n.rn != nil }); n != nil {
			s.compact(n, true)
		}
	}
	if s.chance(f.Transfer) {
		s.transfer()
	}
}

// pickNode returns a random node satisfying ok, or nil.
func (s *Sim) pickNode(ok func(*simNode) bool) *simNode {
	var cands []*simNode
	for _, n := range s.nodes {
		if ok(n) {
			cands = append(cands, n)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[s.rng.IntN(len(cands))]
}

func (s *Sim) tickAll() {
	for _, n := range s.nodes {
		if n.rn != nil && (s.healing || s.chance(s.faults.Tick)) {
			n.rn.Tick()
			s.observe(n, "tick")
		}
	}
}

// processAll lets each up node handle its pending work.
func (s *Sim) processAll() {
	for _, n := range s.nodes {
		if n.rn == nil || !(s.healing || s.chance(s.faults.Ready)) {
			continue
		}
		s.process(n)
	}
}

// process handles a node's Readys until it has none (bounded), and its
// queued storage work in async mode.
func (s *Sim) process(n *simNode) {
	for i := 0; i < 8 && n.rn != nil && s.err == nil; i++ {
		worked := false
		if n.rn.HasReady() {
			s.handleReady(n, false)
			worked = true
		}
		if s.cfg.AsyncStorageWrites && n.rn != nil {
			if s.runStorageWork(n) {
				worked = true
			}
		}
		if !worked {
			return
		}
	}
}

// periodicChecks runs the expensive oracles now and then.
func (s *Sim) periodicChecks() {
	if s.err == nil && s.step%50 == 0 {
		s.checkLogsPairwise()
	}
}

// transfer asks the leader (if any is up) to hand leadership to a random
// voter.
func (s *Sim) transfer() {
	ld := s.pickNode(func(n *simNode) bool {
		return n.rn != nil && n.rn.BasicStatus().RaftState == raft.StateLeader
	})
	if ld == nil {
		return
	}
	voters := ld.rn.Status().Config.Voters.IDs()
	var ids []uint64
	for id := range voters {
		if id != ld.id {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return
	}
	simSortIDs(ids)
	to := ids[s.rng.IntN(len(ids))]
	s.stats.Transfers++
	s.tracef("transfer leadership %d -> %d", ld.id, to)
	ld.rn.TransferLeader(to)
	s.observe(ld, "transfer")
}

func simSortIDs(ids []uint64) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

// partition splits the nodes, symmetrically or one way.
func (s *Sim) partition() {
	s.stats.Partitions++
	n := len(s.nodes)
	if s.rng.IntN(2) == 0 {
		// Symmetric: a random non-trivial split.
		mask := 1 + s.rng.Uint64N(uint64(1)<<n-2)
		var a, b []uint64
		for i := 0; i < n; i++ {
			if mask&(1<<i) != 0 {
				a = append(a, uint64(i+1))
			} else {
				b = append(b, uint64(i+1))
			}
		}
		for _, x := range a {
			for _, y := range b {
				s.net.block(x, y)
				s.net.block(y, x)
			}
		}
		s.tracef("partition %v | %v", a, b)
		return
	}
	from := uint64(1 + s.rng.IntN(n))
	to := uint64(1 + s.rng.IntN(n))
	if from == to {
		return
	}
	s.net.block(from, to)
	s.tracef("partition one-way %d -> %d", from, to)
}
