package raft

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"math/rand/v2"
	"sync/atomic"

	"github.com/raftcore/raft/confchange"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// StateType is a node's role.
type StateType uint64

// The roles of a raft node.
const (
	StateFollower StateType = iota
	StateCandidate
	StateLeader
	StatePreCandidate
	numStates
)

var stateNames = [numStates]string{"StateFollower", "StateCandidate", "StateLeader", "StatePreCandidate"}

// String returns the role's name.
func (st StateType) String() string {
	if st < numStates {
		return stateNames[st]
	}
	return fmt.Sprintf("StateType(%d)", uint64(st))
}

// MarshalJSON encodes the role as its name.
func (st StateType) MarshalJSON() ([]byte, error) {
	return []byte(`"` + st.String() + `"`), nil
}

// campaignType says why a node campaigns. It travels in MsgVote.Context so
// that voters can tell a leadership transfer from a disruptive election.
type campaignType string

const (
	campaignPreElection campaignType = "CampaignPreElection"
	campaignElection    campaignType = "CampaignElection"
	campaignTransfer    campaignType = "CampaignTransfer"
)

// seedCounter makes the default seeds of nodes in one process distinct.
var seedCounter atomic.Uint64

// raft is the protocol state machine of one node. It is not safe for
// concurrent use; RawNode and Node serialise access to it.
//
// Term, Vote, lead and the log's commit index change only through the
// guarded setters below, which assert that they never regress.
type raft struct {
	id uint64

	// Term is the current term. Invariant: never decreases.
	Term uint64
	// Vote is the node voted for in Term, or None. Invariant: set at most
	// once per term.
	Vote uint64

	raftLog *raftLog
	// peers are the members of the configuration in ascending ID order,
	// with their progress (see peers.go). Replaced as a whole when the
	// configuration changes (setConfig).
	peers []peer

	state StateType
	// lead is the leader of Term as far as this node knows, or None.
	lead uint64
	// leadTransferee is the target of an ongoing leadership transfer, or
	// None.
	leadTransferee uint64

	// msgs are messages to send now. msgsAfterAppend are messages that
	// must wait until the entries and hard state accepted so far are
	// durable: acknowledgements of appended entries and votes.
	msgs            []pb.Message
	msgsAfterAppend []pb.Message
	// msgsCarrier is the empty carrier of the recycled array in msgs, kept
	// to take an array back to the pool on Advance (RecycleMessages).
	msgsCarrier *msgArray

	// reads holds the state of ReadIndex and of the leader lease; nil
	// until the node first needs it (see rs).
	reads *readsState
	// ticks counts every tick since the node started: the clock of the
	// leader lease.
	ticks uint64
	// bootstrapIndex is the last entry Bootstrap wrote; their configuration
	// changes are in force from the start.
	bootstrapIndex uint64
	// snapToApply is a durable snapshot not yet handed to the apply thread
	// (async storage writes only).
	snapToApply *pb.Snapshot

	// pendingConfIndex is the log index of the latest configuration change
	// the leader appended; a new one is refused until it is applied.
	pendingConfIndex uint64
	// uncommittedSize is the payload bytes of uncommitted entries the
	// leader appended (for MaxUncommittedEntriesSize).
	uncommittedSize uint64

	// Ticks elapsed since the last election timeout reset, and since the
	// last heartbeat (leader only).
	electionElapsed  int
	heartbeatElapsed int

	randomizedElectionTimeout int

	// pcg is the source of the randomized election timeouts (randIntN).
	pcg rand.PCG

	// limits are the settings from Config, shared with the nodes that
	// have the same (see limits.go).
	*limits

	// The booleans come last, packed into one word: every group pays for
	// this struct.

	// joint reports a joint configuration (some peer is in the outgoing
	// half); autoLeave is its AutoLeave.
	joint, autoLeave bool
	isLearner        bool
	// startupLease makes a node that just started behave as if it had
	// heard from a leader, refusing votes for an election timeout. Before a
	// restart it may have acknowledged a leader's heartbeat that extended
	// that leader's lease; voting at once could elect a second leader while
	// the first still serves lease reads. Only with ReadOnlyLeaseBased.
	startupLease bool
	// timeoutNowSent records that this leader sent MsgTimeoutNow in this
	// term: its lease is void from then on.
	timeoutNowSent bool
	// stepDownPending: this leader applied its own removal and waits for a
	// voter to catch up before handing over (StepDownOnRemoval).
	stepDownPending bool
	// campaignAfterApply defers a MsgTimeoutNow of this term until the
	// committed configuration changes are applied.
	campaignAfterApply bool
}

