package raft

import (
	"context"

	pb "github.com/raftcore/raft/raftpb"
)

// Node is a raft node driven by its own goroutine: the application talks
// to it through channels and context-taking methods. It is a thin loop over
// RawNode; applications with their own event loop (or thousands of groups)
// should use RawNode directly.
//
// Every context-taking method returns ctx.Err() when the context ends first
// and ErrStopped after Stop.
type Node interface {
	// Tick advances the logical clock by one tick. A tick that cannot be
	// queued (the node is far behind) is dropped with a warning.
	Tick()
	// Campaign makes the node start an election.
	Campaign(ctx context.Context) error
	// Propose proposes data for the log. It blocks until the node knows a
	// leader and has taken the proposal, and returns ErrProposalDropped if
	// the node refused it. Taking it does not mean it will commit.
	Propose(ctx context.Context, data []byte) error
	// ProposeConfChange proposes a configuration change. The application
	// must call ApplyConfChange when the entry commits.
	ProposeConfChange(ctx context.Context, cc pb.ConfChangeI) error
	// Step feeds a message from the network into the node. Local message
	// types are ignored.
	Step(ctx context.Context, msg pb.Message) error
	// Ready returns the channel of work batches. Handle each Ready (see its
	// doc), then call Advance.
	Ready() <-chan Ready
	// Advance tells the node the last Ready was handled. Not used with
	// AsyncStorageWrites.
	Advance()
	// ApplyConfChange applies a committed configuration change and returns
	// the configuration in force.
	ApplyConfChange(cc pb.ConfChangeI) *pb.ConfState
	// TransferLeadership asks leader lead to hand over to transferee.
	TransferLeadership(ctx context.Context, lead, transferee uint64)
	// ForgetLeader makes a follower forget its leader (see
	// RawNode.ForgetLeader).
	ForgetLeader(ctx context.Context) error
	// ReadIndex requests a linearizable read; the answer arrives as a
	// ReadState in a later Ready.
	ReadIndex(ctx context.Context, rctx []byte) error
	// Status returns the node's status (the zero Status after Stop).
	Status() Status
	// ReportUnreachable reports that a message to id was not delivered.
	ReportUnreachable(id uint64)
	// ReportSnapshot reports the outcome of sending a snapshot to id.
	ReportSnapshot(id uint64, status SnapshotStatus)
	// Stop stops the node's goroutine and waits for it to exit.
	Stop()
}

// StartNode starts a node for a new cluster whose initial members are
// peers, or, when peers is empty, a node that joins an existing cluster
// (and learns the configuration from the leader).
//
// Panics if the Config is invalid or the Storage cannot be bootstrapped:
// the signature, kept for compatibility, has no error. Use NewRawNode to
// get an error instead.
func StartNode(c *Config, peers []Peer) Node {
	rn, err := NewRawNode(c)
	if err != nil {
		panic(err)
	}
	if len(peers) > 0 {
		if err := rn.Bootstrap(peers); err != nil {
			panic(err)
		}
	}
	n := newNode(rn)
	go n.run()
	return n
}

// RestartNode restarts a node from its Storage.
//
// Panics if the Config or the Storage's state is invalid (see StartNode).
func RestartNode(c *Config) Node {
	rn, err := NewRawNode(c)
	if err != nil {
		panic(err)
	}
	n := newNode(rn)
	go n.run()
	return n
}

type msgWithResult struct {
	m      pb.Message
	result chan error
}

type node struct {
	propc      chan msgWithResult
	recvc      chan pb.Message
	confc      chan pb.ConfChangeV2
	confstatec chan pb.ConfState
	readyc     chan Ready
	advancec   chan struct{}
	tickc      chan struct{}
	done       chan struct{}
	stop       chan struct{}
	status     chan chan Status

	rn *RawNode
}

func newNode(rn *RawNode) *node {
	return &node{
		propc:      make(chan msgWithResult),
		recvc:      make(chan pb.Message),
		confc:      make(chan pb.ConfChangeV2),
		confstatec: make(chan pb.ConfState),
		readyc:     make(chan Ready),
		advancec:   make(chan struct{}),
		// Ticks are buffered so a busy application does not lose them to
		// a momentarily busy loop.
		tickc:  make(chan struct{}, 128),
		done:   make(chan struct{}),
		stop:   make(chan struct{}),
		status: make(chan chan Status),
		rn:     rn,
	}
}

