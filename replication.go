package raft

import (
	"errors"
	"fmt"

	"github.com/raftcore/raft/confchange"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// errStopScan ends a log scan early.
var errStopScan = errors.New("raft: stop scan")

// appendEntry appends entries proposed to this leader, stamping term and
// index. It refuses them (returns false) when MaxUncommittedEntriesSize
// would be exceeded.
func (r *raft) appendEntry(es ...pb.Entry) bool {
	last := r.raftLog.lastIndex()
	for i := range es {
		es[i].Term = r.Term
		es[i].Index = last + 1 + uint64(i)
	}
	if !r.increaseUncommittedSize(es) {
		r.logger().Warningf("%x appending %d new entries would exceed the uncommitted size limit %d; dropping proposal",
			r.id, len(es), r.maxUncommittedSize)
		return false
	}
	last = r.raftLog.append(es...)
	// The leader acknowledges its own entries once they are durable, like
	// any follower; until then they do not count towards a quorum.
	r.send(pb.Message{To: r.id, Type: pb.MsgAppResp, Index: last})
	return true
}

// increaseUncommittedSize charges the payloads of es to the uncommitted
// budget, or reports false when they do not fit. One proposal is always
// accepted while nothing is uncommitted, so a large entry cannot wedge the
// leader; empty entries (the new leader's, leave-joint) always fit.
func (r *raft) increaseUncommittedSize(es []pb.Entry) bool {
	s := payloadsSize(es)
	if r.uncommittedSize > 0 && s > 0 && r.uncommittedSize+s > r.maxUncommittedSize {
		return false
	}
	r.uncommittedSize += s
	return true
}

// reduceUncommittedSize releases the payloads of newly committed entries.
func (r *raft) reduceUncommittedSize(s uint64) {
	if s > r.uncommittedSize {
		// Entries of earlier leaders committed under us were never
		// charged; the budget bottoms out at zero.
		r.uncommittedSize = 0
		return
	}
	r.uncommittedSize -= s
}

// handlePropose appends a client proposal at the leader and replicates it.
func (r *raft) handlePropose(m pb.Message) error {
	if len(m.Entries) == 0 {
		r.logger().Warningf("%x dropping empty proposal from %x", r.id, m.From)
		return ErrProposalDropped
	}
	if pr := r.progress(r.id); pr == nil || pr.IsLearner {
		// A leader that removed itself (without StepDownOnRemoval) serves
		// out its term but accepts nothing new.
		r.logger().Debugf("%x [term %d] dropping proposal: not a voter of the configuration", r.id, r.Term)
		return ErrProposalDropped
	}
	if r.leadTransferee != None {
		r.logger().Debugf("%x [term %d] dropping proposal: transferring leadership to %x", r.id, r.Term, r.leadTransferee)
		return ErrProposalDropped
	}
	if m.From != r.id {
		// A forwarded proposal's entries may be shared (a duplicated
		// message, an in-process transport); the log keeps what it is
		// given and appendEntry stamps it, so take a copy. Local proposals
		// are ours already.
		m.Entries = append([]pb.Entry(nil), m.Entries...)
	}
	for i := range m.Entries {
		e := &m.Entries[i]
		if e.Type != pb.EntryConfChange && e.Type != pb.EntryConfChangeV2 {
			continue
		}
		if reason := r.refuseConfChange(e); reason != "" {
			r.logger().Infof("%x ignoring configuration change at position %d of the proposal: %s", r.id, i, reason)
			// The entry stays in the batch as an empty normal entry, so the
			// batch keeps its shape and the proposer sees it commit as a
			// no-op.
			*e = pb.Entry{Type: pb.EntryNormal}
			continue
		}
		r.pendingConfIndex = r.raftLog.lastIndex() + uint64(i) + 1
	}
	if !r.appendEntry(m.Entries...) {
		return ErrProposalDropped
	}
	r.bcastAppend()
	return nil
}

// refuseConfChange says why a proposed configuration change must not enter
// the log, or "" when it may.
func (r *raft) refuseConfChange(e *pb.Entry) string {
	cc, err := decodeConfChange(e)
	if err != nil {
		return "undecodable: " + err.Error()
	}
	if r.opts.disableConfChangeValidation {
		return ""
	}
	// Configurations take effect when applied, so two unapplied changes
	// could be in force on different nodes at once; their quorums need not
	// overlap. One at a time keeps every pair of adjacent configurations
	// overlapping (thesis §4.1, and §4.3 for joint consensus).
	if r.pendingConfIndex > r.raftLog.applied {
		return fmt.Sprintf("the previous change at index %d is not yet applied (applied %d)", r.pendingConfIndex, r.raftLog.applied)
	}
	// With nothing pending, the applied configuration is the latest in the
	// log: the change is checked against exactly the configuration it will
	// be applied to, by the same rules that will apply it.
	v2 := cc.AsV2()
	if r.joint && !v2.LeaveJoint() {
		return "in a joint configuration, only leaving it is allowed"
	}
	if _, _, err := r.changeConfig(v2); err != nil {
		return err.Error()
	}
	return ""
}

// decodeConfChange decodes a configuration change entry.
func decodeConfChange(e *pb.Entry) (pb.ConfChangeI, error) {
	switch e.Type {
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			return nil, err
		}
		return cc, nil
	case pb.EntryConfChangeV2:
		var cc pb.ConfChangeV2
		if err := cc.Unmarshal(e.Data); err != nil {
			return nil, err
		}
		return cc, nil
	}
	return nil, errors.New("not a configuration change entry")
}