// nodeMem is the one allocation behind a RawNode: the RawNode, its raft
// and its log side by side. An idle group of a multi-raft host is then one
// object instead of three, which is what each of its ticks touches (cache
// misses) and what the garbage collector walks.
type nodeMem struct {
	rn   RawNode
	raft raft
	log  raftLog
}

// newRaft builds a node from a Config and the contents of its Storage.
func newRaft(cfg *Config) (*raft, error) {
	m := new(nodeMem)
	if err := m.raft.init(cfg, &m.log); err != nil {
		return nil, err
	}
	return &m.raft, nil
}

// init is newRaft in place, with raftLog the memory for the node's log.
func (r *raft) init(cfg *Config, raftLog *raftLog) error {
	c := *cfg
	if err := c.validate(); err != nil {
		return err
	}
	maxApplying := c.MaxCommittedSizePerReady
	if maxApplying == 0 {
		maxApplying = noLimit
	}
	if err := raftLog.init(c.Storage, c.Logger, maxApplying); err != nil {
		return err
	}
	hs, cs, err := c.Storage.InitialState()
	if err != nil {
		return fmt.Errorf("raft: Storage.InitialState: %w", err)
	}
	seed := c.Seed
	if seed == 0 {
		seed = c.ID*0x9e3779b97f4a7c15 ^ seedCounter.Add(1)
	}
	maxUncommitted := c.MaxUncommittedEntriesSize
	if maxUncommitted == 0 {
		maxUncommitted = noLimit
	}
	*r = raft{
		id:      c.ID,
		lead:    None,
		raftLog: raftLog,
		limits: internLimits(limits{
			opts: options{
				checkQuorum:                 c.CheckQuorum,
				preVote:                     c.PreVote,
				leaseReads:                  c.ReadOnlyOption == ReadOnlyLeaseBased,
				disableProposalForwarding:   c.DisableProposalForwarding,
				disableConfChangeValidation: c.DisableConfChangeValidation,
				stepDownOnRemoval:           c.StepDownOnRemoval,
				recycleMessages:             c.RecycleMessages && !c.AsyncStorageWrites,
			},
			maxMsgSize:         c.MaxSizePerMsg,
			maxUncommittedSize: maxUncommitted,
			maxInflight:        c.MaxInflightMsgs,
			maxInflightBytes:   c.MaxInflightBytes,
			electionTimeout:    c.ElectionTick,
			heartbeatTimeout:   c.HeartbeatTick,
		}),
	}
	r.pcg.Seed(seed, c.ID)
	cfgs, prs, err := confchange.Restore(confchange.Changer{Tracker: r.emptyTracker(), LastIndex: raftLog.lastIndex()}, cs)
	if err != nil {
		return fmt.Errorf("raft: the ConfState in Storage is invalid: %w", err)
	}
	if got := r.switchToConfig(cfgs, prs); got.Equivalent(cs) != nil {
		return fmt.Errorf("raft: restoring ConfState %s gave %s", DescribeConfState(cs), DescribeConfState(got))
	}
	if !IsEmptyHardState(hs) {
		if err := r.loadState(hs); err != nil {
			return err
		}
	}
	if c.Applied > 0 {
		if c.Applied > r.raftLog.committed {
			return fmt.Errorf("raft: Config.Applied %d is beyond the persisted commit index %d", c.Applied, r.raftLog.committed)
		}
		if c.Applied > r.raftLog.applied {
			r.raftLog.appliedTo(c.Applied, 0)
		}
	}
	r.becomeFollower(r.Term, None)
	// A node that never left term 0 never acknowledged a leader.
	r.startupLease = c.CheckQuorum && c.ReadOnlyOption == ReadOnlyLeaseBased && r.Term > 0
	r.logger().Infof("%x starting at term %d: commit=%d applied=%d last=%s config %s",
		r.id, r.Term, r.raftLog.committed, r.raftLog.applied, r.raftLog.lastEntryID(), r.cfgString())
	return nil
}

