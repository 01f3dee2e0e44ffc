package raft

import (
	"errors"
	"fmt"
	"strings"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// SoftState is the volatile part of a node's state: who leads and in which
// role this node is. It is not persisted.
type SoftState struct {
	Lead      uint64
	RaftState StateType
}

// Ready is a batch of work for the application. With synchronous storage
// writes (the default), handle it in this order, then call Advance:
//
//  1. Persist HardState (if not empty), Entries and Snapshot (if not
//     empty); MustSync says whether the write must reach stable storage
//     before going on (fsync).
//  2. Send Messages. Only now: they may acknowledge what step 1 persisted.
//  3. Apply Snapshot, then CommittedEntries, to the state machine; call
//     ApplyConfChange for configuration change entries.
//  4. Serve ReadStates once the state machine has applied their Index.
//
// With Config.AsyncStorageWrites, Entries, HardState, Snapshot and
// CommittedEntries stay empty: that work arrives in Messages as
// MsgStorageAppend (to LocalAppendThread) and MsgStorageApply (to
// LocalApplyThread), each carrying Responses to step back once it is done,
// and Advance is not called.
type Ready struct {
	// SoftState is set when the leader or role changed.
	*SoftState
	// HardState is set when term, vote or commit changed.
	pb.HardState
	// ReadStates are answered ReadIndex requests.
	ReadStates []ReadState
	// Entries are to be appended to stable storage, replacing any
	// conflicting suffix.
	Entries []pb.Entry
	// Snapshot is to be persisted and applied, if not empty.
	Snapshot pb.Snapshot
	// CommittedEntries are to be applied to the state machine, in order.
	CommittedEntries []pb.Entry
	// Messages are to be sent to peers after step 1. The slice belongs to
	// the application, unless Config.RecycleMessages is set: then it is
	// valid until Advance (copy a Message to keep it).
	Messages []pb.Message
	// MustSync reports whether HardState and Entries must be written
	// synchronously.
	MustSync bool
}

// RawNode is a raft node without goroutines: the application calls it from
// its own loop and feeds it ticks and messages. It is not safe for
// concurrent use. Node wraps it with a goroutine and channels.
type RawNode struct {
	raft               *raft
	asyncStorageWrites bool
	prevSoftSt         SoftState
	prevHardSt         pb.HardState
	// stepsOnAdvance are self-addressed responses that the application's
	// persistence (sync mode) makes true once it calls Advance.
	stepsOnAdvance []pb.Message
}

// NewRawNode creates a node from a Config and the state in its Storage. A
// new cluster must first Bootstrap its initial members (or have them in
// Storage).
func NewRawNode(config *Config) (*RawNode, error) {
	m := new(nodeMem)
	r := &m.raft
	if err := r.init(config, &m.log); err != nil {
		return nil, err
	}
	rn := &m.rn
	*rn = RawNode{raft: r, asyncStorageWrites: config.AsyncStorageWrites}
	rn.prevSoftSt = r.softState()
	rn.prevHardSt = r.hardState()
	return rn, nil
}

// Tick advances the node's logical clock by one tick.
func (rn *RawNode) Tick() {
	rn.releaseIdleBuffers()
	rn.raft.tick()
}

// releaseIdleBuffers lets go of the arrays kept for self-acknowledgements
// between Readys when they are empty. A busy group reallocates them once
// per tick at most; an idle group does not carry them.
func (rn *RawNode) releaseIdleBuffers() {
	if len(rn.stepsOnAdvance) == 0 {
		rn.stepsOnAdvance = nil
	}
	if len(rn.raft.msgsAfterAppend) == 0 {
		rn.raft.msgsAfterAppend = nil
	}
}

// TickQuiesced advances the election clock without heartbeats or
// elections, for groups the application has put to sleep because they are
// idle. Waking such a group with a normal Tick then campaigns sooner if the
// leader is gone. Use with care: while quiesced, nothing detects a failed
// leader.
func (rn *RawNode) TickQuiesced() {
	rn.raft.ticks++
	rn.raft.electionElapsed++
}

// Campaign makes this node start an election (with a pre-vote round when
// PreVote is set).
func (rn *RawNode) Campaign() error {
	return rn.raft.Step(pb.Message{Type: pb.MsgHup})
}

// Propose proposes data to be appended to the log. It fails with
// ErrProposalDropped when no leader is known, forwarding is disabled, a
// transfer is in progress or the uncommitted budget is exhausted; success
// does not mean the entry will commit.
func (rn *RawNode) Propose(data []byte) error {
	return rn.raft.Step(pb.Message{
		Type:    pb.MsgProp,
		From:    rn.raft.id,
		Entries: []pb.Entry{{Data: data}},
	})
}

// ProposeConfChange proposes a configuration change (ConfChange or
// ConfChangeV2).
func (rn *RawNode) ProposeConfChange(cc pb.ConfChangeI) error {
	m, err := confChangeToMsg(cc)
	if err != nil {
		return err
	}
	return rn.raft.Step(m)
}

func confChangeToMsg(c pb.ConfChangeI) (pb.Message, error) {
	typ, data, err := pb.MarshalConfChange(c)
	if err != nil {
		return pb.Message{}, err
	}
	return pb.Message{Type: pb.MsgProp, Entries: []pb.Entry{{Type: typ, Data: data}}}, nil
}

// ApplyConfChange applies a committed configuration change to the node and
// returns the configuration now in force. Call it when applying a
// configuration change entry from CommittedEntries. A change that breaks
// the membership rules is ignored on every node alike and the unchanged
// configuration is returned.
func (rn *RawNode) ApplyConfChange(cc pb.ConfChangeI) *pb.ConfState {
	cs := rn.raft.applyConfChange(cc.AsV2())
	return &cs
}

// Step feeds a message received from the network (or, with async storage
// writes, a storage response) into the node. Local message types are
// refused with ErrStepLocalMsg, responses from peers not in the
// configuration with ErrStepPeerNotFound.
func (rn *RawNode) Step(m pb.Message) error {
	if IsLocalMsg(m.Type) && !IsLocalMsgTarget(m.From) {
		return ErrStepLocalMsg
	}
	if IsResponseMsg(m.Type) && !IsLocalMsgTarget(m.From) && rn.raft.progress(m.From) == nil {
		return ErrStepPeerNotFound
	}
	return rn.raft.Step(m)
}

// Ready returns the work accumulated since the last Ready. The application
// must handle it and, unless AsyncStorageWrites is set, call Advance before
// the next Ready.
//
// Panics if called again before Advance while the previous Ready still
// holds acknowledgements waiting for its writes: continuing would count
// writes that may not be durable.
func (rn *RawNode) Ready() (rd Ready) {
	// Ready is large (it embeds a Snapshot); the helpers fill and read it
	// in place rather than copying it at every call.
	committed := rn.readyWithoutAccept(&rd)
	rn.acceptReady(&rd, committed)
	return rd
}

// readyWithoutAccept builds a Ready in rd (overwriting it) without
// committing the node to it. It returns the committed entries handed out,
// which travel in a MsgStorageApply with async storage writes.
func (rn *RawNode) readyWithoutAccept(rd *Ready) []pb.Entry {
	r := rn.raft
	committed := r.raftLog.nextCommittedEnts(rn.applyUnstableEntries())
	*rd = Ready{
		Entries:          r.raftLog.nextUnstableEnts(),
		CommittedEntries: committed,
		Messages:         r.msgs,
	}
	if ss := r.softState(); ss != rn.prevSoftSt {
		softSt := ss // allocated only when the soft state changed
		rd.SoftState = &softSt
	}
	if hardSt := r.hardState(); hardSt != rn.prevHardSt {
		rd.HardState = hardSt
	}
	if r.raftLog.hasNextUnstableSnapshot() {
		rd.Snapshot = *r.raftLog.nextUnstableSnapshot()
	}
	if rs := r.answeredReads(); len(rs) != 0 {
		rd.ReadStates = rs
	}
	rd.MustSync = rn.mustSync(rd)

	if rn.asyncStorageWrites {
		if rn.needStorageAppend(rd) {
			rd.Messages = append(rd.Messages, rn.storageAppendMsg(rd))
		}
		if len(rd.CommittedEntries) > 0 || r.snapToApply != nil {
			rd.Messages = append(rd.Messages, rn.storageApplyMsg(r.snapToApply, rd.CommittedEntries))
		}
		rd.Entries, rd.HardState, rd.Snapshot, rd.CommittedEntries = nil, pb.HardState{}, pb.Snapshot{}, nil
		return committed
	}
	// Synchronous writes: the application persists before it sends, so the
	// messages that wait for durability go out with the rest; those
	// addressed to this node are stepped in Advance.
	for _, m := range r.msgsAfterAppend {
		if m.To != r.id {
			if rd.Messages == nil {
				rd.Messages = r.newMsgs(len(r.msgsAfterAppend))
			}
			rd.Messages = append(rd.Messages, m)
		}
	}
	return committed
}

// mustSync reports whether the Ready's writes must be durable before its
// messages go out: the vote and term always, and entries.
func (rn *RawNode) mustSync(rd *Ready) bool {
	return MustSync(rn.raft.hardState(), rn.prevHardSt, len(rd.Entries)) || !IsEmptySnap(rd.Snapshot)
}

// applyUnstableEntries reports whether entries may be applied before they
// are durable: in sync mode Ready orders persistence before application.
func (rn *RawNode) applyUnstableEntries() bool { return !rn.asyncStorageWrites }

func (rn *RawNode) needStorageAppend(rd *Ready) bool {
	return len(rd.Entries) > 0 || !IsEmptyHardState(rd.HardState) || !IsEmptySnap(rd.Snapshot) ||
		len(rn.raft.msgsAfterAppend) > 0
}

// storageAppendMsg builds the append thread's work: persist the hard state,
// entries and snapshot, then deliver the responses.
func (rn *RawNode) storageAppendMsg(rd *Ready) pb.Message {
	r := rn.raft
	m := pb.Message{
		Type:    pb.MsgStorageAppend,
		To:      LocalAppendThread,
		From:    r.id,
		Entries: rd.Entries,
	}
	if !IsEmptyHardState(rd.HardState) {
		m.Term, m.Vote, m.Commit = rd.Term, rd.Vote, rd.Commit
	}
	if !IsEmptySnap(rd.Snapshot) {
		snap := rd.Snapshot
		m.Snapshot = &snap
	}
	m.Responses = append(m.Responses, r.msgsAfterAppend...)
	// The append thread tells us what became durable. Term 0: it is local
	// and must not be filtered as stale.
	resp := pb.Message{Type: pb.MsgStorageAppendResp, To: r.id, From: LocalAppendThread}
	if n := len(rd.Entries); n > 0 {
		resp.Index, resp.LogTerm = rd.Entries[n-1].Index, rd.Entries[n-1].Term
	}
	if m.Snapshot != nil {
		resp.Snapshot = &pb.Snapshot{Metadata: m.Snapshot.Metadata}
	}
	m.Responses = append(m.Responses, resp)
	return m
}

// storageApplyMsg builds the apply thread's work: apply the snapshot, if
// any, then the entries.
func (rn *RawNode) storageApplyMsg(snap *pb.Snapshot, ents []pb.Entry) pb.Message {
	r := rn.raft
	m := pb.Message{
		Type:     pb.MsgStorageApply,
		To:       LocalApplyThread,
		From:     r.id,
		Entries:  ents,
		Snapshot: snap,
		Responses: []pb.Message{{
			Type:    pb.MsgStorageApplyResp,
			To:      r.id,
			From:    LocalApplyThread,
			Entries: ents,
		}},
	}
	if snap != nil {
		m.Responses[0].Snapshot = &pb.Snapshot{Metadata: snap.Metadata}
	}
	return m
}

// acceptReady commits the node to having handed out rd.
func (rn *RawNode) acceptReady(rd *Ready, committed []pb.Entry) {
	r := rn.raft
	if rd.SoftState != nil {
		rn.prevSoftSt = *rd.SoftState
	}
	rn.prevHardSt = r.hardState()
	if len(rn.stepsOnAdvance) != 0 {
		panic("raft: Ready called twice without Advance in between")
	}
	if !rn.asyncStorageWrites {
		for _, m := range r.msgsAfterAppend {
			if m.To == r.id {
				rn.stepsOnAdvance = append(rn.stepsOnAdvance, m)
			}
		}
	}
	r.lendMsgs(rd.Messages)
	r.msgs = nil
	// msgsAfterAppend was copied (into Messages, stepsOnAdvance or the
	// storage append's Responses): its array can be reused.
	clear(r.msgsAfterAppend)
	r.msgsAfterAppend = r.msgsAfterAppend[:0]
	if r.reads != nil {
		r.reads.readStates = nil
	}
	r.raftLog.acceptUnstable()
	r.snapToApply = nil
	if n := len(committed); n > 0 {
		r.raftLog.acceptApplying(committed[n-1].Index, entsSize(committed), rn.applyUnstableEntries())
		if r.state == StateLeader {
			r.reduceUncommittedSize(payloadsSize(committed))
		}
	}
}

// HasReady reports whether Ready would return any work.
func (rn *RawNode) HasReady() bool {
	r := rn.raft
	if r.softState() != rn.prevSoftSt {
		return true
	}
	if hs := r.hardState(); !IsEmptyHardState(hs) && hs != rn.prevHardSt {
		return true
	}
	return r.raftLog.hasNextUnstableSnapshot() || r.snapToApply != nil ||
		len(r.msgs) > 0 || len(r.msgsAfterAppend) > 0 ||
		r.raftLog.hasNextUnstableEnts() ||
		r.raftLog.hasNextCommittedEnts(rn.applyUnstableEntries()) ||
		len(r.answeredReads()) != 0
}

// Advance tells the node that the application handled the last Ready:
// persisted its writes and applied its committed entries. With
// Config.RecycleMessages, rd.Messages must not be used after this call.
//
// Panics if AsyncStorageWrites is set: in that mode storage responses are
// stepped instead.
func (rn *RawNode) Advance(rd Ready) {
	if rn.asyncStorageWrites {
		panic("raft: Advance must not be called with AsyncStorageWrites")
	}
	r := rn.raft
	r.recycleMsgs(rd.Messages)
	if n := len(rd.Entries); n > 0 {
		r.raftLog.stableTo(pbEntryID(&rd.Entries[n-1]))
	}
	if !IsEmptySnap(rd.Snapshot) {
		r.raftLog.stableSnapTo(rd.Snapshot.Metadata.Index)
		// The application applied it with this Ready.
		r.appliedTo(rd.Snapshot.Metadata.Index, 0)
	}
	// Self-addressed acknowledgements are true now that the writes are
	// durable. Stepping may queue new ones: those belong to the next Ready.
	steps := rn.stepsOnAdvance
	for i := range steps {
		if err := r.Step(steps[i]); err != nil {
			r.logger().Errorf("%x error stepping %s on Advance: %v", r.id, steps[i].Type, err)
		}
	}
	clear(steps)
	rn.stepsOnAdvance = steps[:0]
	if n := len(rd.CommittedEntries); n > 0 {
		last := rd.CommittedEntries[n-1].Index
		// When this Ready's entries end where those handed out end, every
		// entry handed out is now applied, and what they weigh is all of
		// applyingEntsSize: no need to walk a possibly long list of
		// entries to measure it again.
		size := r.raftLog.applyingEntsSize
		if last != r.raftLog.applying {
			size = entsSize(rd.CommittedEntries)
		}
		r.appliedTo(last, size)
	}
}

// Status returns the node's full status, including every peer's progress
// when it leads. It allocates; BasicStatus does not.
func (rn *RawNode) Status() Status { return getStatus(rn.raft) }

// BasicStatus returns the node's status without peer progress, without
// allocating.
func (rn *RawNode) BasicStatus() BasicStatus { return getBasicStatus(rn.raft) }

// ProgressType tells voters from learners in WithProgress.
type ProgressType byte

const (
	// ProgressTypePeer is a voter.
	ProgressTypePeer ProgressType = iota
	// ProgressTypeLearner is a learner.
	ProgressTypeLearner
)

// WithProgress calls visitor for every peer's progress (in ascending ID
// order), without copying the progress map. The Progress passed is a
// snapshot without Inflights.
func (rn *RawNode) WithProgress(visitor func(id uint64, typ ProgressType, pr tracker.Progress)) {
	for i := range rn.raft.peers {
		p := &rn.raft.peers[i]
		typ := ProgressTypePeer
		if p.pr.IsLearner {
			typ = ProgressTypeLearner
		}
		pr := p.pr
		pr.Inflights = nil
		visitor(p.id, typ, pr)
	}
}

// ReportUnreachable tells the leader that the last message to id did not
// arrive, so it stops pipelining to that peer and probes instead.
func (rn *RawNode) ReportUnreachable(id uint64) {
	_ = rn.raft.Step(pb.Message{Type: pb.MsgUnreachable, From: id})
}

// SnapshotStatus is the outcome of sending a snapshot.
type SnapshotStatus int

const (
	// SnapshotFinish means the snapshot was delivered.
	SnapshotFinish SnapshotStatus = 1
	// SnapshotFailure means it was not.
	SnapshotFailure SnapshotStatus = 2
)

// ReportSnapshot tells the leader whether the snapshot it sent to id was
// delivered. Without it the leader never sends that peer anything again.
func (rn *RawNode) ReportSnapshot(id uint64, status SnapshotStatus) {
	_ = rn.raft.Step(pb.Message{Type: pb.MsgSnapStatus, From: id, Reject: status == SnapshotFailure})
}

// TransferLeader asks the leader to hand leadership to transferee. From a
// follower the request is forwarded to the leader.
func (rn *RawNode) TransferLeader(transferee uint64) {
	_ = rn.raft.Step(pb.Message{Type: pb.MsgTransferLeader, From: transferee})
}

// ForgetLeader makes a follower forget its leader so it may grant votes
// before the election timeout, for example after learning that the leader
// was removed. It is refused (a no-op) with ReadOnlyLeaseBased.
func (rn *RawNode) ForgetLeader() error {
	return rn.raft.Step(pb.Message{Type: pb.MsgForgetLeader})
}

// ReadIndex requests a linearizable read. The answer arrives as a ReadState
// with RequestCtx == rctx in a later Ready. Requests may be dropped (no
// leader, leadership lost); retry after a timeout. Equal contexts are
// answered separately and correctly, but the application cannot tell them
// apart: make them unique.
func (rn *RawNode) ReadIndex(rctx []byte) {
	_ = rn.raft.Step(pb.Message{Type: pb.MsgReadIndex, Entries: []pb.Entry{{Data: rctx}}})
}

// Peer is an initial member of a new cluster.
type Peer struct {
	ID      uint64
	Context []byte
}

// Bootstrap initialises an empty node with an initial membership: it
// appends one committed ConfChangeAddNode entry per peer at term 1, which
// the application persists and applies through Ready like any other. Use
// it only on a brand-new node whose storage is empty.
func (rn *RawNode) Bootstrap(peers []Peer) error {
	if len(peers) == 0 {
		return errors.New("raft: Bootstrap needs at least one peer")
	}
	r := rn.raft
	if last := r.raftLog.lastIndex(); last != 0 {
		return fmt.Errorf("raft: Bootstrap needs an empty Storage, found entries up to %d", last)
	}
	seen := map[uint64]bool{}
	ents := make([]pb.Entry, len(peers))
	for i, p := range peers {
		if p.ID == None || seen[p.ID] {
			return fmt.Errorf("raft: Bootstrap peer %d has ID %d: IDs must be non-zero and distinct", i, p.ID)
		}
		seen[p.ID] = true
		data, err := (&pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: p.ID, Context: p.Context}).Marshal()
		if err != nil {
			return err
		}
		ents[i] = pb.Entry{Type: pb.EntryConfChange, Term: 1, Index: uint64(i + 1), Data: data}
	}
	// The previous hard state was empty; the new one is the bootstrap
	// state, which the first Ready persists.
	r.becomeFollower(1, None)
	r.raftLog.append(ents...)
	r.raftLog.commitTo(uint64(len(ents)))
	for _, p := range peers {
		r.applyConfChange(pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: p.ID}.AsV2())
	}
	// The configuration is known now, so Campaign works at once; the
	// application still applies the entries (harmlessly, again).
	r.bootstrapIndex = uint64(len(ents))
	return nil
}

