package raft

import (
	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
)

// The leader lease (thesis §6.4.1), for ReadOnlyLeaseBased.
//
// A follower that receives a heartbeat resets its election clock and, with
// CheckQuorum, refuses to vote for anyone else for ElectionTick ticks (leader
// stickiness). So if a quorum received heartbeats that the leader sent at
// tick T, no other leader can be elected before T + ElectionTick: any
// election needs a vote from that quorum. The leader may answer reads
// locally until then, minus a safety margin.
//
// The window starts when the acknowledged heartbeat was sent, not when its
// response arrived: a response can be delayed arbitrarily, but a follower
// cannot have received the heartbeat before it was sent.
//
// Timeline of the hazard this avoids (3 nodes, ElectionTick 10):
//
//  1. tick 0: leader L sends heartbeat h0; A and B answer at once.
//  2. tick 1: L is cut off from A and B.
//  3. tick 11: A's election clock expires; A campaigns, B votes: A leads.
//  4. A serves writes; L must no longer answer reads from its lease.
//
// L's lease ends at 0 + 10 - margin, before step 3. A check of quorum
// activity once per election timeout (the original library's approach) would
// have let L serve stale reads until tick 20.
//
// Besides the margin for clock drift, two ticks absorb the discretization of
// ticks on both sides: the follower's first tick may come right after it
// receives the heartbeat, and the leader's tick counter lags real time by up
// to one tick.
//
// The lease is given up the moment a leadership transfer starts, and for
// the rest of the term once MsgTimeoutNow was sent: the transferee
// campaigns without waiting for anyone's election clock, even if the
// transfer was abandoned meanwhile. For the same reason a follower in the
// lease of a leader does not campaign on its own (RawNode.Campaign): its
// vote for itself is a vote the leader's lease counts on.
type lease struct {
	// sent maps recent heartbeat rounds to the tick they were sent at.
	// Invariant: ascending seq and tick.
	sent []sentRound
	// acked maps each peer to one plus the send tick of the newest
	// heartbeat it answered (zero would be indistinguishable from "never").
	acked map[uint64]uint64
}

type sentRound struct{ seq, tick uint64 }

// leaseMargin is the drift allowance: clocks may run up to 10% apart over an
// election timeout, plus the two ticks of discretization.
func leaseMargin(electionTimeout int) uint64 {
	return 2 + uint64((electionTimeout+9)/10)
}

// recordSent notes that heartbeat round seq left at tick now, forgetting
// rounds too old to extend any lease.
func (l *lease) recordSent(seq, now uint64, electionTimeout int) {
	n := 0
	for n < len(l.sent) && l.sent[n].tick+uint64(electionTimeout) < now {
		n++
	}
	if n > 0 {
		l.sent = append(l.sent[:0], l.sent[n:]...)
	}
	l.sent = append(l.sent, sentRound{seq: seq, tick: now})
}

// recvAck notes that peer id answered heartbeat round seq.
func (l *lease) recvAck(id, seq uint64) {
	for i := len(l.sent) - 1; i >= 0; i-- {
		if l.sent[i].seq == seq {
			if l.acked == nil {
				l.acked = map[uint64]uint64{}
			}
			if t := l.sent[i].tick + 1; t > l.acked[id] {
				l.acked[id] = t
			}
			return
		}
		if l.sent[i].seq < seq {
			return
		}
	}
}

func (l *lease) reset() {
	l.sent = l.sent[:0]
	clear(l.acked)
}

// leaseAcks presents the send ticks of acknowledged heartbeats to the quorum
// computation; the leader acknowledges itself now.
type leaseAcks struct {
	l    *lease
	self uint64
	now  uint64
}

// AckedIndex implements quorum.AckedIndexer.
func (a leaseAcks) AckedIndex(id uint64) (quorum.Index, bool) {
	if id == a.self {
		return quorum.Index(a.now + 1), true
	}
	t, ok := a.l.acked[id]
	return quorum.Index(t), ok
}

// leaseValid reports whether this leader may answer a read from its lease.
func (r *raft) leaseValid() bool {
	if !r.opts.leaseReads || r.state != StateLeader ||
		r.leadTransferee != None || r.timeoutNowSent {
		return false
	}
	acked := uint64(r.quorumAcked(leaseAcks{l: &r.rs().lease, self: r.id, now: r.ticks}))
	if acked == 0 {
		return false // no quorum has acknowledged any heartbeat yet
	}
	end := acked - 1 + uint64(r.electionTimeout)
	return r.ticks+leaseMargin(r.electionTimeout) <= end
}

// newHeartbeatRound returns the context of a fresh heartbeat round: every
// lease heartbeat gets its own sequence number (shared with read rounds) so
// that its answers can be traced to its send time.
func (r *raft) newHeartbeatRound() []byte {
	rs := r.rs()
	seq := rs.readOnly.nextRound()
	rs.lease.recordSent(seq, r.ticks, r.electionTimeout)
	return encodeReadSeq(seq)
}

// handleRoundAck processes the round echoed by a heartbeat response.
func (r *raft) handleRoundAck(m pb.Message) {
	seq, ok := decodeReadSeq(m.Context)
	if !ok {
		return
	}
	rs := r.rs()
	if r.opts.leaseReads {
		rs.lease.recvAck(m.From, seq)
	}
	rs.readOnly.recvAck(m.From, seq)
	r.releaseConfirmedReads()
}