// loadState installs a persisted HardState, refusing one that contradicts
// the log.
func (r *raft) loadState(hs pb.HardState) error {
	if hs.Commit < r.raftLog.committed || hs.Commit > r.raftLog.lastIndex() {
		return fmt.Errorf("raft: persisted HardState commit %d is outside the log [%d, %d]",
			hs.Commit, r.raftLog.committed, r.raftLog.lastIndex())
	}
	r.raftLog.commitTo(hs.Commit)
	r.Term = hs.Term
	r.Vote = hs.Vote
	return nil
}

func (r *raft) hardState() pb.HardState {
	return pb.HardState{Term: r.Term, Vote: r.Vote, Commit: r.raftLog.committed}
}

func (r *raft) softState() SoftState { return SoftState{Lead: r.lead, RaftState: r.state} }

// setTerm moves to a new term, forgetting the vote of the old one.
//
// Panics if term is lower than the current term: terms never go back.
func (r *raft) setTerm(term uint64) {
	if term < r.Term {
		panic(fmt.Sprintf("raft %x: term would regress from %d to %d", r.id, r.Term, term))
	}
	if term != r.Term {
		r.Term = term
		r.Vote = None
		// Moving on means the lease check for this term already passed.
		r.startupLease = false
	}
}

// setVote records the vote of this term.
//
// Panics if a different vote was already cast in this term: a node votes
// at most once per term (Raft paper §5.2).
func (r *raft) setVote(id uint64) {
	if r.Vote != None && r.Vote != id {
		panic(fmt.Sprintf("raft %x: second vote in term %d: for %x after %x", r.id, r.Term, id, r.Vote))
	}
	r.Vote = id
}

// setLead records the leader of this term.
//
// Panics if this node already knows another leader of this term: it only
// sets its own leadership or a leader of a term it just entered.
func (r *raft) setLead(id uint64) {
	if id != None && r.lead != None && r.lead != id {
		panic(fmt.Sprintf("raft %x: two leaders in term %d: %x and %x", r.id, r.Term, r.lead, id))
	}
	r.lead = id
}

// acceptLeader takes a message from the leader of our term: it resets the
// election timer and remembers the leader. A message that claims another
// leader for a term whose leader we know breaks Election Safety; it can only
// come from a faulty peer, so it is logged and dropped.
func (r *raft) acceptLeader(m pb.Message) bool {
	if r.lead != None && r.lead != m.From {
		r.logger().Errorf("%x [term %d] drops %s from %x: %x is the leader of this term",
			r.id, r.Term, m.Type, m.From, r.lead)
		return false
	}
	r.electionElapsed = 0
	r.lead = m.From
	return true
}

// send queues a message for the network, stamping From and Term.
func (r *raft) send(m pb.Message) {
	if m.From == None {
		m.From = r.id
	}
	switch m.Type {
	case pb.MsgVote, pb.MsgVoteResp, pb.MsgPreVote, pb.MsgPreVoteResp:
		// The term of a vote request is the term campaigned for; a
		// response carries the request's term when granted. Callers set it.
		if m.Term == 0 {
			panic(fmt.Sprintf("raft %x: %s without a term", r.id, m.Type))
		}
	default:
		if m.Term != 0 {
			panic(fmt.Sprintf("raft %x: %s with a preset term %d", r.id, m.Type, m.Term))
		}
		// Proposals and forwarded reads are local to the term of no one.
		if m.Type != pb.MsgProp && m.Type != pb.MsgReadIndex {
			m.Term = r.Term
		}
	}
	switch m.Type {
	case pb.MsgAppResp, pb.MsgVoteResp, pb.MsgPreVoteResp:
		// These acknowledge entries or a vote that must be durable first.
		r.msgsAfterAppend = append(r.msgsAfterAppend, m)
	default:
		if m.To == r.id {
			panic(fmt.Sprintf("raft %x: %s addressed to itself", r.id, m.Type))
		}
		if r.msgs == nil {
			// Broadcasts are the common case: one allocation for all
			// peers instead of a growing series.
			r.msgs = r.newMsgs(max(len(r.peers)-1, 1))
		}
		r.msgs = append(r.msgs, m)
	}
}