// run is the node's goroutine. It owns the RawNode.
func (n *node) run() {
	var (
		propc     chan msgWithResult
		readyc    chan Ready
		advancec  chan struct{}
		rd        Ready
		committed []pb.Entry
	)
	r := n.rn.raft
	lead := None
	for {
		// Build the Ready afresh each round (state may have changed), but
		// commit to it only once the application takes it. While a Ready
		// awaits Advance, nothing new is offered.
		readyc = nil
		if advancec == nil && n.rn.HasReady() {
			committed = n.rn.readyWithoutAccept(&rd)
			readyc = n.readyc
		}
		if lead != r.lead {
			// Proposals wait while there is no leader to take them.
			if r.lead != None {
				propc = n.propc
			} else {
				propc = nil
			}
			lead = r.lead
		}
		select {
		case pm := <-propc:
			m := pm.m
			m.From = r.id
			err := r.Step(m)
			if pm.result != nil {
				pm.result <- err
			}
		case m := <-n.recvc:
			if IsResponseMsg(m.Type) && !IsLocalMsgTarget(m.From) && r.progress(m.From) == nil {
				break // a response from a peer we do not know
			}
			if err := r.Step(m); err != nil {
				r.logger().Debugf("%x error stepping %s: %v", r.id, m.Type, err)
			}
		case cc := <-n.confc:
			cs := n.rn.ApplyConfChange(cc)
			select {
			case n.confstatec <- *cs:
			case <-n.done:
			}
		case <-n.tickc:
			n.rn.Tick()
		case readyc <- rd:
			n.rn.acceptReady(&rd, committed)
			if !n.rn.asyncStorageWrites {
				advancec = n.advancec
			}
		case <-advancec:
			n.rn.Advance(rd)
			rd, committed = Ready{}, nil
			advancec = nil
		case c := <-n.status:
			c <- getStatus(r)
		case <-n.stop:
			close(n.done)
			return
		}
	}
}

func (n *node) Tick() {
	select {
	case n.tickc <- struct{}{}:
	case <-n.done:
	default:
		n.rn.raft.logger().Warningf("%x tick dropped: the node is not keeping up (handle Ready faster)", n.rn.raft.id)
	}
}

func (n *node) Campaign(ctx context.Context) error {
	return n.step(ctx, pb.Message{Type: pb.MsgHup})
}

func (n *node) Propose(ctx context.Context, data []byte) error {
	return n.stepWait(ctx, pb.Message{Type: pb.MsgProp, Entries: []pb.Entry{{Data: data}}})
}

func (n *node) ProposeConfChange(ctx context.Context, cc pb.ConfChangeI) error {
	m, err := confChangeToMsg(cc)
	if err != nil {
		return err
	}
	return n.stepWait(ctx, m)
}

func (n *node) Step(ctx context.Context, m pb.Message) error {
	if IsLocalMsg(m.Type) && !IsLocalMsgTarget(m.From) {
		// Local messages arriving over the network are bogus.
		return nil
	}
	return n.step(ctx, m)
}

func (n *node) step(ctx context.Context, m pb.Message) error {
	return n.stepWithWaitOption(ctx, m, false)
}

func (n *node) stepWait(ctx context.Context, m pb.Message) error {
	return n.stepWithWaitOption(ctx, m, true)
}

// stepWithWaitOption hands m to the node's goroutine: proposals through
// propc (optionally waiting for the verdict), everything else through recvc.
func (n *node) stepWithWaitOption(ctx context.Context, m pb.Message, wait bool) error {
	if m.Type != pb.MsgProp {
		select {
		case n.recvc <- m:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		case <-n.done:
			return ErrStopped
		}
	}
	pm := msgWithResult{m: m}
	if wait {
		pm.result = make(chan error, 1)
	}
	select {
	case n.propc <- pm:
		if !wait {
			return nil
		}
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
	select {
	case err := <-pm.result:
		return err
	case <-ctx.Done():
		return ctx.Err()
	case <-n.done:
		return ErrStopped
	}
}

func (n *node) Ready() <-chan Ready { return n.readyc }

func (n *node) Advance() {
	select {
	case n.advancec <- struct{}{}:
	case <-n.done:
	}
}

func (n *node) ApplyConfChange(cc pb.ConfChangeI) *pb.ConfState {
	var cs pb.ConfState
	select {
	case n.confc <- cc.AsV2():
	case <-n.done:
		return &cs
	}
	select {
	case cs = <-n.confstatec:
	case <-n.done:
	}
	return &cs
}

func (n *node) TransferLeadership(ctx context.Context, lead, transferee uint64) {
	select {
	// The message comes "from" the transferee, as with RawNode.
	case n.recvc <- pb.Message{Type: pb.MsgTransferLeader, From: transferee, To: lead}:
	case <-n.done:
	case <-ctx.Done():
	}
}

func (n *node) ForgetLeader(ctx context.Context) error {
	return n.step(ctx, pb.Message{Type: pb.MsgForgetLeader})
}

func (n *node) ReadIndex(ctx context.Context, rctx []byte) error {
	return n.step(ctx, pb.Message{Type: pb.MsgReadIndex, Entries: []pb.Entry{{Data: rctx}}})
}

func (n *node) Status() Status {
	c := make(chan Status)
	select {
	case n.status <- c:
		return <-c
	case <-n.done:
		return Status{}
	}
}

func (n *node) ReportUnreachable(id uint64) {
	select {
	case n.recvc <- pb.Message{Type: pb.MsgUnreachable, From: id}:
	case <-n.done:
	}
}

func (n *node) ReportSnapshot(id uint64, status SnapshotStatus) {
	select {
	case n.recvc <- pb.Message{Type: pb.MsgSnapStatus, From: id, Reject: status == SnapshotFailure}:
	case <-n.done:
	}
}

func (n *node) Stop() {
	select {
	case n.stop <- struct{}{}:
	case <-n.done:
		return
	}
	<-n.done
}
