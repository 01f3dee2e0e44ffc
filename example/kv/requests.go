package kv

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/raftcore/raft"
	"github.com/raftcore/raft/example/transport"
	pb "github.com/raftcore/raft/raftpb"
)

// Errors of requests that could not be completed; the HTTP layer answers
// them with 503 (or 410 for ErrNotMember).
var (
	// ErrTimeout: the request's time ran out. A write may still be
	// applied later.
	ErrTimeout = errors.New("kv: timed out waiting for raft")
	// ErrNotMember: this node is outside the configuration it applied
	// (removed, or not yet added), so it cannot serve consistent requests.
	ErrNotMember = errors.New("kv: this node is not a member of the cluster (removed, or not yet added)")
)

// proposal is a client write waiting to be applied.
type proposal struct {
	data    []byte
	expires time.Time
	done    chan proposeResult // buffered: the loop never blocks on it
}

type proposeResult struct {
	index uint64
	err   error
}

// confRequest is a membership change waiting to be applied.
type confRequest struct {
	expires time.Time
	done    chan confResult
}

type confResult struct {
	members []Member
	err     error
}

// readRequest is a linearizable read. It goes through two stages: sent
// (in Node.reads, keyed by ctx) until raft answers with a read index, then
// waiting (in Node.readsWaiting) until the store has applied that index.
type readRequest struct {
	key      string
	ctx      []byte
	sentTick uint64
	index    uint64
	expires  time.Time
	done     chan readResult
}

type readResult struct {
	value []byte
	found bool
	err   error
}

// submit runs fn on the loop, or fails if the node stops or ctx ends
// first.
func (n *Node) submit(ctx context.Context, fn func()) error {
	if n.draining.Load() {
		return ErrStopped
	}
	select {
	case n.reqc <- fn:
		return nil
	case <-ctx.Done():
		return ErrTimeout
	case <-n.quit:
		return ErrStopped
	}
}

// requestContext bounds a client request by the node's RequestTimeout.
func (n *Node) requestContext(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, n.cfg.RequestTimeout)
}

// expiry is when the loop forgets a request whose client gave up: a little
// after the client's own deadline.
func (n *Node) expiry() time.Time { return time.Now().Add(n.cfg.RequestTimeout + time.Second) }

// Propose replicates a put or delete and waits until this node applied it,
// returning the entry's index. The command's ID is set here: a fresh
// random one for every call. A retried client request is a new proposal
// with a new ID, and the service never re-proposes on its own, so a write
// is applied at most once per call; one that timed out (ErrTimeout) may
// still be applied, once.
func (n *Node) Propose(ctx context.Context, c Command) (uint64, error) {
	if n.removed.Load() {
		return 0, ErrNotMember
	}
	c.ID = rand.Uint64() | 1 // never 0
	p := &proposal{data: c.Encode(), expires: n.expiry(), done: make(chan proposeResult, 1)}
	err := n.submit(ctx, func() {
		if err := n.rn.Propose(p.data); err != nil {
			p.done <- proposeResult{err: err}
			return
		}
		n.proposals[c.ID] = p
	})
	if err != nil {
		return 0, err
	}
	select {
	case r := <-p.done:
		return r.index, r.err
	case <-ctx.Done():
		return 0, ErrTimeout
	case <-n.done:
		return 0, ErrStopped
	}
}

// Read returns the value of key with a linearizable read: raft confirms
// this node's view through ReadIndex (a quorum heartbeat round by the
// leader), and the value is read once the store has applied the read
// index.
func (n *Node) Read(ctx context.Context, key string) ([]byte, bool, error) {
	if n.removed.Load() {
		return nil, false, ErrNotMember
	}
	r := &readRequest{key: key, ctx: binary.LittleEndian.AppendUint64(nil, rand.Uint64()),
		expires: n.expiry(), done: make(chan readResult, 1)}
	err := n.submit(ctx, func() {
		r.sentTick = n.ticks
		n.reads[string(r.ctx)] = r
		n.rn.ReadIndex(r.ctx)
	})
	if err != nil {
		return nil, false, err
	}
	select {
	case res := <-r.done:
		return res.value, res.found, res.err
	case <-ctx.Done():
		return nil, false, ErrTimeout
	case <-n.done:
		return nil, false, ErrStopped
	}
}

// serveReadStates moves answered reads to the waiting list.
func (n *Node) serveReadStates(rss []raft.ReadState) {
	for _, rs := range rss {
		r := n.reads[string(rs.RequestCtx)]
		if r == nil {
			continue // answered before (it was resent), or given up
		}
		delete(n.reads, string(rs.RequestCtx))
		r.index = rs.Index
		n.readsWaiting = append(n.readsWaiting, r)
	}
}