// reset prepares the node for a new role in term.
func (r *raft) reset(term uint64) {
	r.setTerm(term)
	r.lead = None
	r.electionElapsed = 0
	r.heartbeatElapsed = 0
	r.resetRandomizedElectionTimeout()
	r.leadTransferee = None
	r.resetVotes()
	last := r.raftLog.lastIndex()
	for i := range r.peers {
		p := &r.peers[i]
		// No window: maybeSendAppend makes one when it pipelines.
		p.pr = tracker.Progress{
			Next:      last + 1,
			IsLearner: p.pr.IsLearner,
		}
		if p.id == r.id {
			p.pr.Match = last
		}
	}
	r.pendingConfIndex = 0
	r.campaignAfterApply = false
	r.timeoutNowSent = false
	r.stepDownPending = false
	r.uncommittedSize = 0
	if rs := r.reads; rs != nil {
		rs.readOnly.reset()
		rs.lease.reset()
		rs.pendingReadIndex = nil
	}
}

// logger returns the node's logger, which it shares with its log.
func (r *raft) logger() Logger {
	return r.raftLog.logger()
}

func (r *raft) resetRandomizedElectionTimeout() {
	r.randomizedElectionTimeout = r.electionTimeout + r.randIntN(r.electionTimeout)
}

// randIntN returns a uniformly distributed integer in [0, n), n > 0, drawn
// from the node's PCG. It makes the same draws as math/rand/v2's
// Rand.IntN over that PCG on 64-bit platforms (a power of two masks the
// low bits; otherwise Lemire's multiply-and-reject), on every platform,
// and saves the node a rand.Rand.
func (r *raft) randIntN(n int) int {
	m := uint64(n)
	if m&(m-1) == 0 {
		return int(r.pcg.Uint64() & (m - 1))
	}
	hi, lo := bits.Mul64(r.pcg.Uint64(), m)
	if lo < m {
		// Reject the products whose low half falls in the 2⁶⁴ mod m
		// values that would favour some results.
		thresh := -m % m
		for lo < thresh {
			hi, lo = bits.Mul64(r.pcg.Uint64(), m)
		}
	}
	return int(hi)
}

func (r *raft) becomeFollower(term, lead uint64) {
	r.reset(term)
	r.setLead(lead)
	r.state = StateFollower
	r.logger().Infof("%x became follower at term %d", r.id, r.Term)
}

func (r *raft) becomeCandidate() {
	if r.state == StateLeader {
		panic(fmt.Sprintf("raft %x: leader cannot become candidate", r.id))
	}
	r.reset(r.Term + 1)
	r.setVote(r.id)
	r.state = StateCandidate
	r.logger().Infof("%x became candidate at term %d", r.id, r.Term)
}

// becomePreCandidate starts a pre-election. Term and vote are unchanged: a
// pre-candidate asks for votes in Term+1 without claiming it (thesis §9.6).
func (r *raft) becomePreCandidate() {
	if r.state == StateLeader {
		panic(fmt.Sprintf("raft %x: leader cannot become pre-candidate", r.id))
	}
	r.resetVotes()
	r.lead = None
	r.state = StatePreCandidate
	r.logger().Infof("%x became pre-candidate at term %d", r.id, r.Term)
}

func (r *raft) becomeLeader() {
	if r.state == StateFollower {
		panic(fmt.Sprintf("raft %x: follower cannot become leader without an election", r.id))
	}
	r.reset(r.Term)
	r.setLead(r.id)
	r.state = StateLeader
	// The leader's own progress is replicate: it always has its own log.
	pr := r.progress(r.id)
	pr.BecomeReplicate()
	pr.RecentActive = true
	// A configuration change not yet applied may sit anywhere in the tail
	// of the log; the next one must wait until it is applied.
	r.pendingConfIndex = r.lastConfChangeIndex(r.raftLog.applied+1, r.raftLog.lastIndex()+1)
	// A new leader commits an empty entry of its own term, which also
	// commits everything before it (Raft paper §5.4.2, thesis §6.4).
	if !r.appendEntry(pb.Entry{}) {
		panic(fmt.Sprintf("raft %x: the empty entry of a new leader was refused", r.id))
	}
	r.logger().Infof("%x became leader at term %d", r.id, r.Term)
}

// promotable reports whether this node may campaign: it is a voter of the
// current configuration.
func (r *raft) promotable() bool {
	pr := r.progress(r.id)
	return pr != nil && !pr.IsLearner && !r.raftLog.hasNextOrInProgressSnapshot()
}

