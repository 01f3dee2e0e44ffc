package rafttest

import (
	"bytes"
	"errors"
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// simNode is one simulated node. st survives crashes; everything else
// describes the running incarnation and is reset at restart.
type simNode struct {
	id uint64
	st SimStorage

	rn          *raft.RawNode // nil while down
	incarnation int
	kv          *simKV
	// confState is the configuration as of kv.applied.
	confState pb.ConfState
	// readWait holds answered ReadIndex requests waiting for the state
	// machine to reach their index.
	readWait []raft.ReadState
	// appendQ and applyQ hold pending async storage work.
	appendQ, applyQ []pb.Message

	// Observations of the running incarnation.
	lastTerm, lastCommit uint64
	// persisted is the hard state read back from storage after the last
	// write (it survives restarts: it is what the storage holds).
	persisted pb.HardState
	// commitRecorded is the highest index whose committed entry this node
	// has reported to the checker.
	commitRecorded uint64
	// appliedRecorded is the last index the state machine reported
	// applying (or the snapshot it installed).
	appliedRecorded uint64
	// leaderCheck is the term of a leadership not yet verified for
	// completeness (0: none).
	leaderCheck uint64
	// lastLeaderTerm is the last term this node was seen leading.
	lastLeaderTerm uint64
	maxCommit      uint64

	// The clock of lease mode: its character (drawn at each start) and
	// the last round it skipped or doubled a tick.
	clockKind  int
	adjusted   bool
	lastAdjust int
}

// simKV is the replicated state machine: a map of keys to values, plus the
// IDs of the puts applied (to apply each put at most once).
type simKV struct {
	applied uint64
	data    map[string]string
	seen    map[uint64]bool
}

func newSimKV() *simKV {
	return &simKV{data: map[string]string{}, seen: map[uint64]bool{}}
}

// encode serialises the state deterministically (sorted).
func (kv *simKV) encode() []byte {
	var b bytes.Buffer
	keys := make([]string, 0, len(kv.data))
	for k := range kv.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "k %s %s\n", k, kv.data[k])
	}
	ids := make([]uint64, 0, len(kv.seen))
	for id := range kv.seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(&b, "s %d\n", id)
	}
	return b.Bytes()
}

func simDecodeKV(data []byte, applied uint64) (*simKV, error) {
	kv := newSimKV()
	kv.applied = applied
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" {
			continue
		}
		f := strings.Fields(line)
		switch {
		case len(f) == 3 && f[0] == "k":
			kv.data[f[1]] = f[2]
		case len(f) == 2 && f[0] == "s":
			id, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil {
				return nil, err
			}
			kv.seen[id] = true
		default:
			return nil, fmt.Errorf("bad state machine line %q", line)
		}
	}
	return kv, nil
}

// simPut is a put command in an entry: "put <op> <key> <value>".
func simEncodePut(op uint64, key, value string) []byte {
	return []byte(fmt.Sprintf("put %d %s %s", op, key, value))
}

func simDecodePut(data []byte) (op uint64, key, value string, ok bool) {
	f := strings.Fields(string(data))
	if len(f) != 4 || f[0] != "put" {
		return 0, "", "", false
	}
	op, err := strconv.ParseUint(f[1], 10, 64)
	if err != nil {
		return 0, "", "", false
	}
	return op, f[2], f[3], true
}

// simEntryDigest identifies an entry's content.
func simEntryDigest(e *pb.Entry) uint64 {
	h := fnv.New64a()
	h.Write([]byte{byte(e.Type)})
	h.Write(e.Data)
	return h.Sum64()
}

