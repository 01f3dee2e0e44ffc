package kv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcore/raft"
	"github.com/raftcore/raft/example/transport"
	"github.com/raftcore/raft/example/wal"
	pb "github.com/raftcore/raft/raftpb"
)

// Defaults for the zero fields of Config.
const (
	DefaultSnapshotEvery  = 1000
	DefaultTickInterval   = 100 * time.Millisecond
	DefaultElectionTicks  = 10
	DefaultHeartbeatTicks = 1
	DefaultRequestTimeout = 5 * time.Second
)

// Config configures a Node.
type Config struct {
	// ID is this node's raft ID. Required, non-zero.
	ID uint64
	// Peers maps member IDs to base URLs ("http://127.0.0.1:9001"). On a
	// first start without Join it is the initial cluster, which must
	// include ID. With Join it tells the node where existing members are,
	// so that it can answer them before it learns the membership from the
	// log. Ignored when the data directory already holds a log.
	Peers map[uint64]string
	// Join starts a node with empty storage without bootstrapping: it waits
	// for the cluster to add it (POST /members on a member).
	Join bool
	// DataDir holds the write-ahead log and snapshots. Required.
	DataDir string

	// SnapshotEvery is the number of applied entries between snapshots of
	// the store (DefaultSnapshotEvery).
	SnapshotEvery uint64
	// CompactSlack is the number of entries kept in the log below a new
	// snapshot, so that a follower that is slightly behind catches up from
	// the log instead of needing the snapshot. Zero means SnapshotEvery/2.
	CompactSlack uint64
	// NoFsync skips every fsync of the write-ahead log (wal.Options.NoSync):
	// faster, but a machine crash can lose acknowledged writes and even
	// votes, which breaks Raft's guarantees. For benchmarks only.
	NoFsync bool
	// SegmentSize is the WAL segment size (wal.DefaultSegmentSize if zero).
	// Compaction deletes whole segments, so tests make it small to exercise
	// compaction and snapshot transfer.
	SegmentSize int64

	// TickInterval is the duration of one raft tick (DefaultTickInterval).
	TickInterval time.Duration
	// ElectionTicks and HeartbeatTicks are raft's ElectionTick and
	// HeartbeatTick (DefaultElectionTicks, DefaultHeartbeatTicks).
	ElectionTicks  int
	HeartbeatTicks int

	// RequestTimeout bounds how long a client request waits for raft
	// (DefaultRequestTimeout); a request that runs out gets a 503.
	RequestTimeout time.Duration
	// MaxValueSize bounds a PUT body (DefaultMaxValueSize).
	MaxValueSize int

	// ApplyTrace, if set, is a file to which every applied entry is
	// appended (see TraceRecord). For tests and debugging.
	ApplyTrace string
	// LogOutput receives the node's log lines (os.Stderr if nil).
	LogOutput io.Writer
	// RaftDebug enables raft's debug log lines.
	RaftDebug bool
}

func (c Config) withDefaults() Config {
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
	if c.CompactSlack == 0 {
		c.CompactSlack = c.SnapshotEvery / 2
	}
	if c.TickInterval <= 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = DefaultElectionTicks
	}
	if c.HeartbeatTicks <= 0 {
		c.HeartbeatTicks = DefaultHeartbeatTicks
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.MaxValueSize <= 0 {
		c.MaxValueSize = DefaultMaxValueSize
	}
	if c.LogOutput == nil {
		c.LogOutput = os.Stderr
	}
	return c
}

// ErrStopped is returned for requests to a node that is stopping or has
// stopped.
var ErrStopped = errors.New("kv: node is shutting down")

// Member is one member of the cluster as the node last applied it.
type Member struct {
	ID      uint64 `json:"id"`
	URL     string `json:"url"`
	Learner bool   `json:"learner"`
}