// bcastAppend sends to every peer that is not paused its new entries, or
// an empty append if it has not been told the commit index it can use.
func (r *raft) bcastAppend() {
	for i := range r.peers {
		p := &r.peers[i]
		if p.id != r.id {
			r.maybeSendAppend(p.id, false)
		}
	}
}

// needsCommit reports whether the peer could commit more than it has been
// told: it holds entries up to Match, and the leader committed further.
func (r *raft) needsCommit(pr *tracker.Progress) bool {
	return pr.SentCommit < min(pr.Match, r.raftLog.committed)
}

// sendAppendsUntilPaused fills a peer's pipeline.
func (r *raft) sendAppendsUntilPaused(to uint64) {
	for r.maybeSendAppend(to, false) {
	}
}

// maybeSendAppend sends to a peer the entries after its Next, or a snapshot
// when they are compacted. Without entries it sends an empty append only
// when sendIfEmpty (to probe) or when the peer needs the commit index. It
// reports whether it sent anything.
func (r *raft) maybeSendAppend(to uint64, sendIfEmpty bool) bool {
	pr := r.progress(to)
	if pr.IsPaused() {
		return false
	}
	prevIndex := pr.Next - 1
	prevTerm, err := r.raftLog.term(prevIndex)
	if err != nil {
		// The entry before Next is compacted: only a snapshot helps.
		return r.maybeSendSnapshot(to, pr, err)
	}
	var ents []pb.Entry
	// In probe state a peer's log is likely to disagree; one entry is
	// enough to learn where it stands.
	if pr.State == tracker.StateReplicate || pr.Match+1 == pr.Next {
		ents, err = r.raftLog.entries(pr.Next, r.maxMsgSize)
	} else {
		ents, err = r.raftLog.entries(pr.Next, 0)
	}
	if err != nil {
		return r.maybeSendSnapshot(to, pr, err)
	}
	if len(ents) == 0 && !sendIfEmpty && !r.needsCommit(pr) {
		return false
	}
	commit := r.raftLog.committed
	r.send(pb.Message{
		To:      to,
		Type:    pb.MsgApp,
		Index:   prevIndex,
		LogTerm: prevTerm,
		Entries: ents,
		Commit:  commit,
	})
	// The follower commits at most up to the last entry it receives.
	pr.SentCommit = max(pr.SentCommit, min(commit, prevIndex+uint64(len(ents))))
	if pr.Inflights == nil && pr.State == tracker.StateReplicate && len(ents) > 0 {
		pr.Inflights = tracker.NewInflights(r.maxInflight, r.maxInflightBytes)
	}
	pr.SentEntries(len(ents), payloadsSize(ents))
	return true
}