// DescribeSoftState returns a one-line description of a SoftState.
func DescribeSoftState(ss SoftState) string {
	return fmt.Sprintf("Lead:%d State:%s", ss.Lead, ss.RaftState)
}

// DescribeReady returns a human-readable, multi-line description of a
// Ready, used by tests and for debugging. f formats entry data (nil: %q).
func DescribeReady(rd Ready, f EntryFormatter) string {
	var buf strings.Builder
	if rd.SoftState != nil {
		fmt.Fprintln(&buf, DescribeSoftState(*rd.SoftState))
	}
	if !IsEmptyHardState(rd.HardState) {
		fmt.Fprintf(&buf, "HardState %s\n", DescribeHardState(rd.HardState))
	}
	if len(rd.ReadStates) > 0 {
		fmt.Fprintf(&buf, "ReadStates %v\n", rd.ReadStates)
	}
	if len(rd.Entries) > 0 {
		buf.WriteString("Entries:\n")
		fmt.Fprint(&buf, DescribeEntries(rd.Entries, f))
	}
	if !IsEmptySnap(rd.Snapshot) {
		fmt.Fprintf(&buf, "Snapshot %s\n", DescribeSnapshot(rd.Snapshot))
	}
	if len(rd.CommittedEntries) > 0 {
		buf.WriteString("CommittedEntries:\n")
		fmt.Fprint(&buf, DescribeEntries(rd.CommittedEntries, f))
	}
	if len(rd.Messages) > 0 {
		buf.WriteString("Messages:\n")
		for _, msg := range rd.Messages {
			fmt.Fprintf(&buf, "%s\n", DescribeMessage(msg, f))
		}
	}
	if buf.Len() > 0 {
		return fmt.Sprintf("Ready MustSync=%t:\n%s", rd.MustSync, buf.String())
	}
	return "<empty Ready>"
}