// Node is one member of the replicated key-value service: a raft.RawNode
// driven by a single goroutine (the loop), its write-ahead log, its
// transport and its Store. Serve its Handler on the node's address.
type Node struct {
	cfg    Config
	logger *log.Logger
	st     *wal.Storage
	rn     *raft.RawNode
	tr     *transport.Transport
	store  *Store
	trace  *tracer

	recvc    chan pb.Message // messages from peers
	reqc     chan func()     // work for the loop from handlers and reports
	stopc    chan struct{}   // closed by Stop
	quit     chan struct{}   // closed when the loop stops taking work
	done     chan struct{}   // closed when the loop has ended and cleaned up
	stopOnce sync.Once
	err      error // why the loop ended, if it failed; set before done is closed

	// Published by the loop for handlers.
	leader  atomic.Uint64
	applied atomic.Uint64
	removed atomic.Bool
	members atomic.Pointer[[]Member]
	// draining is set when Stop begins: client requests get 503.
	draining atomic.Bool

	// Loop state. Only the loop goroutine touches these.
	confState    pb.ConfState
	appliedIndex uint64
	snapIndex    uint64
	peerURLs     map[uint64]string // what the transport was told
	proposals    map[uint64]*proposal
	confChanges  map[uint64]*confRequest
	reads        map[string]*readRequest // sent, waiting for their ReadState
	readsWaiting []*readRequest          // read index known, waiting for apply
	ticks        uint64
	lastSweep    time.Time
	// confSnapshotDue is set when a configuration change is applied: see
	// maybeSnapshot.
	confSnapshotDue bool
}

// Start opens (or creates) the node's data directory, recovers its state,
// bootstraps a new cluster if the directory is empty and Join is not set,
// and starts the raft loop. Serve Handler to connect the node to its peers
// and clients; Stop ends it.
func Start(cfg Config) (*Node, error) {
	cfg = cfg.withDefaults()
	if cfg.ID == raft.None {
		return nil, errors.New("kv: Config.ID must be a positive integer")
	}
	if cfg.DataDir == "" {
		return nil, errors.New("kv: Config.DataDir is required")
	}
	n := &Node{
		cfg:         cfg,
		logger:      log.New(cfg.LogOutput, fmt.Sprintf("kv %d: ", cfg.ID), log.LstdFlags|log.Lmicroseconds),
		store:       NewStore(),
		recvc:       make(chan pb.Message, 4096),
		reqc:        make(chan func(), 4096),
		stopc:       make(chan struct{}),
		quit:        make(chan struct{}),
		done:        make(chan struct{}),
		peerURLs:    map[uint64]string{},
		proposals:   map[uint64]*proposal{},
		confChanges: map[uint64]*confRequest{},
		reads:       map[string]*readRequest{},
		lastSweep:   time.Now(),
	}
	st, err := wal.Open(cfg.DataDir, wal.Options{NoSync: cfg.NoFsync, SegmentSize: cfg.SegmentSize})
	if err != nil {
		return nil, fmt.Errorf("kv: opening the log: %w", err)
	}
	n.st = st
	if err := n.init(); err != nil {
		st.Close()
		n.trace.close()
		return nil, err
	}
	n.publishMembers()
	go n.run()
	return n, nil
}