// tickElection is the clock of followers and candidates.
func (r *raft) tickElection() {
	r.ticks++
	r.electionElapsed++
	if r.electionElapsed >= r.electionTimeout {
		r.startupLease = false
	}
	if r.promotable() && r.pastElectionTimeout() {
		r.electionElapsed = 0
		// Not heard from a leader for a whole timeout: there is none.
		r.lead = None
		if err := r.Step(pb.Message{From: r.id, Type: pb.MsgHup}); err != nil {
			r.logger().Debugf("%x error starting an election: %v", r.id, err)
		}
	}
}

// tickHeartbeat is the clock of leaders.
func (r *raft) tickHeartbeat() {
	r.ticks++
	r.heartbeatElapsed++
	r.electionElapsed++
	if r.electionElapsed >= r.electionTimeout {
		r.electionElapsed = 0
		if r.opts.checkQuorum {
			if err := r.Step(pb.Message{From: r.id, Type: pb.MsgCheckQuorum}); err != nil {
				r.logger().Debugf("%x error checking quorum: %v", r.id, err)
			}
		}
		if r.state == StateLeader {
			// A transfer that did not finish within an election timeout
			// is abandoned, so that proposals flow again.
			if r.leadTransferee != None {
				r.abortLeaderTransfer()
			}
			r.dropIdleWindows()
		}
	}
	if r.state != StateLeader {
		return
	}
	if r.heartbeatElapsed >= r.heartbeatTimeout {
		r.heartbeatElapsed = 0
		if err := r.Step(pb.Message{From: r.id, Type: pb.MsgBeat}); err != nil {
			r.logger().Debugf("%x error sending heartbeats: %v", r.id, err)
		}
	}
}

// pastElectionTimeout reports whether the randomized election timeout has
// elapsed.
func (r *raft) pastElectionTimeout() bool {
	return r.electionElapsed >= r.randomizedElectionTimeout
}

// inLease reports whether this follower heard from a leader within the
// election timeout, and so must ignore vote requests (thesis §4.2.3).
func (r *raft) inLease() bool {
	return r.opts.checkQuorum && (r.lead != None || r.startupLease) && r.electionElapsed < r.electionTimeout
}

var errUnknownMsgType = errors.New("raft: unknown message type")

// Step is the entry point of every message. It applies the term rules that
// hold in every role (Raft paper §5.1), answers the messages every role
// answers alike, and hands the rest to the role's step function.
func (r *raft) Step(m pb.Message) error {
	if m.Type < 0 || m.Type > pb.MsgForgetLeader { // the enum is contiguous
		return fmt.Errorf("%w %d from %x", errUnknownMsgType, int32(m.Type), m.From)
	}
	if ok, err := r.stepTerm(m); !ok {
		return err
	}
	if m.Type == pb.MsgVoteResp || m.Type == pb.MsgPreVoteResp {
		r.learnCommit(m)
	}
	switch m.Type {
	case pb.MsgHup:
		if r.opts.preVote {
			r.hup(campaignPreElection)
		} else {
			r.hup(campaignElection)
		}
	case pb.MsgVote, pb.MsgPreVote:
		r.handleVoteRequest(m)
	case pb.MsgStorageAppendResp:
		r.handleStorageAppendResp(m)
	case pb.MsgStorageApplyResp:
		r.handleStorageApplyResp(m)
	default:
		switch r.state {
		case StateLeader:
			return stepLeader(r, m)
		case StateFollower:
			return stepFollower(r, m)
		default:
			return stepCandidate(r, m)
		}
	}
	return nil
}

// tick advances the node's clock by one tick: leaders count towards
// heartbeats, everyone else towards an election. (A switch rather than a
// function field: a method value would cost an allocation per role
// change and a field per node.)
func (r *raft) tick() {
	if r.state == StateLeader {
		r.tickHeartbeat()
	} else {
		r.tickElection()
	}
}

