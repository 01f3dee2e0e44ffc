package transport

import (
	"cmp"
	"context"
	"log"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// Defaults applied by New to zero fields of Config.
const (
	DefaultQueueSize            = 4096
	DefaultMaxBatchBytes        = 4 << 20
	DefaultMaxBatchBodyBytes    = 64 << 20
	DefaultMaxSnapshotBodyBytes = 1 << 30
	DefaultDialTimeout          = 3 * time.Second
	DefaultWriteTimeout         = 5 * time.Second
	DefaultSnapshotTimeout      = 10 * time.Minute
	DefaultRetryBackoff         = 50 * time.Millisecond
	DefaultMaxRetryBackoff      = time.Second
)

// Handler is implemented by the application's raft loop; the transport
// hands it what arrives from peers and what became of what it sent.
//
// Its methods are called from the transport's goroutines, possibly several
// at once, and never from inside Send: an implementation may forward them
// to the raft loop over a channel even when that loop is the caller of
// Send. They should return promptly; Stop waits for a report in progress.
type Handler interface {
	// Process steps a message received from a peer. Messages from one peer
	// come in the order that peer sent them; messages from different peers
	// (and a peer's snapshot) may come concurrently. ctx ends when the
	// peer's request does. An error makes the transport answer the request
	// with 503, and the rest of that batch is dropped.
	Process(ctx context.Context, m pb.Message) error
	// ReportUnreachable tells the raft loop that a message to id was not
	// delivered (RawNode.ReportUnreachable / Node.ReportUnreachable).
	ReportUnreachable(id uint64)
	// ReportSnapshot tells the raft loop whether a MsgSnap to id was
	// delivered (RawNode.ReportSnapshot / Node.ReportSnapshot).
	ReportSnapshot(id uint64, status raft.SnapshotStatus)
}

// Config configures a Transport. Zero values select the defaults named
// after each field.
type Config struct {
	// ID is this node's raft ID. Received messages addressed to another
	// node are refused. Required.
	ID uint64
	// Handler receives messages and delivery reports. Required.
	Handler Handler

	// QueueSize bounds the number of messages waiting for each peer
	// (DefaultQueueSize). When a peer's queue is full, Send drops the
	// message and reports the peer unreachable.
	QueueSize int
	// MaxBatchBytes bounds the encoded size of one POST of messages
	// (DefaultMaxBatchBytes). A single larger message is sent on its own.
	// Keep it below the peers' MaxBatchBodyBytes.
	MaxBatchBytes int

	// MaxBatchBodyBytes bounds the body of a received batch
	// (DefaultMaxBatchBodyBytes); larger bodies are refused with 413.
	MaxBatchBodyBytes int64
	// MaxSnapshotBodyBytes bounds the body of a received snapshot
	// (DefaultMaxSnapshotBodyBytes); larger bodies are refused with 413.
	// A snapshot is held in memory while it is stepped, so this also bounds
	// the memory one snapshot request may take.
	MaxSnapshotBodyBytes int64

	// Client sends the requests. If nil, the transport builds its own
	// (HTTP/1.1, no proxy, DialTimeout) and closes its idle connections on
	// Stop; a client passed in is left to its owner.
	Client *http.Client
	// Logger receives the transport's log lines. If nil, a
	// raft.DefaultLogger writing to stderr is used.
	Logger raft.Logger

	// DialTimeout bounds connection set-up of the transport's own client
	// (DefaultDialTimeout). Unused when Client is set.
	DialTimeout time.Duration
	// WriteTimeout bounds one POST of a batch, from dialling to reading
	// the response (DefaultWriteTimeout).
	WriteTimeout time.Duration
	// SnapshotTimeout bounds one POST of a snapshot (DefaultSnapshotTimeout).
	SnapshotTimeout time.Duration
	// RetryBackoff is the pause of a peer's sender after a failed POST of a
	// batch (DefaultRetryBackoff). It doubles with every further failure,
	// up to MaxRetryBackoff, and resets on success.
	RetryBackoff time.Duration
	// MaxRetryBackoff bounds the pause after failures
	// (DefaultMaxRetryBackoff).
	MaxRetryBackoff time.Duration
}

// withDefaults returns c with zero fields set to their defaults.
func (c Config) withDefaults() Config {
	setInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt64 := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	setDur := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	setInt(&c.QueueSize, DefaultQueueSize)
	setInt(&c.MaxBatchBytes, DefaultMaxBatchBytes)
	setInt64(&c.MaxBatchBodyBytes, DefaultMaxBatchBodyBytes)
	setInt64(&c.MaxSnapshotBodyBytes, DefaultMaxSnapshotBodyBytes)
	setDur(&c.DialTimeout, DefaultDialTimeout)
	setDur(&c.WriteTimeout, DefaultWriteTimeout)
	setDur(&c.SnapshotTimeout, DefaultSnapshotTimeout)
	setDur(&c.RetryBackoff, DefaultRetryBackoff)
	setDur(&c.MaxRetryBackoff, DefaultMaxRetryBackoff)
	if c.MaxRetryBackoff < c.RetryBackoff {
		c.MaxRetryBackoff = c.RetryBackoff
	}
	if c.Logger == nil {
		c.Logger = &raft.DefaultLogger{Logger: log.New(os.Stderr, "transport ", log.LstdFlags)}
	}
	return c
}

// Transport carries raft messages between nodes over HTTP. The sending
// side is Send plus the peer set (AddPeer, RemovePeer, UpdatePeer); the
// receiving side is the http.Handler returned by Handler. All methods are
// safe for concurrent use.
type Transport struct {
	cfg       Config
	client    *http.Client
	ownClient bool
	rep       *reporter

	// ctx is cancelled by Stop; every peer's context derives from it, so
	// cancelling it aborts requests in flight.
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // sender goroutines and the reporter

	// mu guards peers and stopped. Send holds it for reading while it
	// enqueues, so a peer removed under the write lock never receives
	// another message.
	mu       sync.RWMutex
	peers    map[uint64]*peer
	stopped  bool
	stopOnce sync.Once
}

// New returns a Transport with no peers. Its reporting goroutine runs
// until Stop.
//
// Panics if cfg.ID is 0 or cfg.Handler is nil: both are programming
// errors.
func New(cfg Config) *Transport {
	if cfg.ID == raft.None {
		panic("transport: Config.ID must not be 0")
	}
	if cfg.Handler == nil {
		panic("transport: Config.Handler must not be nil")
	}
	cfg = cfg.withDefaults()
	t := &Transport{
		cfg:   cfg,
		peers: make(map[uint64]*peer),
		rep:   newReporter(cfg.Handler),
	}
	t.client = cfg.Client
	if t.client == nil {
		t.client = newClient(cfg.DialTimeout)
		t.ownClient = true
	}
	t.ctx, t.cancel = context.WithCancel(context.Background())
	t.wg.Add(1)
	go func() {
		defer t.wg.Done()
		t.rep.run(t.ctx)
	}()
	return t
}

// newClient returns the client used when Config.Client is nil. Raft
// traffic stays inside the cluster, so environment proxies are ignored.
func newClient(dialTimeout time.Duration) *http.Client {
	d := &net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}
	return &http.Client{Transport: &http.Transport{
		DialContext:         d.DialContext,
		MaxIdleConnsPerHost: 4, // one batch and one snapshot connection per peer, with slack
		IdleConnTimeout:     90 * time.Second,
	}}
}