// init recovers the store from the newest snapshot, creates the RawNode
// (bootstrapping a new cluster) and the transport.
func (n *Node) init() error {
	cfg := n.cfg
	trace, err := openTracer(cfg.ApplyTrace)
	if err != nil {
		return err
	}
	n.trace = trace

	snap, err := n.st.Snapshot()
	if err != nil {
		return fmt.Errorf("kv: reading the snapshot: %w", err)
	}
	if !raft.IsEmptySnap(snap) {
		if err := n.restore(snap); err != nil {
			return err
		}
	}
	last, err := n.st.LastIndex()
	if err != nil {
		return err
	}
	fresh := last == 0 && raft.IsEmptySnap(snap)

	rlog := &raft.DefaultLogger{Logger: log.New(cfg.LogOutput, fmt.Sprintf("raft %d: ", cfg.ID), log.LstdFlags|log.Lmicroseconds)}
	if cfg.RaftDebug {
		rlog.EnableDebug()
	}
	rn, err := raft.NewRawNode(&raft.Config{
		ID:            cfg.ID,
		ElectionTick:  cfg.ElectionTicks,
		HeartbeatTick: cfg.HeartbeatTicks,
		Storage:       n.st,
		// The store was rebuilt from the snapshot alone: raft must hand
		// out every committed entry after it again (see the package doc).
		Applied:                   n.appliedIndex,
		MaxSizePerMsg:             1 << 20,
		MaxInflightMsgs:           256,
		MaxUncommittedEntriesSize: 64 << 20,
		MaxCommittedSizePerReady:  16 << 20,
		CheckQuorum:               true,
		PreVote:                   true,
		StepDownOnRemoval:         true,
		// The transport copies each message into its peer queue before
		// Send returns, so rd.Messages is free once we Advance.
		RecycleMessages: true,
		Logger:          rlog,
	})
	if err != nil {
		return fmt.Errorf("kv: %w", err)
	}
	n.rn = rn

	switch {
	case fresh && !cfg.Join:
		if _, ok := cfg.Peers[cfg.ID]; !ok {
			return fmt.Errorf("kv: the initial cluster (peers) must include this node's ID %d", cfg.ID)
		}
		if err := rn.Bootstrap(bootstrapPeers(cfg.Peers)); err != nil {
			return fmt.Errorf("kv: bootstrap: %w", err)
		}
		n.logger.Printf("bootstrapping a new cluster of %d members", len(cfg.Peers))
	case fresh:
		if len(cfg.Peers) == 0 {
			return errors.New("kv: joining needs the addresses of existing members (peers)")
		}
		n.logger.Printf("empty node waiting to be added to the cluster")
	default:
		n.logger.Printf("restarting: snapshot at %d, log up to %d, commit %d",
			snap.Metadata.Index, last, n.st.HardState().Commit)
	}

	tlog := &raft.DefaultLogger{Logger: log.New(cfg.LogOutput, fmt.Sprintf("transport %d: ", cfg.ID), log.LstdFlags|log.Lmicroseconds)}
	n.tr = transport.New(transport.Config{ID: cfg.ID, Handler: (*transportHandler)(n), Logger: tlog})
	if fresh {
		// Until the membership is applied, the peers given are the only
		// addresses known; applying it replaces them.
		for id, u := range cfg.Peers {
			n.setPeer(id, u)
		}
	} else {
		n.syncTransport()
	}
	return nil
}

// bootstrapPeers lists the initial members in ID order, each with its URL
// as context: applying the bootstrap entries records the addresses.
func bootstrapPeers(peers map[uint64]string) []raft.Peer {
	ids := make([]uint64, 0, len(peers))
	for id := range peers {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]raft.Peer, len(ids))
	for i, id := range ids {
		out[i] = raft.Peer{ID: id, Context: []byte(peers[id])}
	}
	return out
}

// ID returns the node's raft ID.
func (n *Node) ID() uint64 { return n.cfg.ID }

// Leader returns the leader this node knows of (0 for none).
func (n *Node) Leader() uint64 { return n.leader.Load() }

// Applied returns the index of the last entry applied to the store.
func (n *Node) Applied() uint64 { return n.applied.Load() }

// Store returns the node's state machine, for local (stale) reads.
func (n *Node) Store() *Store { return n.store }

// Done is closed when the node has stopped, after Stop or a fatal error.
func (n *Node) Done() <-chan struct{} { return n.done }

// Err returns the fatal error that stopped the node, or nil. Meaningful
// once Done is closed.
func (n *Node) Err() error {
	<-n.done
	return n.err
}

// Stop stops the node: client requests are refused from now on, requests
// waiting for raft fail with ErrStopped, the loop ends, the transport stops
// and the log is closed. The HTTP server serving Handler is the caller's to
// shut down (afterwards, so that the refused requests get their answer).
// It returns the fatal error that stopped the node earlier, if any.
func (n *Node) Stop() error {
	n.draining.Store(true)
	n.stopOnce.Do(func() { close(n.stopc) })
	return n.Err()
}

// transportHandler is the Node seen by the transport.
type transportHandler Node