// stepTerm compares the message's term with ours. It reports whether the
// message should be processed further.
func (r *raft) stepTerm(m pb.Message) (bool, error) {
	switch {
	case m.Term == 0 || m.Term == r.Term:
		// Local messages and proposals carry no term.
		return true, nil
	case m.Term > r.Term:
		if m.Type == pb.MsgVote || m.Type == pb.MsgPreVote {
			if r.inLease() && campaignType(m.Context) != campaignTransfer {
				// Leader stickiness: a node that hears from a live leader
				// does not help depose it (thesis §4.2.3).
				r.logger().Infof("%x [term %d, lead %x] ignores %s from %x at term %d: lease not expired (%d of %d ticks)",
					r.id, r.Term, r.lead, m.Type, m.From, m.Term, r.electionElapsed, r.electionTimeout)
				return false, nil
			}
		}
		switch {
		case m.Type == pb.MsgPreVote:
			// Answering a pre-vote never changes our term.
		case m.Type == pb.MsgPreVoteResp && !m.Reject:
			// A granted pre-vote carries the term we will campaign for;
			// we move to it only once we win the pre-election.
		default:
			r.logger().Infof("%x [term %d] received %s from %x at term %d; moving to it",
				r.id, r.Term, m.Type, m.From, m.Term)
			if m.Type == pb.MsgApp || m.Type == pb.MsgHeartbeat || m.Type == pb.MsgSnap {
				r.becomeFollower(m.Term, m.From)
			} else {
				r.becomeFollower(m.Term, None)
			}
		}
		return true, nil
	default: // m.Term < r.Term
		switch {
		case (r.opts.checkQuorum || r.opts.preVote) && (m.Type == pb.MsgHeartbeat || m.Type == pb.MsgApp):
			// A stale leader cut off from the cluster would otherwise never
			// learn of the new term: with CheckQuorum or PreVote we may
			// ignore its term bumps, so tell it (thesis §9.6).
			r.send(pb.Message{To: m.From, Type: pb.MsgAppResp})
		case m.Type == pb.MsgPreVote:
			// Reject with our term so the pre-candidate catches up.
			r.send(r.voteResp(m.From, r.Term, pb.MsgPreVoteResp, true))
		default:
			r.logger().Debugf("%x [term %d] ignores %s from %x at lower term %d", r.id, r.Term, m.Type, m.From, m.Term)
		}
		return false, nil
	}
}

// stepLeader handles the messages of a leader.
func stepLeader(r *raft, m pb.Message) error {
	switch m.Type {
	case pb.MsgBeat:
		r.bcastHeartbeat()
		return nil
	case pb.MsgCheckQuorum:
		r.handleCheckQuorum()
		return nil
	case pb.MsgProp:
		return r.handlePropose(m)
	case pb.MsgReadIndex:
		r.handleReadIndex(m)
		return nil
	case pb.MsgForgetLeader:
		return nil // a leader has nothing to forget
	}
	// The rest are answers from, or about, one peer.
	pr := r.progress(m.From)
	if pr == nil {
		r.logger().Debugf("%x ignores %s from %x: not in the configuration", r.id, m.Type, m.From)
		return nil
	}
	switch m.Type {
	case pb.MsgAppResp:
		r.handleAppendResponse(m, pr)
	case pb.MsgHeartbeatResp:
		r.handleHeartbeatResponse(m, pr)
	case pb.MsgSnapStatus:
		r.handleSnapStatus(m, pr)
	case pb.MsgUnreachable:
		// Optimistic pipelining to an unreachable peer is pointless; probe.
		if pr.State == tracker.StateReplicate {
			pr.BecomeProbe()
		}
		r.logger().Debugf("%x failed to send a message to %x: unreachable; %s", r.id, m.From, pr)
	case pb.MsgTransferLeader:
		r.handleTransferLeader(m, pr)
	}
	return nil
}

// stepCandidate handles the messages of candidates and pre-candidates.
func stepCandidate(r *raft, m pb.Message) error {
	switch m.Type {
	case pb.MsgProp:
		r.logger().Infof("%x no leader at term %d; dropping proposal", r.id, r.Term)
		return ErrProposalDropped
	case pb.MsgApp, pb.MsgHeartbeat, pb.MsgSnap:
		// A leader of our term exists (a higher term was handled by
		// stepTerm): we lost the election.
		r.becomeFollower(m.Term, m.From)
		return stepFollower(r, m)
	case pb.MsgVoteResp, pb.MsgPreVoteResp:
		r.handleVoteResponse(m)
	case pb.MsgTimeoutNow:
		r.logger().Debugf("%x [term %d] ignores MsgTimeoutNow from %x as a candidate", r.id, r.Term, m.From)
	case pb.MsgReadIndex, pb.MsgTransferLeader, pb.MsgForgetLeader:
		r.logger().Infof("%x no leader at term %d; dropping %s", r.id, r.Term, m.Type)
	}
	return nil
}

