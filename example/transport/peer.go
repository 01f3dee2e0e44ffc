package transport

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// peer is the sending side for one remote node: a bounded queue of small
// messages drained by one goroutine (runBatches), and a one-slot queue of
// snapshots drained by another (runSnapshots), so that a long snapshot
// transfer never holds up heartbeats and appends.
type peer struct {
	id     uint64
	url    atomic.Pointer[string] // base URL, no trailing slash
	msgs   chan pb.Message        // Invariant: never closed; senders select with default.
	snaps  chan pb.Message        // capacity 1: one snapshot waits while one is sent
	ctx    context.Context        // cancelled by stop
	cancel context.CancelFunc

	sent, batches, dropped, failed atomic.Uint64
	snapsSent, snapsFailed         atomic.Uint64
	unreachable                    atomic.Bool
}

func newPeer(parent context.Context, id uint64, url string, queueSize int) *peer {
	p := &peer{
		id:    id,
		msgs:  make(chan pb.Message, queueSize),
		snaps: make(chan pb.Message, 1),
	}
	p.ctx, p.cancel = context.WithCancel(parent)
	p.setURL(url)
	return p
}

func (p *peer) setURL(url string) { p.url.Store(&url) }

func (p *peer) endpoint(path string) string { return *p.url.Load() + path }

// stop ends the peer's goroutines and aborts its request in flight.
func (p *peer) stop() { p.cancel() }

// enqueue adds m to the queue unless it is full.
func (p *peer) enqueue(m pb.Message) bool {
	select {
	case p.msgs <- m:
		return true
	default:
		p.dropped.Add(1)
		return false
	}
}

// enqueueSnapshot hands m to the snapshot sender unless a snapshot is
// already waiting.
func (p *peer) enqueueSnapshot(m pb.Message) bool {
	select {
	case p.snaps <- m:
		return true
	default:
		p.snapsFailed.Add(1)
		return false
	}
}

func (p *peer) status() PeerStatus {
	return PeerStatus{
		ID:              p.id,
		URL:             *p.url.Load(),
		Queued:          len(p.msgs),
		Sent:            p.sent.Load(),
		Batches:         p.batches.Load(),
		Dropped:         p.dropped.Load(),
		Failed:          p.failed.Load(),
		SnapshotsSent:   p.snapsSent.Load(),
		SnapshotsFailed: p.snapsFailed.Load(),
		Reachable:       !p.unreachable.Load(),
	}
}

// batcher collects queued messages into batches of at most max encoded
// bytes. A message that does not fit is carried over to start the next
// batch, so the order of the queue is kept.
type batcher struct {
	max   int
	msgs  []pb.Message
	sizes []int // encoded size of msgs[i], without its length prefix
	total int   // encoded size of the batch, with length prefixes
	carry *pb.Message
}

// next blocks until a message is available (or ctx is done, returning
// false), then takes every further message that is already queued and
// fits.
func (b *batcher) next(ctx context.Context, q <-chan pb.Message) bool {
	clear(b.msgs) // drop references to the previous batch's data
	b.msgs, b.sizes, b.total = b.msgs[:0], b.sizes[:0], 0
	if b.carry != nil {
		b.add(*b.carry, b.carry.Size())
		b.carry = nil
	} else {
		select {
		case <-ctx.Done():
			return false
		case m := <-q:
			b.add(m, m.Size())
		}
	}
	for b.total < b.max {
		select {
		case m := <-q:
			size := m.Size()
			if b.total+frameSize(size) > b.max {
				b.carry = &m
				return true
			}
			b.add(m, size)
		default:
			return true
		}
	}
	return true
}

func (b *batcher) add(m pb.Message, size int) {
	b.msgs = append(b.msgs, m)
	b.sizes = append(b.sizes, size)
	b.total += frameSize(size)
}

// runBatches is the goroutine sending p's small messages until p stops.
func (t *Transport) runBatches(p *peer) {
	b := &batcher{max: t.cfg.MaxBatchBytes}
	var backoff time.Duration
	for b.next(p.ctx, p.msgs) {
		body := encodeBatch(b.msgs, b.sizes, b.total)
		err := t.post(p, messagePath, bytes.NewReader(body), int64(len(body)), t.cfg.WriteTimeout)
		if p.ctx.Err() != nil {
			return // removed or stopped: nothing to report
		}
		n := uint64(len(b.msgs))
		if err == nil {
			p.sent.Add(n)
			p.batches.Add(1)
			if p.unreachable.Swap(false) {
				t.cfg.Logger.Infof("%x: peer %x is reachable again", t.cfg.ID, p.id)
			}
			backoff = 0
			continue
		}
		p.failed.Add(n)
		if !p.unreachable.Swap(true) {
			t.cfg.Logger.Warningf("%x: peer %x unreachable: %v", t.cfg.ID, p.id, err)
		}
		t.rep.unreachable(p.id)
		backoff = nextBackoff(backoff, t.cfg.RetryBackoff, t.cfg.MaxRetryBackoff)
		if !sleep(p.ctx, backoff) {
			return
		}
	}
}

// nextBackoff doubles cur within [lo, hi]. There is no jitter: each peer
// has a single sender, so there is no herd to spread out.
func nextBackoff(cur, lo, hi time.Duration) time.Duration {
	if cur < lo {
		return lo
	}
	return min(2*cur, hi)
}

// sleep waits for d, or returns false early if ctx is done.
func sleep(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-timer.C:
		return true
	}
}

// runSnapshots is the goroutine sending p's snapshots until p stops. Each
// outcome is reported with ReportSnapshot.
func (t *Transport) runSnapshots(p *peer) {
	for {
		var m pb.Message
		select {
		case <-p.ctx.Done():
			return
		case m = <-p.snaps:
		}
		body := newSnapshotBody(&m)
		err := t.post(p, snapshotPath, body.reader(), body.size, t.cfg.SnapshotTimeout)
		if p.ctx.Err() != nil {
			return
		}
		if err != nil {
			t.cfg.Logger.Warningf("%x: snapshot at index %d to %x failed: %v",
				t.cfg.ID, m.Snapshot.Metadata.Index, p.id, err)
			p.snapsFailed.Add(1)
			t.rep.snapshot(p.id, raft.SnapshotFailure)
			continue
		}
		t.cfg.Logger.Infof("%x: sent snapshot at index %d (%d bytes) to %x",
			t.cfg.ID, m.Snapshot.Metadata.Index, body.size, p.id)
		p.snapsSent.Add(1)
		t.rep.snapshot(p.id, raft.SnapshotFinish)
	}
}

// post sends one request to p and reports whether p accepted it (2xx).
// body must be a *bytes.Reader (a batch) or a *snapshotReader (a
// snapshot), so that the client can replay it when it retries on a stale
// keep-alive connection.
func (t *Transport) post(p *peer, path string, body io.Reader, size int64, timeout time.Duration) error {
	ctype := contentTypeBatch
	ctx, cancel := context.WithTimeout(p.ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint(path), body)
	if err != nil {
		return err
	}
	if sb, ok := body.(*snapshotReader); ok {
		req.ContentLength = size
		ctype = contentTypeSnapshot
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(sb.body.reader()), nil }
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set(headerFrom, strconv.FormatUint(t.cfg.ID, 10))
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		// Drain a short body so the connection can be reused.
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil
	}
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(msg)))
}