// Process implements transport.Handler: it hands m to the loop.
func (h *transportHandler) Process(ctx context.Context, m pb.Message) error {
	n := (*Node)(h)
	select {
	case n.recvc <- m:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-n.quit:
		return ErrStopped
	}
}

// ReportUnreachable implements transport.Handler.
func (h *transportHandler) ReportUnreachable(id uint64) {
	(*Node)(h).post(func(n *Node) { n.rn.ReportUnreachable(id) })
}

// ReportSnapshot implements transport.Handler.
func (h *transportHandler) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	(*Node)(h).post(func(n *Node) { n.rn.ReportSnapshot(id, status) })
}

// post hands fn to the loop, giving up if the node stops.
func (n *Node) post(fn func(*Node)) bool {
	select {
	case n.reqc <- func() { fn(n) }:
		return true
	case <-n.quit:
	}
	return false
}

// run is the raft loop: the only goroutine that touches the RawNode.
func (n *Node) run() {
	ticker := time.NewTicker(n.cfg.TickInterval)
	defer ticker.Stop()
	var err error
	for err == nil {
		select {
		case <-n.stopc:
			n.shutdown(nil)
			return
		case <-ticker.C:
			n.tick()
		case m := <-n.recvc:
			n.step(m)
		case fn := <-n.reqc:
			fn()
		}
		n.drainInputs()
		err = n.processReadies()
	}
	n.logger.Printf("stopping after a fatal error: %v", err)
	n.shutdown(err)
}

// maxDrain bounds the inputs taken between two Readys. Taking what is
// already queued lets one Ready (one fsync) carry many proposals.
const maxDrain = 512

func (n *Node) drainInputs() {
	for range maxDrain {
		select {
		case m := <-n.recvc:
			n.step(m)
		case fn := <-n.reqc:
			fn()
		default:
			return
		}
	}
}

func (n *Node) step(m pb.Message) {
	if err := n.rn.Step(m); err != nil {
		// A response from a removed peer, typically: harmless.
		n.logger.Printf("dropped %s from %d: %v", m.Type, m.From, err)
	}
}

// tick advances raft's clock, resends unanswered reads and forgets
// requests whose clients have given up.
func (n *Node) tick() {
	n.rn.Tick()
	n.ticks++
	for _, r := range n.reads {
		// A read index request is dropped without an answer when there is
		// no leader or leadership changes: ask again after an election
		// timeout. Reads are idempotent, so asking twice is harmless.
		if n.ticks-r.sentTick >= uint64(n.cfg.ElectionTicks) {
			r.sentTick = n.ticks
			n.rn.ReadIndex(r.ctx)
		}
	}
	if now := time.Now(); now.Sub(n.lastSweep) >= 250*time.Millisecond {
		n.lastSweep = now
		n.sweep(now)
	}
}

// processReadies handles Readys until raft has no more work, following
// the contract of raft.Ready (numbered as in the raft package doc):
//
//	2a. persist HardState, Entries and Snapshot with one wal.Save (one
//	    fsync for the whole batch);
//	2b. only then send Messages: they may acknowledge what 2a wrote;
//	2c. apply Snapshot, then CommittedEntries, to the store;
//	2d. serve ReadStates once applied reaches their index;
//	2e. Advance.
//
// An error means the disk failed or the replicated state cannot be
// decoded: the node must stop.
func (n *Node) processReadies() error {
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		if rd.SoftState != nil {
			if old := n.leader.Swap(rd.SoftState.Lead); old != rd.SoftState.Lead {
				n.logger.Printf("leader is now %d (this node is %s)", rd.SoftState.Lead, rd.SoftState.RaftState)
			}
		}
		if err := n.st.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
			return fmt.Errorf("persisting a Ready: %w", err)
		}
		n.tr.Send(rd.Messages)
		if !raft.IsEmptySnap(rd.Snapshot) {
			if err := n.restore(rd.Snapshot); err != nil {
				return err
			}
			n.syncTransport()
			n.publishMembers()
			n.logger.Printf("installed the snapshot at index %d from the leader", rd.Snapshot.Metadata.Index)
		}
		if err := n.applyEntries(rd.CommittedEntries); err != nil {
			return err
		}
		n.applied.Store(n.appliedIndex)
		n.serveReadStates(rd.ReadStates)
		n.finishReads()
		n.rn.Advance(rd)
		if err := n.maybeSnapshot(); err != nil {
			return err
		}
	}
	return nil
}