// stepFollower handles the messages of followers.
func stepFollower(r *raft, m pb.Message) error {
	switch m.Type {
	case pb.MsgProp:
		return r.forwardToLeader(m, r.opts.disableProposalForwarding)
	case pb.MsgApp:
		if r.acceptLeader(m) {
			r.handleAppendEntries(m)
		}
	case pb.MsgHeartbeat:
		if r.acceptLeader(m) {
			r.handleHeartbeat(m)
		}
	case pb.MsgSnap:
		if r.acceptLeader(m) {
			r.handleSnapshot(m)
		}
	case pb.MsgTransferLeader:
		m.To = r.lead
		return r.forwardToLeader(m, false)
	case pb.MsgForgetLeader:
		r.handleForgetLeader()
	case pb.MsgTimeoutNow:
		if r.hasUnappliedConfChanges() {
			// Typically the leader removed itself and the change is not
			// applied here yet: campaign as soon as it is.
			r.logger().Infof("%x [term %d] received MsgTimeoutNow from %x; will campaign once the committed configuration changes are applied", r.id, r.Term, m.From)
			r.campaignAfterApply = true
			return nil
		}
		r.logger().Infof("%x [term %d] received MsgTimeoutNow from %x; campaigning to take over leadership", r.id, r.Term, m.From)
		// Transfers skip the pre-vote: the old leader asked for this.
		r.hup(campaignTransfer)
	case pb.MsgReadIndex:
		return r.forwardToLeader(m, false)
	case pb.MsgReadIndexResp:
		if len(m.Entries) != 1 {
			r.logger().Errorf("%x invalid MsgReadIndexResp from %x: %d entries", r.id, m.From, len(m.Entries))
			return nil
		}
		rs := r.rs()
		rs.readStates = append(rs.readStates, ReadState{Index: m.Index, RequestCtx: m.Entries[0].Data})
	}
	return nil
}

// forwardToLeader sends a proposal, read or transfer request to the leader.
func (r *raft) forwardToLeader(m pb.Message, disabled bool) error {
	if r.lead == None {
		r.logger().Infof("%x no leader at term %d; dropping %s", r.id, r.Term, m.Type)
		return ErrProposalDropped
	}
	if disabled {
		r.logger().Infof("%x not forwarding %s to leader %x at term %d: forwarding is disabled", r.id, m.Type, r.lead, r.Term)
		return ErrProposalDropped
	}
	m.To = r.lead
	r.send(m)
	return nil
}

// handleForgetLeader makes a follower forget its leader, so that it can
// vote at once (for example after the leader was removed). With lease reads
// this would let a new leader arise inside the old leader's lease, so it is
// refused.
func (r *raft) handleForgetLeader() {
	if r.opts.leaseReads {
		r.logger().Errorf("%x ignores MsgForgetLeader: not allowed with ReadOnlyLeaseBased", r.id)
		return
	}
	if r.lead != None {
		r.logger().Infof("%x forgetting leader %x at term %d", r.id, r.lead, r.Term)
		r.lead = None
	}
}

// handleStorageAppendResp learns that the log up to m.Index (at m.LogTerm)
// and the snapshot m.Snapshot, if any, are durable.
func (r *raft) handleStorageAppendResp(m pb.Message) {
	if m.Snapshot != nil {
		// Once durable, the snapshot goes to the apply thread.
		if s := r.raftLog.unstable.snapshot; s != nil && s.Metadata.Index == m.Snapshot.Metadata.Index {
			r.snapToApply = s
		}
		r.raftLog.stableSnapTo(m.Snapshot.Metadata.Index)
	}
	if m.Index != 0 {
		r.raftLog.stableTo(entryID{term: m.LogTerm, index: m.Index})
	}
}