// maybeSendSnapshot sends the latest snapshot to a peer whose next entries
// are compacted (cause says why the log could not serve them).
func (r *raft) maybeSendSnapshot(to uint64, pr *tracker.Progress, cause error) bool {
	if !errors.Is(cause, ErrCompacted) {
		r.logger().Errorf("%x cannot read entries for %x from %d: %v", r.id, to, pr.Next, cause)
		return false
	}
	if !pr.RecentActive {
		r.logger().Debugf("%x not sending a snapshot to %x: not recently active", r.id, to)
		return false
	}
	snap, err := r.raftLog.snapshot()
	if err != nil {
		if errors.Is(err, ErrSnapshotTemporarilyUnavailable) {
			r.logger().Debugf("%x snapshot for %x temporarily unavailable; will retry", r.id, to)
		} else {
			r.logger().Errorf("%x cannot get a snapshot for %x: %v", r.id, to, err)
		}
		return false
	}
	if IsEmptySnap(snap) {
		r.logger().Errorf("%x log compacted before %d for %x but Storage.Snapshot is empty", r.id, pr.Next, to)
		return false
	}
	sIndex, sTerm := snap.Metadata.Index, snap.Metadata.Term
	r.logger().Infof("%x [first %d, commit %d] sent snapshot %d/%d to %x [%s]",
		r.id, r.raftLog.firstIndex(), r.raftLog.committed, sTerm, sIndex, to, pr)
	pr.BecomeSnapshot(sIndex)
	// A follower that installs the snapshot has committed up to its index.
	pr.SentCommit = max(pr.SentCommit, sIndex)
	r.send(pb.Message{To: to, Type: pb.MsgSnap, Snapshot: &snap})
	return true
}

// bcastHeartbeat sends heartbeats to every peer, carrying the newest
// pending read round, if any.
func (r *raft) bcastHeartbeat() {
	if r.opts.leaseReads {
		// Each lease heartbeat is a round of its own, so its answers
		// extend the lease from its send time.
		r.bcastHeartbeatWithCtx(r.newHeartbeatRound())
		return
	}
	var ctx []byte
	if r.reads != nil {
		ctx = r.reads.readOnly.lastRoundCtx()
	}
	r.bcastHeartbeatWithCtx(ctx)
}

func (r *raft) bcastHeartbeatWithCtx(ctx []byte) {
	for i := range r.peers {
		p := &r.peers[i]
		if p.id == r.id {
			continue
		}
		// Only commit what the peer is known to have: a follower must never
		// commit an entry it may not hold (or holds from another leader).
		commit := min(p.pr.Match, r.raftLog.committed)
		p.pr.SentCommit = max(p.pr.SentCommit, commit)
		r.send(pb.Message{To: p.id, Type: pb.MsgHeartbeat, Commit: commit, Context: ctx})
	}
}

// maybeCommit advances the commit index to what a quorum has acknowledged,
// if that entry is of the current term (Raft paper §5.4.2). It reports
// whether the commit index moved.
func (r *raft) maybeCommit() bool {
	c := r.committedIndex()
	if c <= r.raftLog.committed {
		return false
	}
	if t, err := r.raftLog.term(c); err != nil || t != r.Term {
		return false
	}
	r.raftLog.commitTo(c)
	return true
}

// handleAppendEntries is the follower side of AppendEntries (Raft paper
// §5.3).
func (r *raft) handleAppendEntries(m pb.Message) {
	if m.Index < r.raftLog.committed {
		// Everything up to our commit index matches the leader (Log
		// Matching); report it so the leader moves on.
		r.send(pb.Message{To: m.From, Type: pb.MsgAppResp, Index: r.raftLog.committed})
		return
	}
	r.raftLog.unstable.expectedLast = m.Commit
	lastNew, ok, err := r.raftLog.maybeAppend(entryID{term: m.LogTerm, index: m.Index}, m.Entries)
	if err != nil {
		r.logger().Errorf("%x [term %d] drops MsgApp from %x: %v", r.id, r.Term, m.From, err)
		return
	}
	if ok {
		r.raftLog.commitTo(min(m.Commit, lastNew))
		r.send(pb.Message{To: m.From, Type: pb.MsgAppResp, Index: lastNew})
		return
	}
	// Our log does not contain (m.LogTerm, m.Index). Tell the leader the
	// largest index at or below it whose term is at most m.LogTerm: every
	// entry after that one is certain to differ from the leader's, so the
	// leader can skip a whole term per round trip instead of one entry.
	hintIndex := min(m.Index, r.raftLog.lastIndex())
	hintIndex, hintTerm := r.raftLog.findConflictByTerm(hintIndex, m.LogTerm)
	r.logger().Debugf("%x [last %s] rejected MsgApp [prev %d/%d] from %x; hint %d/%d",
		r.id, r.raftLog.lastEntryID(), m.LogTerm, m.Index, m.From, hintTerm, hintIndex)
	r.send(pb.Message{To: m.From, Type: pb.MsgAppResp, Index: m.Index, Reject: true, RejectHint: hintIndex, LogTerm: hintTerm})
}