func simDataDigest(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// simLogger discards log lines; Panic and Fatal still panic.
type simLogger struct{}

func (simLogger) Debug(...interface{})                   {}
func (simLogger) Debugf(string, ...interface{})          {}
func (simLogger) Error(...interface{})                   {}
func (simLogger) Errorf(string, ...interface{})          {}
func (simLogger) Info(...interface{})                    {}
func (simLogger) Infof(string, ...interface{})           {}
func (simLogger) Warning(...interface{})                 {}
func (simLogger) Warningf(string, ...interface{})        {}
func (simLogger) Fatal(v ...interface{})                 { panic(fmt.Sprint(v...)) }
func (simLogger) Fatalf(format string, v ...interface{}) { panic(fmt.Sprintf(format, v...)) }
func (simLogger) Panic(v ...interface{})                 { panic(fmt.Sprint(v...)) }
func (simLogger) Panicf(format string, v ...interface{}) { panic(fmt.Sprintf(format, v...)) }

// start builds a node's RawNode from its storage: the state machine is
// restored from the storage's snapshot and Applied is the snapshot's index;
// raft then hands out the committed entries after it again.
func (s *Sim) start(n *simNode) error {
	snap, err := n.st.Snapshot()
	if err != nil {
		return err
	}
	kv, err := simDecodeKV(snap.Data, snap.Metadata.Index)
	if err != nil {
		return fmt.Errorf("node %d: snapshot: %w", n.id, err)
	}
	cfg := &raft.Config{
		ElectionTick:    s.cfg.ElectionTick,
		HeartbeatTick:   s.cfg.HeartbeatTick,
		MaxSizePerMsg:   4096,
		MaxInflightMsgs: 64,
		PreVote:         true,
		CheckQuorum:     true,

		StepDownOnRemoval: true,
	}
	if s.cfg.ConfigOptions != nil {
		s.cfg.ConfigOptions(cfg)
	}
	if s.cfg.LeaseReads {
		cfg.ReadOnlyOption = raft.ReadOnlyLeaseBased
		cfg.CheckQuorum = true
	}
	n.incarnation++
	cfg.ID = n.id
	cfg.Storage = n.st
	cfg.Applied = snap.Metadata.Index
	cfg.AsyncStorageWrites = s.cfg.AsyncStorageWrites
	// A non-zero seed per node and incarnation keeps runs reproducible.
	cfg.Seed = s.cfg.Seed*0x9e3779b97f4a7c15 + n.id<<20 + uint64(n.incarnation) | 1
	cfg.Logger = simLogger{}
	if s.cfg.Logger != nil {
		cfg.Logger = s.cfg.Logger
	}
	rn, err := raft.NewRawNode(cfg)
	if err != nil {
		return fmt.Errorf("node %d: %w", n.id, err)
	}
	// What raft loaded must not be older than what was persisted before.
	hs, _, err := n.st.InitialState()
	if err != nil {
		return err
	}
	prev := n.persisted
	switch {
	case hs.Term < prev.Term || hs.Term == prev.Term && prev.Vote != raft.None && hs.Vote != prev.Vote:
		s.failf(InvDurability, "node %d restarted with term %d vote %d after persisting term %d vote %d",
			n.id, hs.Term, hs.Vote, prev.Term, prev.Vote)
	case hs.Commit < prev.Commit:
		s.failf(InvDurability, "node %d restarted with commit %d after persisting commit %d", n.id, hs.Commit, prev.Commit)
	}
	n.rn = rn
	n.kv = kv
	n.confState = snap.Metadata.ConfState
	n.readWait, n.appendQ, n.applyQ = nil, nil, nil
	n.persisted = hs
	n.lastTerm, n.lastCommit = hs.Term, hs.Commit
	n.leaderCheck = 0
	n.appliedRecorded = snap.Metadata.Index
	if n.commitRecorded < snap.Metadata.Index {
		n.commitRecorded = snap.Metadata.Index
	}
	s.drawClock(n)
	s.observe(n, "start")
	return nil
}

// crash stops a node, losing everything it had not persisted. With midReady
// it crashes halfway through handling a Ready (after persisting it, and
// maybe after sending its messages).
func (s *Sim) crash(n *simNode, midReady bool) {
	if midReady && n.rn.HasReady() {
		s.handleReady(n, true)
		if n.rn == nil || s.err != nil {
			return
		}
	}
	s.tracef("crash %d (lost: %d append, %d apply work items)", n.id, len(n.appendQ), len(n.applyQ))
	s.down(n)
}

// down stops a crashed node.
func (s *Sim) down(n *simNode) {
	s.stats.Crashes++
	n.rn = nil
	n.kv = nil
	n.readWait, n.appendQ, n.applyQ = nil, nil, nil
	s.hist.nodeDown(n.id)
	if c, ok := n.st.(SimCrashable); ok {
		c.Crash()
	}
}

func (s *Sim) restart(n *simNode) {
	s.stats.Restarts++
	if err := s.start(n); err != nil {
		s.failf(InvHarness, "restarting node %d: %v", n.id, err)
		return
	}
	if s.cfg.LeaseReads {
		s.tracef("restart %d (incarnation %d, applied %d, %s clock)", n.id, n.incarnation, n.kv.applied, simClockName(n.clockKind))
		return
	}
	s.tracef("restart %d (incarnation %d, applied %d)", n.id, n.incarnation, n.kv.applied)
}

// handleReady performs one Ready cycle. With crashAfter, the node crashes
// after persisting (and maybe after sending), without applying or
// advancing.
func (s *Sim) handleReady(n *simNode, crashAfter bool) {
	rd := n.rn.Ready()
	if rd.SoftState != nil && rd.SoftState.RaftState == raft.StateLeader {
		s.stats.Elections++
	}
	s.tracef("ready %d: %s", n.id, simDescribeReady(rd))
	// 1. Persist: snapshot, entries, hard state.
	s.persist(n, rd.HardState, rd.Entries, rd.Snapshot)
	if s.err != nil {
		return
	}
	// 2. Send.
	send := !crashAfter || s.rng.IntN(2) == 0
	if send {
		for _, m := range rd.Messages {
			s.route(n, m)
		}
	}
	if crashAfter {
		s.tracef("crash %d in the middle of a Ready (messages sent: %t)", n.id, send)
		s.down(n)
		return
	}
	// 3. Apply the snapshot, then the committed entries.
	if !raft.IsEmptySnap(rd.Snapshot) {
		s.installSnapshot(n, rd.Snapshot)
	}
	for _, e := range rd.CommittedEntries {
		s.apply(n, e)
		if s.err != nil {
			return
		}
	}
	// 4. Reads.
	s.addReadStates(n, rd.ReadStates)
	// 5. Advance.
	if !s.cfg.AsyncStorageWrites {
		n.rn.Advance(rd)
	}
	s.observe(n, "advance")
}

// routeResponses routes the responses of a storage thread's message in
// order. It reports false if the run failed or the node stopped on the way.
func (s *Sim) routeResponses(n *simNode, rs []pb.Message) bool {
	for _, r := range rs {
		s.route(n, r)
		if n.rn == nil || s.err != nil {
			return false
		}
	}
	return true
}

// route sends a message to the network, or queues it for a local storage
// thread.
func (s *Sim) route(n *simNode, m pb.Message) {
	switch m.To {
	case raft.LocalAppendThread:
		n.appendQ = append(n.appendQ, m)
	case raft.LocalApplyThread:
		n.applyQ = append(n.applyQ, m)
	default:
		if m.To == n.id {
			s.stepLocal(n, m)
			return
		}
		if m.Type == pb.MsgReadIndexResp && s.cfg.LeaseReads && len(m.Entries) == 1 {
			if op, st := s.hist.lookup(m.Entries[0].Data); op != nil {
				s.checkLeaseRead(n, op, st)
			}
		}
		s.net.send(s, m)
	}
}

// stepLocal steps a response from the node's own storage threads.
func (s *Sim) stepLocal(n *simNode, m pb.Message) {
	if err := n.rn.Step(m); err != nil {
		if errors.Is(err, raft.ErrStepPeerNotFound) {
			// Its own acknowledgement, after it removed itself.
			s.tracef("node %d: own %s refused: %v", n.id, m.Type, err)
			return
		}
		s.failf(InvHarness, "node %d refused its own %s: %v", n.id, m.Type, err)
		return
	}
	s.observe(n, "local step")
}

// runStorageWork performs some queued async storage work: the append
// thread's and the apply thread's queues run independently. It follows
// doc.go's contract to the letter: the append thread only persists (the
// snapshot too), and the apply thread installs the snapshot of its message,
// if any, and then applies every entry of it, in order, each exactly once.
// So a snapshot that overtook committed entries queued for the apply thread
// (a configuration change among them would move the configuration
// backwards) shows as an entry handed out again below the state machine's
// index, a state machine safety violation. It reports whether it did
// anything.
func (s *Sim) runStorageWork(n *simNode) bool {
	worked := false
	if len(n.appendQ) > 0 && (s.healing || s.rng.IntN(4) != 0) {
		m := n.appendQ[0]
		n.appendQ = n.appendQ[1:]
		hs := pb.HardState{Term: m.Term, Vote: m.Vote, Commit: m.Commit}
		var snap pb.Snapshot
		if m.Snapshot != nil {
			snap = *m.Snapshot
		}
		s.persist(n, hs, m.Entries, snap)
		if s.err != nil {
			return true
		}
		if !s.routeResponses(n, m.Responses) {
			return true
		}
		worked = true
	}
	if len(n.applyQ) > 0 && (s.healing || s.rng.IntN(4) != 0 && !s.chance(s.faults.ApplyStall)) {
		m := n.applyQ[0]
		n.applyQ = n.applyQ[1:]
		if m.Snapshot != nil {
			s.installSnapshot(n, *m.Snapshot)
		}
		for _, e := range m.Entries {
			s.apply(n, e)
			if s.err != nil {
				return true
			}
		}
		if !s.routeResponses(n, m.Responses) {
			return true
		}
		s.serveReads(n)
		worked = true
	}
	return worked
}

// persist writes a Ready's (or append message's) state to storage and runs
// the checks on what the storage then holds.
func (s *Sim) persist(n *simNode, hs pb.HardState, ents []pb.Entry, snap pb.Snapshot) {
	if !raft.IsEmptySnap(snap) {
		if err := n.st.ApplySnapshot(snap); err != nil {
			s.failf(InvHarness, "node %d: ApplySnapshot %d/%d: %v", n.id, snap.Metadata.Term, snap.Metadata.Index, err)
			return
		}
		s.chk.recordSnapshotTerm(s, n, snap)
	}
	if len(ents) > 0 {
		if err := n.st.Append(ents); err != nil {
			s.failf(InvHarness, "node %d: Append [%d, %d]: %v", n.id, ents[0].Index, ents[len(ents)-1].Index, err)
			return
		}
		s.chk.recordEntries(s, n, ents[0].Index, ents[len(ents)-1].Index)
	}
	if !raft.IsEmptyHardState(hs) {
		if err := n.st.SetHardState(hs); err != nil {
			s.failf(InvHarness, "node %d: SetHardState: %v", n.id, err)
			return
		}
	}
	if s.err == nil {
		s.chk.checkPersisted(s, n)
	}
	if s.err == nil && n.leaderCheck != 0 {
		s.chk.checkLeaderLog(s, n)
	}
}

// installSnapshot replaces the state machine with a snapshot's.
func (s *Sim) installSnapshot(n *simNode, snap pb.Snapshot) {
	kv, err := simDecodeKV(snap.Data, snap.Metadata.Index)
	if err != nil {
		s.failf(InvHarness, "node %d: snapshot %d: %v", n.id, snap.Metadata.Index, err)
		return
	}
	if snap.Metadata.Index < n.kv.applied {
		s.failf(InvStateMachineSafety, "node %d was handed snapshot %d/%d to install after applying up to %d",
			n.id, snap.Metadata.Term, snap.Metadata.Index, n.kv.applied)
		return
	}
	s.stats.SnapshotsInstalled++
	s.chk.recordStateDigest(s, n, snap.Metadata.Index, simDataDigest(snap.Data), "installed")
	n.kv = kv
	n.appliedRecorded = snap.Metadata.Index
	n.confState = snap.Metadata.ConfState
	s.tracef("node %d installed snapshot %d/%d", n.id, snap.Metadata.Term, snap.Metadata.Index)
	s.serveReads(n)
}

// apply applies one committed entry to the state machine.
func (s *Sim) apply(n *simNode, e pb.Entry) {
	if e.Index != n.kv.applied+1 {
		s.failf(InvStateMachineSafety, "node %d was handed index %d to apply after %d", n.id, e.Index, n.kv.applied)
		return
	}
	n.kv.applied = e.Index
	if s.cfg.Hooks.Apply != nil && !s.cfg.Hooks.Apply(n.id, e) {
		return // sabotage: the state machine loses the entry's effect
	}
	// The state machine reports what it applied; the checker requires a
	// contiguous sequence, identical at each index on every node.
	s.chk.recordApplied(s, n, &e)
	if s.err != nil {
		return
	}
	switch e.Type {
	case pb.EntryConfChange, pb.EntryConfChangeV2:
		var cc pb.ConfChangeI
		if e.Type == pb.EntryConfChange {
			var c pb.ConfChange
			if err := c.Unmarshal(e.Data); err != nil {
				s.failf(InvHarness, "node %d: bad conf change at %d: %v", n.id, e.Index, err)
				return
			}
			cc = c
		} else {
			var c pb.ConfChangeV2
			if err := c.Unmarshal(e.Data); err != nil {
				s.failf(InvHarness, "node %d: bad conf change at %d: %v", n.id, e.Index, err)
				return
			}
			cc = c
		}
		n.confState = *n.rn.ApplyConfChange(cc)
		s.stats.ConfChangesApplied++
		s.tracef("node %d applied conf change %s at %d: %s", n.id, pb.ConfChangesToString(cc.AsV2().Changes), e.Index, raft.DescribeConfState(n.confState))
		s.observe(n, "apply conf change")
	case pb.EntryNormal:
		op, key, value, ok := simDecodePut(e.Data)
		if !ok {
			return
		}
		if !n.kv.seen[op] {
			n.kv.seen[op] = true
			n.kv.data[key] = value
		}
		if s.hist.putApplied(s, n, op) {
			s.stats.PutsAcked++
			s.chk.recordAck(s, n, &e)
		}
	}
	s.serveReads(n)
}

// observe checks what a node reports after any call into it.
func (s *Sim) observe(n *simNode, what string) {
	if n.rn == nil {
		return
	}
	st := n.rn.BasicStatus()
	if st.Term < n.lastTerm {
		s.failf(InvDurability, "node %d term went back from %d to %d (%s)", n.id, n.lastTerm, st.Term, what)
	}
	if st.Commit < n.lastCommit {
		s.failf(InvCommitIndex, "node %d commit went back from %d to %d (%s)", n.id, n.lastCommit, st.Commit, what)
	}
	if st.Applied > st.Commit {
		s.failf(InvCommitIndex, "node %d applied %d beyond commit %d (%s)", n.id, st.Applied, st.Commit, what)
	}
	n.lastTerm, n.lastCommit = st.Term, st.Commit
	if st.Commit > n.maxCommit {
		n.maxCommit = st.Commit
	}
	if st.RaftState == raft.StateLeader {
		s.chk.recordLeader(s, n, st.Term)
	}
}

// addReadStates queues answered reads and serves those already possible.
func (s *Sim) addReadStates(n *simNode, rss []raft.ReadState) {
	for _, rs := range rss {
		if op, st := s.hist.lookup(rs.RequestCtx); op != nil {
			s.checkLeaseRead(n, op, st)
		}
	}
	n.readWait = append(n.readWait, rss...)
	s.serveReads(n)
}

// serveReads answers the reads whose index the state machine reached.
func (s *Sim) serveReads(n *simNode) {
	if n.kv == nil {
		return
	}
	kept := n.readWait[:0]
	for _, rs := range n.readWait {
		if rs.Index > n.kv.applied {
			kept = append(kept, rs)
			continue
		}
		s.hist.readServed(s, n, rs.RequestCtx)
	}
	n.readWait = kept
}

// startClientOp records the invocation of a client operation of the given
// kind on a random key at a random up node. op is nil if no node is up or
// no key may take more operations.
func (s *Sim) startClientOp(kind LinOpKind) (n *simNode, key string, op *LinOp) {
	n = s.pickNode(func(n *simNode) bool { return n.rn != nil })
	if n == nil {
		return nil, "", nil
	}
	key, ok := s.hist.pickKey(s)
	if !ok {
		return nil, "", nil
	}
	return n, key, s.hist.invoke(s, n, key, kind, "")
}

// clientPut proposes a put at a random up node.
func (s *Sim) clientPut() {
	n, key, op := s.startClientOp(LinPut)
	if op == nil {
		return
	}
	value := fmt.Sprintf("v%d", op.ID)
	op.Value = value
	s.stats.Puts++
	err := n.rn.Propose(simEncodePut(op.ID, key, value))
	s.tracef("put #%d %s=%s at node %d: %v", op.ID, key, value, n.id, err)
	if err != nil {
		// Refused at once: it never entered any log.
		s.hist.forget(op.ID)
	}
	s.observe(n, "propose")
}

// clientRead starts a ReadIndex read at a random up node.
func (s *Sim) clientRead() {
	n, key, op := s.startClientOp(LinGet)
	if op == nil {
		return
	}
	s.stats.Reads++
	s.tracef("read #%d %s at node %d", op.ID, key, n.id)
	_, st := s.hist.get(op.ID)
	s.leaseReadArrived(n, st)
	if s.cfg.Hooks.ReadLocally != nil && s.cfg.Hooks.ReadLocally(n.id) {
		s.hist.readServed(s, n, simReadCtx(op.ID))
		return
	}
	n.rn.ReadIndex(simReadCtx(op.ID))
	s.observe(n, "read index")
}

func simReadCtx(op uint64) []byte { return []byte("r" + strconv.FormatUint(op, 10)) }

// confChange proposes a random membership change at a random up node,
// based on the configuration that node has applied.
func (s *Sim) confChange() {
	n := s.pickNode(func(n *simNode) bool { return n.rn != nil && len(n.confState.Voters) > 0 })
	if n == nil {
		return
	}
	cs := n.confState
	var cc pb.ConfChangeI
	if len(cs.VotersOutgoing) > 0 {
		cc = pb.ConfChangeV2{} // leave the joint configuration
	} else {
		changes := []pb.ConfChangeSingle{s.randomChange(cs)}
		if s.rng.IntN(2) == 0 {
			if c := s.randomChange(cs); c.NodeID != changes[0].NodeID {
				changes = append(changes, c)
			}
		}
		if len(changes) == 1 && s.rng.IntN(2) == 0 {
			c := changes[0]
			cc = pb.ConfChange{Type: c.Type, NodeID: c.NodeID}
		} else {
			cc = pb.ConfChangeV2{
				Transition: pb.ConfChangeTransition(s.rng.IntN(3)),
				Changes:    changes,
			}
		}
	}
	err := n.rn.ProposeConfChange(cc)
	s.tracef("propose conf change %s (%T) at node %d: %v", pb.ConfChangesToString(cc.AsV2().Changes), cc, n.id, err)
	s.observe(n, "propose conf change")
}

// randomChange picks one change: add a voter or learner, or remove a node,
// keeping at least two voters (two changes proposed together may still
// leave a single one).
func (s *Sim) randomChange(cs pb.ConfState) pb.ConfChangeSingle {
	id := uint64(1 + s.rng.IntN(len(s.nodes)))
	isVoter := simContains(cs.Voters, id)
	switch r := s.rng.IntN(3); {
	case r == 0 && isVoter && len(cs.Voters) > 2:
		return pb.ConfChangeSingle{Type: pb.ConfChangeRemoveNode, NodeID: id}
	case r == 1 && !isVoter:
		return pb.ConfChangeSingle{Type: pb.ConfChangeAddLearnerNode, NodeID: id}
	default:
		return pb.ConfChangeSingle{Type: pb.ConfChangeAddNode, NodeID: id}
	}
}

func simContains(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// compact takes a snapshot of a node's state machine and compacts its log
// behind it, keeping a few entries. The snapshot index must not exceed the
// persisted commit index (a restart would refuse a log whose snapshot lies
// beyond its commit), so the node snapshots only when its applied index is
// persisted as committed.
//
// With truncate false it only snapshots: during healing nodes snapshot now
// and then, as a real application does, so that a member added after the
// last snapshot can be caught up (a snapshot whose configuration lacks the
// receiver is refused by it).
func (s *Sim) compact(n *simNode, truncate bool) {
	a := n.kv.applied
	snap, err := n.st.Snapshot()
	if err != nil {
		s.failf(InvHarness, "node %d: Snapshot: %v", n.id, err)
		return
	}
	if a <= snap.Metadata.Index || a > n.persisted.Commit {
		return
	}
	data := n.kv.encode()
	cs := n.confState
	if _, err := n.st.CreateSnapshot(a, &cs, data); err != nil {
		s.failf(InvHarness, "node %d: CreateSnapshot(%d): %v", n.id, a, err)
		return
	}
	s.stats.Snapshots++
	s.chk.recordStateDigest(s, n, a, simDataDigest(data), "created")
	if !truncate {
		s.tracef("node %d snapshot at %d", n.id, a)
		return
	}
	keep := uint64(s.rng.IntN(5))
	first, _ := n.st.FirstIndex()
	if a > keep && a-keep >= first {
		if err := n.st.Compact(a - keep); err != nil && !errors.Is(err, raft.ErrCompacted) {
			s.failf(InvHarness, "node %d: Compact(%d): %v", n.id, a-keep, err)
			return
		}
	}
	s.tracef("node %d snapshot at %d, compacted to %d", n.id, a, a-keep)
}

// simDescribeReady summarises a Ready on one line for the trace.
func simDescribeReady(rd raft.Ready) string {
	var b strings.Builder
	if rd.SoftState != nil {
		fmt.Fprintf(&b, "%s ", raft.DescribeSoftState(*rd.SoftState))
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		fmt.Fprintf(&b, "hs=%s ", raft.DescribeHardState(rd.HardState))
	}
	if n := len(rd.Entries); n > 0 {
		fmt.Fprintf(&b, "ents=[%d..%d] ", rd.Entries[0].Index, rd.Entries[n-1].Index)
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		fmt.Fprintf(&b, "snap=%d/%d ", rd.Snapshot.Metadata.Term, rd.Snapshot.Metadata.Index)
	}
	if n := len(rd.CommittedEntries); n > 0 {
		fmt.Fprintf(&b, "commit=[%d..%d] ", rd.CommittedEntries[0].Index, rd.CommittedEntries[n-1].Index)
	}
	if len(rd.ReadStates) > 0 {
		fmt.Fprintf(&b, "reads=%d ", len(rd.ReadStates))
	}
	fmt.Fprintf(&b, "msgs=%d", len(rd.Messages))
	return b.String()
}