// finishReads answers the waiting reads whose index has been applied. The
// value is read on the loop, so it reflects exactly the applied state.
func (n *Node) finishReads() {
	kept := n.readsWaiting[:0]
	for _, r := range n.readsWaiting {
		if r.index > n.appliedIndex {
			kept = append(kept, r)
			continue
		}
		v, ok := n.store.Get(r.key)
		r.done <- readResult{value: v, found: ok}
	}
	clear(n.readsWaiting[len(kept):])
	n.readsWaiting = kept
}

// changeMembership proposes a configuration change and waits until this
// node applied it, returning the members then. It sets the ConfChange's
// ID; for additions the caller sets its Context (the member's URL).
func (n *Node) changeMembership(ctx context.Context, cc pb.ConfChange) ([]Member, error) {
	if n.removed.Load() {
		return nil, ErrNotMember
	}
	cc.ID = rand.Uint64() | 1
	c := &confRequest{expires: n.expiry(), done: make(chan confResult, 1)}
	err := n.submit(ctx, func() {
		if err := n.rn.ProposeConfChange(cc); err != nil {
			c.done <- confResult{err: err}
			return
		}
		n.confChanges[cc.ID] = c
	})
	if err != nil {
		return nil, err
	}
	select {
	case r := <-c.done:
		return r.members, r.err
	case <-ctx.Done():
		return nil, ErrTimeout
	case <-n.done:
		return nil, ErrStopped
	}
}

// TransferLeadership asks the cluster to make id the leader and waits
// until this node sees it lead.
func (n *Node) TransferLeadership(ctx context.Context, id uint64) error {
	if n.leader.Load() == id {
		return nil
	}
	if err := n.submit(ctx, func() { n.rn.TransferLeader(id) }); err != nil {
		return err
	}
	t := time.NewTicker(max(n.cfg.TickInterval/2, time.Millisecond))
	defer t.Stop()
	for n.leader.Load() != id {
		select {
		case <-t.C:
		case <-ctx.Done():
			return ErrTimeout
		case <-n.done:
			return ErrStopped
		}
	}
	return nil
}

// Status is the JSON document served by GET /status. Indexes are raft log
// indexes.
type Status struct {
	ID     uint64 `json:"id"`
	Leader uint64 `json:"leader"` // 0 when no leader is known
	State  string `json:"state"`  // StateLeader, StateFollower, ...
	Term   uint64 `json:"term"`
	Commit uint64 `json:"commit"`
	// Applied is the last index applied to the store; SnapshotIndex that of
	// the newest snapshot; FirstIndex and LastIndex the extent of the log
	// kept on disk.
	Applied       uint64 `json:"applied"`
	SnapshotIndex uint64 `json:"snapshot_index"`
	FirstIndex    uint64 `json:"first_index"`
	LastIndex     uint64 `json:"last_index"`
	Keys          int    `json:"keys"`
	// Member is false on a node that was removed or is not yet added.
	Member  bool     `json:"member"`
	Members []Member `json:"members"`
	// Raft is raft.Status as JSON (IDs in hex, progress on the leader).
	Raft json.RawMessage `json:"raft"`
	// Transport is the state of the sender to each peer.
	Transport []transport.PeerStatus `json:"transport"`
}

// Status returns the node's status, taken on the loop.
func (n *Node) Status(ctx context.Context) (Status, error) {
	ch := make(chan Status, 1)
	err := n.submit(ctx, func() {
		rs := n.rn.Status()
		raw, err := json.Marshal(rs)
		if err != nil {
			raw, _ = json.Marshal(err.Error())
		}
		first, _ := n.st.FirstIndex()
		last, _ := n.st.LastIndex()
		ch <- Status{
			ID:            n.cfg.ID,
			Leader:        rs.Lead,
			State:         rs.RaftState.String(),
			Term:          rs.Term,
			Commit:        rs.Commit,
			Applied:       n.appliedIndex,
			SnapshotIndex: n.snapIndex,
			FirstIndex:    first,
			LastIndex:     last,
			Keys:          n.store.Len(),
			Member:        confMembers(n.confState)[n.cfg.ID],
			Members:       n.memberList(),
			Raft:          raw,
			Transport:     n.tr.Status(),
		}
	})
	if err != nil {
		return Status{}, err
	}
	select {
	case s := <-ch:
		return s, nil
	case <-ctx.Done():
		return Status{}, ErrTimeout
	case <-n.done:
		return Status{}, ErrStopped
	}
}

// sweep forgets requests whose clients have given up.
func (n *Node) sweep(now time.Time) {
	for id, p := range n.proposals {
		if now.After(p.expires) {
			delete(n.proposals, id)
		}
	}
	for id, c := range n.confChanges {
		if now.After(c.expires) {
			delete(n.confChanges, id)
		}
	}
	for k, r := range n.reads {
		if now.After(r.expires) {
			delete(n.reads, k)
		}
	}
	kept := n.readsWaiting[:0]
	for _, r := range n.readsWaiting {
		if !now.After(r.expires) {
			kept = append(kept, r)
		}
	}
	clear(n.readsWaiting[len(kept):])
	n.readsWaiting = kept
}
