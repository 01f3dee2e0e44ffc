package transport

import (
	"context"
	"slices"
	"sync"

	"github.com/raftcore/raft"
)

// reporter delivers ReportUnreachable and ReportSnapshot to the Handler
// from its own goroutine. Send and the senders only record a report and
// wake the reporter, so neither blocks on the Handler, and a Handler that
// forwards reports to the goroutine calling Send cannot deadlock it.
//
// Unreachable reports for the same peer are merged until delivered: they
// are hints that carry nothing but the peer ID. Snapshot outcomes are
// delivered one by one, in the order they happened.
type reporter struct {
	h    Handler
	wake chan struct{} // capacity 1: a pending wake-up

	mu        sync.Mutex
	pending   map[uint64]struct{} // peers to report unreachable
	snapshots []snapshotReport
}

type snapshotReport struct {
	id     uint64
	status raft.SnapshotStatus
}

func newReporter(h Handler) *reporter {
	return &reporter{
		h:       h,
		wake:    make(chan struct{}, 1),
		pending: make(map[uint64]struct{}),
	}
}

// unreachable records that a message to id was not delivered.
func (r *reporter) unreachable(id uint64) {
	r.mu.Lock()
	r.pending[id] = struct{}{}
	r.mu.Unlock()
	r.notify()
}

// snapshot records the outcome of a snapshot to id.
func (r *reporter) snapshot(id uint64, status raft.SnapshotStatus) {
	r.mu.Lock()
	r.snapshots = append(r.snapshots, snapshotReport{id, status})
	r.mu.Unlock()
	r.notify()
}

func (r *reporter) notify() {
	select {
	case r.wake <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// run delivers reports until ctx is done; what is pending then is dropped.
func (r *reporter) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		r.mu.Lock()
		ids := make([]uint64, 0, len(r.pending))
		for id := range r.pending {
			ids = append(ids, id)
		}
		clear(r.pending)
		snaps := r.snapshots
		r.snapshots = nil
		r.mu.Unlock()

		slices.Sort(ids) // deterministic order, whatever the map's
		for _, id := range ids {
			r.h.ReportUnreachable(id)
		}
		for _, s := range snaps {
			r.h.ReportSnapshot(s.id, s.status)
		}
	}
}