// handleHeartbeat is the follower side of a heartbeat: it learns the commit
// index and echoes the read round context.
func (r *raft) handleHeartbeat(m pb.Message) {
	resp := pb.Message{To: m.From, Type: pb.MsgHeartbeatResp, Context: m.Context}
	if last := r.raftLog.lastIndex(); m.Commit > last {
		// The leader believes we hold entries we do not have: our log was
		// lost or rolled back underneath us. Committing is impossible; say
		// how far our log goes so the leader can repair it. (Leaders that
		// do not know this hint simply ignore it.)
		r.logger().Warningf("%x [last %d] heartbeat from %x carries commit %d beyond our log; asking for repair",
			r.id, last, m.From, m.Commit)
		resp.Reject = true
		resp.RejectHint = last
	} else {
		r.raftLog.commitTo(m.Commit)
	}
	r.send(resp)
}

// handleSnapshot installs a snapshot sent by the leader.
func (r *raft) handleSnapshot(m pb.Message) {
	if m.Snapshot == nil {
		r.logger().Errorf("%x drops MsgSnap from %x without a snapshot", r.id, m.From)
		return
	}
	s := *m.Snapshot
	sIndex, sTerm := s.Metadata.Index, s.Metadata.Term
	if r.restore(s) {
		r.logger().Infof("%x [commit %d] restored snapshot %d/%d", r.id, r.raftLog.committed, sTerm, sIndex)
		r.send(pb.Message{To: m.From, Type: pb.MsgAppResp, Index: r.raftLog.lastIndex()})
		return
	}
	r.logger().Infof("%x [commit %d] ignored snapshot %d/%d", r.id, r.raftLog.committed, sTerm, sIndex)
	r.send(pb.Message{To: m.From, Type: pb.MsgAppResp, Index: r.raftLog.committed})
}

// restore replaces the log and configuration with a snapshot's. It reports
// false when the snapshot is stale or unusable.
func (r *raft) restore(s pb.Snapshot) bool {
	if s.Metadata.Index <= r.raftLog.committed {
		return false
	}
	if r.state != StateFollower {
		// Only a leader's message reaches here, and it made us a follower.
		r.logger().Warningf("%x ignores a snapshot received as %s", r.id, r.state)
		return false
	}
	if r.raftLog.applying > r.raftLog.applied {
		// Committed entries are out with the application for applying. If
		// one of them changes the configuration, applying it after the
		// snapshot's configuration was installed would move the
		// configuration backwards. Refuse for now: our answer (the commit
		// index) leaves the leader to resend the snapshot later, when the
		// application has caught up.
		r.logger().Infof("%x postpones snapshot %d/%d: entries (%d, %d] are still being applied",
			r.id, s.Metadata.Term, s.Metadata.Index, r.raftLog.applied, r.raftLog.applying)
		return false
	}
	// A snapshot's configuration may predate this node's addition: a node
	// joining with empty storage is sent the leader's latest snapshot,
	// usually older than the change that added it. A node that is not yet
	// a member installs it (it cannot campaign either way, and the log
	// after the snapshot brings the change that adds it). A member refuses
	// a snapshot without itself: it can only be misrouted.
	cs := s.Metadata.ConfState
	if !containsID(cs.Voters, r.id) && !containsID(cs.Learners, r.id) &&
		!containsID(cs.VotersOutgoing, r.id) && !containsID(cs.LearnersNext, r.id) {
		if r.progress(r.id) != nil {
			r.logger().Warningf("%x ignores a snapshot whose configuration %s does not contain it", r.id, DescribeConfState(cs))
			return false
		}
		r.logger().Infof("%x installs a snapshot whose configuration %s does not contain it yet", r.id, DescribeConfState(cs))
	}
	id := entryID{term: s.Metadata.Term, index: s.Metadata.Index}
	if r.raftLog.matchTerm(id) {
		// We already hold the entry the snapshot ends with, so we hold all
		// before it: just commit.
		r.logger().Infof("%x [commit %d] fast-forwarded commit to snapshot %s", r.id, r.raftLog.committed, id)
		r.raftLog.commitTo(s.Metadata.Index)
		return false
	}
	cfg, prs, err := confchange.Restore(confchange.Changer{
		Tracker:   r.emptyTracker(),
		LastIndex: s.Metadata.Index,
	}, cs)
	if err != nil {
		r.logger().Errorf("%x ignores a snapshot with an invalid configuration %s: %v", r.id, DescribeConfState(cs), err)
		return false
	}
	r.raftLog.restore(s)
	r.switchToConfig(cfg, prs)
	return true
}