// maybeSnapshot snapshots the store once SnapshotEvery entries were
// applied since the last snapshot, or a configuration change was applied,
// then compacts the log, keeping CompactSlack entries below the snapshot.
//
// Why after a configuration change: a member that is added to a cluster
// whose log is compacted gets the leader's newest snapshot, and raft (here
// as in etcd) ignores a snapshot whose configuration does not contain the
// receiver. The snapshot taken before the member was added never does, so
// the leader would send it forever. Every node snapshots right after
// applying a change, before raft sends anything to the new member, so the
// newest snapshot of whichever node leads always includes the members it
// has applied.
//
// The store is encoded on the loop, which pauses raft for as long as that
// takes; fine for an example whose state is small. A larger service would
// take a copy-on-write view and write the snapshot in the background.
func (n *Node) maybeSnapshot() error {
	if n.appliedIndex <= n.snapIndex ||
		(n.appliedIndex-n.snapIndex < n.cfg.SnapshotEvery && !n.confSnapshotDue) {
		return nil
	}
	n.confSnapshotDue = false
	cs := n.confState
	snap, err := n.st.CreateSnapshot(n.appliedIndex, &cs, n.store.Snapshot())
	if err != nil {
		return fmt.Errorf("creating a snapshot at %d: %w", n.appliedIndex, err)
	}
	n.snapIndex = snap.Metadata.Index
	if n.snapIndex <= n.cfg.CompactSlack {
		return nil
	}
	first, err := n.st.FirstIndex()
	if err != nil {
		return err
	}
	if compact := n.snapIndex - n.cfg.CompactSlack; compact >= first {
		if err := n.st.Compact(compact); err != nil && !errors.Is(err, raft.ErrCompacted) {
			return fmt.Errorf("compacting the log to %d: %w", compact, err)
		}
	}
	return nil
}

// restore replaces the store with a snapshot: at start-up (the newest
// snapshot on disk) and when the leader sends one.
func (n *Node) restore(snap pb.Snapshot) error {
	if err := n.store.Restore(snap.Data); err != nil {
		return fmt.Errorf("restoring the snapshot at %d: %w", snap.Metadata.Index, err)
	}
	n.confState = snap.Metadata.ConfState
	n.appliedIndex = snap.Metadata.Index
	n.snapIndex = snap.Metadata.Index
	n.applied.Store(n.appliedIndex)
	n.updateRemoved()
	return n.traceRecord(TraceRecord{Index: snap.Metadata.Index, Term: snap.Metadata.Term, Kind: "snapshot"})
}

func (n *Node) traceRecord(rec TraceRecord) error {
	if err := n.trace.record(rec); err != nil {
		// The trace is for debugging: losing it must not stop the node.
		n.logger.Printf("apply trace disabled: %v", err)
		n.trace.close()
		n.trace = nil
	}
	return nil
}

// shutdown fails every waiting request and releases the node's resources.
func (n *Node) shutdown(err error) {
	n.draining.Store(true)
	close(n.quit)
	for id, p := range n.proposals {
		p.done <- proposeResult{err: ErrStopped}
		delete(n.proposals, id)
	}
	for id, c := range n.confChanges {
		c.done <- confResult{err: ErrStopped}
		delete(n.confChanges, id)
	}
	for k, r := range n.reads {
		r.done <- readResult{err: ErrStopped}
		delete(n.reads, k)
	}
	for _, r := range n.readsWaiting {
		r.done <- readResult{err: ErrStopped}
	}
	n.readsWaiting = nil
	n.tr.Stop()
	if cerr := n.st.Close(); cerr != nil && err == nil {
		err = fmt.Errorf("closing the log: %w", cerr)
	}
	n.trace.close()
	n.err = err
	close(n.done)
}