// AddPeer starts sending to peer id, whose Handler is mounted at url (for
// example "http://10.0.0.2:2380/raft"). Adding a known peer changes its
// URL, like UpdatePeer. Adding this node itself is ignored.
func (t *Transport) AddPeer(id uint64, url string) {
	if id == raft.None || id == t.cfg.ID {
		t.cfg.Logger.Warningf("%x: not adding peer %x: it is this node or None", t.cfg.ID, id)
		return
	}
	url = strings.TrimRight(url, "/")
	t.mu.Lock()
	if t.stopped {
		t.mu.Unlock()
		return
	}
	if p := t.peers[id]; p != nil {
		p.setURL(url)
		t.mu.Unlock()
		t.cfg.Logger.Infof("%x: peer %x now at %s", t.cfg.ID, id, url)
		return
	}
	p := newPeer(t.ctx, id, url, t.cfg.QueueSize)
	t.peers[id] = p
	t.wg.Add(2)
	go func() {
		defer t.wg.Done()
		t.runBatches(p)
	}()
	go func() {
		defer t.wg.Done()
		t.runSnapshots(p)
	}()
	t.mu.Unlock()
	t.cfg.Logger.Infof("%x: added peer %x at %s", t.cfg.ID, id, url)
}

// UpdatePeer changes the URL of peer id; the next request goes there.
// Updating an unknown peer is ignored: use AddPeer.
func (t *Transport) UpdatePeer(id uint64, url string) {
	url = strings.TrimRight(url, "/")
	t.mu.RLock()
	p := t.peers[id]
	t.mu.RUnlock()
	if p == nil {
		t.cfg.Logger.Warningf("%x: not updating unknown peer %x", t.cfg.ID, id)
		return
	}
	p.setURL(url)
	t.cfg.Logger.Infof("%x: peer %x now at %s", t.cfg.ID, id, url)
}