// handleStorageApplyResp learns that the snapshot m.Snapshot, if any, and
// the entries m.Entries were applied.
func (r *raft) handleStorageApplyResp(m pb.Message) {
	if m.Snapshot != nil {
		r.appliedTo(m.Snapshot.Metadata.Index, 0)
	}
	if len(m.Entries) > 0 {
		r.appliedTo(m.Entries[len(m.Entries)-1].Index, entsSize(m.Entries))
	}
}

// appliedTo records that the application applied entries up to index. A
// leader of an automatic joint configuration proposes to leave it once the
// entry that entered it is applied.
func (r *raft) appliedTo(index, size uint64) {
	oldApplied := r.raftLog.applied
	r.raftLog.appliedTo(index, size)
	if r.campaignAfterApply && r.state == StateFollower && !r.hasUnappliedConfChanges() {
		r.campaignAfterApply = false
		r.logger().Infof("%x applied the pending configuration changes; campaigning as asked by MsgTimeoutNow", r.id)
		r.hup(campaignTransfer)
		return
	}
	if r.autoLeave && oldApplied <= r.pendingConfIndex && index >= r.pendingConfIndex && r.state == StateLeader {
		// A leave entry is an empty ConfChangeV2; it cannot be refused by
		// the uncommitted size limit since it has no payload.
		data, err := (&pb.ConfChangeV2{}).Marshal()
		if err != nil {
			panic(err) // an empty message always marshals
		}
		if !r.appendEntry(pb.Entry{Type: pb.EntryConfChangeV2, Data: data}) {
			r.logger().Warningf("%x could not propose to leave the joint configuration %s", r.id, r.cfgString())
			return
		}
		r.pendingConfIndex = r.raftLog.lastIndex()
		r.bcastAppend()
		r.logger().Infof("%x proposed to leave the joint configuration %s", r.id, r.cfgString())
	}
}

// payloadsSize is the bytes of entry data, the measure of
// MaxUncommittedEntriesSize. (The applying budget and message sizes count
// whole encoded entries: entsSize.)
func payloadsSize(ents []pb.Entry) uint64 {
	var s uint64
	for i := range ents {
		s += uint64(len(ents[i].Data))
	}
	return s
}

// encodeReadSeq and decodeReadSeq carry a ReadIndex round's sequence number
// in a heartbeat's Context.
func encodeReadSeq(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq)
}

func decodeReadSeq(ctx []byte) (uint64, bool) {
	if len(ctx) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(ctx), true
}

// dropIdleWindows lets go of the flow-control windows with nothing in
// flight, so that an idle group carries none and a window that grew during
// a burst (a catch-up fills MaxInflightMsgs slots) does not stay grown.
// maybeSendAppend makes a new one when it pipelines again. Called when the
// configuration changes and at a leader's election-timeout ticks.
func (r *raft) dropIdleWindows() {
	for i := range r.peers {
		p := &r.peers[i]
		if p.pr.Inflights.Count() == 0 {
			p.pr.Inflights = nil
		}
	}
}

// readsState is the part of a node that serves reads: answered reads,
// rounds of ReadIndex and the leader lease. It is allocated when a node
// first serves a read or, with ReadOnlyLeaseBased, first leads, and then
// kept (readOnly's sequence numbers must never restart): many groups of a
// multi-raft host never read through raft, and should not carry it.
type readsState struct {
	// readStates are answered reads for the next Ready.
	readStates []ReadState
	readOnly   readOnly
	lease      lease
	// pendingReadIndex holds ReadIndex requests that arrived before the
	// leader committed an entry of its own term (thesis §6.4 step 1).
	pendingReadIndex []pb.Message
}

// answeredReads returns the reads answered since the last Ready.
func (r *raft) answeredReads() []ReadState {
	if r.reads == nil {
		return nil
	}
	return r.reads.readStates
}

// rs returns the node's read state, allocating it on first use.
func (r *raft) rs() *readsState {
	if r.reads == nil {
		r.reads = new(readsState)
	}
	return r.reads
}

// options are the behaviour switches of Config that the protocol consults
// after construction (kept instead of the whole Config: an idle group
// should not carry what it never reads again).
type options struct {
	checkQuorum                 bool
	preVote                     bool
	disableProposalForwarding   bool
	disableConfChangeValidation bool
	stepDownOnRemoval           bool
	recycleMessages             bool
	// leaseReads: Config.ReadOnlyOption is ReadOnlyLeaseBased.
	leaseReads bool
}