func containsID(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// handleAppendResponse is the leader side of AppendEntries.
func (r *raft) handleAppendResponse(m pb.Message, pr *tracker.Progress) {
	if m.Index > r.raftLog.lastIndex() {
		// No follower can hold or reject what this leader never had.
		r.logger().Errorf("%x drops MsgAppResp from %x for index %d beyond its last index %d",
			r.id, m.From, m.Index, r.raftLog.lastIndex())
		return
	}
	pr.RecentActive = true
	if m.Reject {
		r.handleAppendRejection(m, pr)
		return
	}
	// A probe answered without new entries (the peer was already caught
	// up) leaves Match unchanged but still ends the probe.
	if !pr.MaybeUpdate(m.Index) && !(pr.State == tracker.StateProbe && pr.Match == m.Index) {
		return
	}
	switch {
	case pr.State == tracker.StateProbe:
		pr.BecomeReplicate()
	case pr.State == tracker.StateSnapshot && pr.Match+1 >= r.raftLog.firstIndex():
		// The peer caught up past the snapshot (or from the log, which
		// grew back). Replicate from its match.
		r.logger().Debugf("%x recovered from needing snapshot, resumed sending replication messages to %x [%s]", r.id, m.From, pr)
		pr.BecomeProbe()
		pr.BecomeReplicate()
	case pr.State == tracker.StateReplicate:
		pr.Inflights.FreeLE(m.Index)
	}
	if r.maybeCommit() {
		// Everyone may learn the new commit index.
		r.onCommit()
		r.bcastAppend()
	}
	if m.From != r.id {
		// The ack may have freed window slots (or ended a probe): fill
		// them with the backlog now rather than one batch per round trip.
		r.sendAppendsUntilPaused(m.From)
	}
	if r.stepDownPending && pr.Match == r.raftLog.lastIndex() && r.maybeHandOverOnRemoval() {
		return
	}
	if m.From == r.leadTransferee && pr.Match == r.raftLog.lastIndex() {
		r.logger().Infof("%x sent MsgTimeoutNow to %x after it caught up", r.id, m.From)
		r.sendTimeoutNow(m.From)
	}
}

// handleAppendRejection backs off a peer's Next after a rejected append,
// using the peer's hint to skip whole terms (thesis §5.3).
func (r *raft) handleAppendRejection(m pb.Message, pr *tracker.Progress) {
	r.logger().Debugf("%x received MsgAppResp(rejected, hint: (index %d, term %d)) from %x for index %d",
		r.id, m.RejectHint, m.LogTerm, m.From, m.Index)
	next := m.RejectHint
	if m.LogTerm > 0 {
		// The follower's entry at RejectHint has term LogTerm. Our log can
		// match it only at an entry of term <= LogTerm; find the last one.
		next, _ = r.raftLog.findConflictByTerm(m.RejectHint, m.LogTerm)
	}
	if !pr.MaybeDecrTo(m.Index, next) {
		return // stale rejection
	}
	// What we sent may not have arrived in a usable form; start over.
	pr.SentCommit = min(pr.SentCommit, pr.Match)
	r.logger().Debugf("%x decreased progress of %x to [%s]", r.id, m.From, pr)
	if pr.State == tracker.StateReplicate {
		pr.BecomeProbe()
	}
	r.maybeSendAppend(m.From, true)
}

// handleHeartbeatResponse notes a live peer, feeds the read rounds, and
// resumes replication to a peer that is behind.
func (r *raft) handleHeartbeatResponse(m pb.Message, pr *tracker.Progress) {
	pr.RecentActive = true
	if pr.State == tracker.StateProbe {
		// The peer is alive: the next probe may go.
		pr.MsgAppFlowPaused = false
	}
	if m.Reject && m.RejectHint < pr.Match {
		// The peer lost entries it had acknowledged. Its vote and commit
		// guarantees are gone with them; all we can do is resend.
		r.logger().Warningf("%x peer %x lost its log beyond %d (had match %d); replicating again", r.id, m.From, m.RejectHint, pr.Match)
		pr.Match = m.RejectHint
		pr.BecomeProbe()
	}
	if pr.Match < r.raftLog.lastIndex() || pr.State == tracker.StateProbe {
		// Also in StateReplicate: an append lost on the way is never
		// acknowledged, and with no new proposals nothing else would
		// reveal the gap. The (possibly empty) append at Next is rejected
		// by a follower that misses entries, which starts a probe. If the
		// window is full, lost appends may be what fills it: make room for
		// that one append (paper §5.3: the leader retries indefinitely).
		if pr.State == tracker.StateReplicate && pr.Inflights.Full() {
			pr.Inflights.FreeFirstOne()
		}
		r.maybeSendAppend(m.From, true)
	}
	if len(m.Context) > 0 {
		r.handleRoundAck(m)
	}
}

// handleSnapStatus learns whether a snapshot reached the peer.
func (r *raft) handleSnapStatus(m pb.Message, pr *tracker.Progress) {
	if pr.State != tracker.StateSnapshot {
		return
	}
	if m.Reject {
		// Nothing arrived; the next probe starts from the match.
		pr.PendingSnapshot = 0
		pr.BecomeProbe()
		r.logger().Debugf("%x snapshot to %x failed; probing [%s]", r.id, m.From, pr)
	} else {
		pr.BecomeProbe()
		r.logger().Debugf("%x snapshot to %x succeeded; probing [%s]", r.id, m.From, pr)
	}
	// Wait for the peer's answer (or a heartbeat) before probing, so the
	// snapshot is not sent again while the peer is still installing it.
	pr.MsgAppFlowPaused = true
}

// handleCheckQuorum steps down a leader that has not heard from a quorum
// within an election timeout (thesis §6.2), then starts a new window.
func (r *raft) handleCheckQuorum() {
	if !r.quorumActive() {
		r.logger().Warningf("%x stepped down to follower since quorum is not active", r.id)
		r.becomeFollower(r.Term, None)
	}
	for i := range r.peers {
		p := &r.peers[i]
		if p.id != r.id {
			p.pr.RecentActive = false
		}
	}
}

// onCommit runs when the leader's commit index advances.
func (r *raft) onCommit() {
	r.releasePendingReadIndex()
}

// handleTransferLeader starts a leadership transfer (thesis §3.10).
func (r *raft) handleTransferLeader(m pb.Message, pr *tracker.Progress) {
	transferee := m.From
	if pr.IsLearner {
		r.logger().Infof("%x ignores transferring leadership to %x: a learner cannot lead", r.id, transferee)
		return
	}
	if r.leadTransferee != None {
		if r.leadTransferee == transferee {
			r.logger().Infof("%x is already transferring leadership to %x", r.id, transferee)
			return
		}
		r.abortLeaderTransfer()
	}
	if transferee == r.id {
		r.logger().Debugf("%x is already leader; nothing to transfer", r.id)
		return
	}
	r.logger().Infof("%x [term %d] starts transferring leadership to %x", r.id, r.Term, transferee)
	// The transfer must finish within one election timeout.
	r.electionElapsed = 0
	r.leadTransferee = transferee
	if pr.Match == r.raftLog.lastIndex() {
		r.logger().Infof("%x sends MsgTimeoutNow to %x at once: its log is up to date", r.id, transferee)
		r.sendTimeoutNow(transferee)
	} else {
		pr.MsgAppFlowPaused = false
		r.maybeSendAppend(transferee, true)
	}
}

// sendTimeoutNow tells a caught-up voter to campaign at once. Its campaign
// overrides the other voters' refusal to vote while they hear from us, so
// from here on this leader's lease proves nothing: it serves no more lease
// reads in this term, even if the transfer is abandoned (the message
// cannot be recalled).
func (r *raft) sendTimeoutNow(to uint64) {
	r.timeoutNowSent = true
	r.send(pb.Message{To: to, Type: pb.MsgTimeoutNow})
}

func (r *raft) abortLeaderTransfer() {
	if r.leadTransferee != None {
		r.logger().Infof("%x abandons transferring leadership to %x", r.id, r.leadTransferee)
	}
	r.leadTransferee = None
}