// RemovePeer stops sending to peer id. Messages still queued for it are
// dropped without a report, a request in flight is aborted, and RemovePeer
// returns without waiting for its goroutines (Stop waits for them).
func (t *Transport) RemovePeer(id uint64) {
	t.mu.Lock()
	p := t.peers[id]
	delete(t.peers, id)
	t.mu.Unlock()
	if p != nil {
		p.stop()
		t.cfg.Logger.Infof("%x: removed peer %x", t.cfg.ID, id)
	}
}

// Send queues msgs for their destinations and returns at once; it never
// blocks on the network. For each message:
//
//   - to an unknown peer: dropped, ReportUnreachable(to);
//   - MsgSnap: handed to the peer's snapshot sender; if one snapshot is
//     already waiting, dropped with ReportSnapshot(to, SnapshotFailure);
//   - otherwise: appended to the peer's queue; if the queue is full,
//     dropped with ReportUnreachable(to).
//
// Reports are made later from another goroutine. Send keeps references to
// the messages' byte slices (entry data, snapshot data) until they are
// encoded, so the caller must not modify them; raft never does. After Stop,
// Send drops everything silently.
func (t *Transport) Send(msgs []pb.Message) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.stopped {
		return
	}
	for i := range msgs {
		m := msgs[i]
		p := t.peers[m.To]
		switch {
		case p == nil:
			t.cfg.Logger.Debugf("%x: dropped %s to unknown peer %x", t.cfg.ID, m.Type, m.To)
			t.rep.unreachable(m.To)
		case m.Type == pb.MsgSnap:
			if !p.enqueueSnapshot(m) {
				t.cfg.Logger.Warningf("%x: dropped snapshot to %x: another is waiting", t.cfg.ID, m.To)
				t.rep.snapshot(m.To, raft.SnapshotFailure)
			}
		default:
			if !p.enqueue(m) {
				t.cfg.Logger.Debugf("%x: dropped %s to %x: queue full", t.cfg.ID, m.Type, m.To)
				t.rep.unreachable(m.To)
			}
		}
	}
}

// PeerStatus describes one peer's sender, for status pages and metrics.
// Counters start at zero when the peer is added.
type PeerStatus struct {
	ID  uint64 `json:"id"`
	URL string `json:"url"`
	// Queued is the number of messages waiting in the queue.
	Queued int `json:"queued"`
	// Sent counts messages the peer accepted (2xx), Batches the POSTs
	// that carried them.
	Sent    uint64 `json:"sent"`
	Batches uint64 `json:"batches"`
	// Dropped counts messages dropped because the queue was full; Failed
	// counts messages lost in failed POSTs.
	Dropped uint64 `json:"dropped"`
	Failed  uint64 `json:"failed"`
	// SnapshotsSent and SnapshotsFailed count snapshot outcomes, including
	// snapshots dropped because one was already waiting.
	SnapshotsSent   uint64 `json:"snapshots_sent"`
	SnapshotsFailed uint64 `json:"snapshots_failed"`
	// Reachable is false from a failed POST of a batch until the next
	// successful one.
	Reachable bool `json:"reachable"`
}

// Status returns the state of every peer's sender, sorted by ID.
func (t *Transport) Status() []PeerStatus {
	t.mu.RLock()
	out := make([]PeerStatus, 0, len(t.peers))
	for _, p := range t.peers {
		out = append(out, p.status())
	}
	t.mu.RUnlock()
	slices.SortFunc(out, func(a, b PeerStatus) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Stop removes every peer, aborts requests in flight, waits for all the
// transport's goroutines to end and closes the idle connections of its own
// client. Reports not yet delivered to the Handler are dropped. Stop does
// not touch the HTTP server serving Handler; shut that down separately.
// Calling Stop again has no effect.
func (t *Transport) Stop() {
	t.stopOnce.Do(func() {
		t.mu.Lock()
		t.stopped = true
		peers := t.peers
		t.peers = make(map[uint64]*peer)
		t.mu.Unlock()
		for _, p := range peers {
			p.stop()
		}
		t.cancel()
		t.wg.Wait()
		if t.ownClient {
			t.client.CloseIdleConnections()
		}
	})
}
