package raft

import (
	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
)

// ReadState answers a ReadIndex request: once the application has applied
// the log up to Index, a read of its state machine reflects every write
// that completed before the request was made (thesis §6.4). RequestCtx is
// the context the request was made with.
type ReadState struct {
	Index      uint64
	RequestCtx []byte
}

// readRequest is one ReadIndex request waiting for its heartbeat round.
type readRequest struct {
	// seq identifies the request's round. Every request gets its own, so
	// two requests with equal context bytes are never confused: an ack
	// confirms exactly the rounds that began before the heartbeat it
	// answers was sent.
	seq uint64
	// index is the commit index when the request arrived: the read index.
	index uint64
	req   pb.Message
}

// readOnly tracks the ReadIndex requests of a leader using ReadOnlySafe.
//
// Each request opens a round with a fresh sequence number, and the leader
// broadcasts a heartbeat carrying it. A peer that answers a heartbeat of
// round s confirms that this node was still its leader after every request
// of round <= s arrived; once a quorum of voters has confirmed a round, its
// requests (and all earlier ones) are answered with their read index.
type readOnly struct {
	// lastSeq is the newest round number. Invariant: never decreases, not
	// even across terms, so a sequence number is never reused.
	lastSeq uint64
	// queue holds the unanswered requests. Invariant: ascending seq.
	queue []readRequest
	// acks maps each peer to the newest round it confirmed.
	acks map[uint64]uint64
}

// nextRound opens a round without a request (a lease heartbeat) and
// returns its sequence number.
func (ro *readOnly) nextRound() uint64 {
	ro.lastSeq++
	return ro.lastSeq
}

// add opens a round for a request and returns its sequence number.
func (ro *readOnly) add(index uint64, req pb.Message) uint64 {
	ro.lastSeq++
	ro.queue = append(ro.queue, readRequest{seq: ro.lastSeq, index: index, req: req})
	return ro.lastSeq
}

// lastRoundCtx is the heartbeat context of the newest unanswered round, or
// nil when no request waits.
func (ro *readOnly) lastRoundCtx() []byte {
	if len(ro.queue) == 0 {
		return nil
	}
	return encodeReadSeq(ro.queue[len(ro.queue)-1].seq)
}

// recvAck records that peer id confirmed round seq.
func (ro *readOnly) recvAck(id, seq uint64) {
	if seq > ro.lastSeq {
		return // not a round of ours
	}
	if ro.acks == nil {
		ro.acks = map[uint64]uint64{}
	}
	if seq > ro.acks[id] {
		ro.acks[id] = seq
	}
}

// release removes and returns the requests of rounds up to confirmed.
func (ro *readOnly) release(confirmed uint64) []readRequest {
	n := 0
	for n < len(ro.queue) && ro.queue[n].seq <= confirmed {
		n++
	}
	if n == 0 {
		return nil
	}
	done := ro.queue[:n:n]
	ro.queue = ro.queue[n:]
	if len(ro.queue) == 0 {
		ro.queue = nil
		clear(ro.acks)
	}
	return done
}

// reset drops every request; their readers will time out and retry.
func (ro *readOnly) reset() {
	ro.queue = nil
	clear(ro.acks)
}

// readAcks presents the confirmed rounds to the quorum computation, the
// leader confirming the newest round itself.
type readAcks struct {
	ro   *readOnly
	self uint64
}

// AckedIndex implements quorum.AckedIndexer.
func (a readAcks) AckedIndex(id uint64) (quorum.Index, bool) {
	if id == a.self {
		return quorum.Index(a.ro.lastSeq), true
	}
	seq, ok := a.ro.acks[id]
	return quorum.Index(seq), ok
}

// handleReadIndex serves a ReadIndex request at the leader (thesis §6.4).
func (r *raft) handleReadIndex(m pb.Message) {
	if len(m.Entries) != 1 {
		r.logger().Errorf("%x drops MsgReadIndex from %x with %d entries (want 1)", r.id, m.From, len(m.Entries))
		return
	}
	if r.isSingleton() {
		// No one else could have been elected: the commit index is safe.
		r.respondRead(m, r.raftLog.committed)
		return
	}
	if !r.committedEntryInCurrentTerm() {
		// Until an entry of its term commits, a new leader does not know
		// the true commit index (step 1 of §6.4); hold the request.
		rs := r.rs()
		rs.pendingReadIndex = append(rs.pendingReadIndex, m)
		return
	}
	r.startRead(m)
}

// startRead answers a request from the lease if it holds, and otherwise
// confirms leadership with a heartbeat round first: outside its lease a
// leader falls back to the safe method rather than dropping the read.
func (r *raft) startRead(m pb.Message) {
	if r.leaseValid() {
		r.respondRead(m, r.raftLog.committed)
		return
	}
	rs := r.rs()
	seq := rs.readOnly.add(r.raftLog.committed, m)
	if r.opts.leaseReads {
		rs.lease.recordSent(seq, r.ticks, r.electionTimeout)
	}
	r.bcastHeartbeatWithCtx(encodeReadSeq(seq))
}

// releaseConfirmedReads answers every request whose round a quorum has
// confirmed.
func (r *raft) releaseConfirmedReads() {
	ro := &r.rs().readOnly
	confirmed := uint64(r.quorumAcked(readAcks{ro: ro, self: r.id}))
	for _, rr := range ro.release(confirmed) {
		r.respondRead(rr.req, rr.index)
	}
}

// releasePendingReadIndex starts the requests held until the leader
// committed an entry of its term.
func (r *raft) releasePendingReadIndex() {
	if r.reads == nil || len(r.reads.pendingReadIndex) == 0 || !r.committedEntryInCurrentTerm() {
		return
	}
	pending := r.reads.pendingReadIndex
	r.reads.pendingReadIndex = nil
	for _, m := range pending {
		r.startRead(m)
	}
}

// respondRead answers a read request, locally or to the follower that
// forwarded it.
func (r *raft) respondRead(req pb.Message, index uint64) {
	if req.From == None || req.From == r.id {
		rs := r.rs()
		rs.readStates = append(rs.readStates, ReadState{Index: index, RequestCtx: req.Entries[0].Data})
		return
	}
	r.send(pb.Message{To: req.From, Type: pb.MsgReadIndexResp, Index: index, Entries: req.Entries})
}

func (r *raft) committedEntryInCurrentTerm() bool {
	t, err := r.raftLog.term(r.raftLog.committed)
	return err == nil && t == r.Term
}
