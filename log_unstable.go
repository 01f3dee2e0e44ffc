package raft

import (
	"fmt"

	pb "github.com/raftcore/raft/raftpb"
)

// unstable holds what this node has accepted but the application has not
// yet confirmed as persisted: at most one incoming snapshot, and a run of
// entries following it (or following the last stable entry).
//
// With asynchronous storage writes, a prefix of this state can be "in
// progress": handed to the application for writing, the write not yet
// confirmed. In-progress state is not handed out again; it leaves unstable
// only once stableTo / stableSnapTo confirm it.
//
//	  snapshot        entries
//	[ ...  s.Index ] [ offset ... offsetInProgress-1 | offsetInProgress ... last ]
//	                   \______ in progress _______/   \__ not yet handed out __/
//
// Slices handed out by unstable are capped at their length, and unstable
// never writes into a backing array at positions it has already handed out:
// truncation copies into a fresh array. So the application may hold on to
// what it received while raft keeps accepting entries.
type unstable struct {
	// snapshot is the incoming snapshot, if any.
	//
	// Invariant: if snapshot != nil, offset == snapshot.Metadata.Index+1.
	snapshot *pb.Snapshot
	// entries are the unstable entries.
	//
	// Invariant: entries[i].Index == offset+i.
	entries []pb.Entry
	// offset is the index of entries[0], or of the entry that would be
	// appended next when entries is empty.
	offset uint64

	// snapshotInProgress is true if snapshot has been handed to the
	// application for writing.
	//
	// Invariant: snapshotInProgress implies snapshot != nil.
	snapshotInProgress bool
	// offsetInProgress is the index just past the entries handed to the
	// application for writing: entries[:offsetInProgress-offset] are in
	// progress.
	//
	// Invariant: offset <= offsetInProgress <= offset+len(entries).
	offsetInProgress uint64

	// expectedLast is an index the log is known to be heading for: the
	// commit index of the leader's latest append, whose entries are on
	// their way when this node is behind. It is only a hint for sizing a
	// reallocated array (see grow) and may be stale.
	expectedLast uint64

	logger Logger
}

// maybeFirstIndex returns the index of the first entry that may be in the
// log, if unstable knows it, i.e. if it holds a snapshot.
func (u *unstable) maybeFirstIndex() (uint64, bool) {
	if u.snapshot != nil {
		return u.snapshot.Metadata.Index + 1, true
	}
	return 0, false
}

// maybeLastIndex returns the index of the last entry in the log, if unstable
// knows it, i.e. if it holds entries or a snapshot.
func (u *unstable) maybeLastIndex() (uint64, bool) {
	if l := len(u.entries); l != 0 {
		return u.offset + uint64(l) - 1, true
	}
	if u.snapshot != nil {
		return u.snapshot.Metadata.Index, true
	}
	return 0, false
}

// maybeTerm returns the term of the entry at index i, if unstable knows it:
// i is the index of the snapshot or of one of the entries.
func (u *unstable) maybeTerm(i uint64) (uint64, bool) {
	if i < u.offset {
		if u.snapshot != nil && u.snapshot.Metadata.Index == i {
			return u.snapshot.Metadata.Term, true
		}
		return 0, false
	}
	last, ok := u.maybeLastIndex()
	if !ok || i > last {
		return 0, false
	}
	return u.entries[i-u.offset].Term, true
}

// nextEntries returns the entries not yet handed to the application for
// writing.
func (u *unstable) nextEntries() []pb.Entry {
	start := u.offsetInProgress - u.offset
	if start == uint64(len(u.entries)) {
		return nil
	}
	n := len(u.entries)
	return u.entries[start:n:n]
}

// nextSnapshot returns the snapshot if it has not been handed to the
// application for writing yet, else nil.
func (u *unstable) nextSnapshot() *pb.Snapshot {
	if u.snapshot == nil || u.snapshotInProgress {
		return nil
	}
	return u.snapshot
}

// acceptInProgress marks all current entries and the snapshot as handed to
// the application for writing: they are not returned by nextEntries and
// nextSnapshot again.
func (u *unstable) acceptInProgress() {
	if len(u.entries) > 0 {
		u.offsetInProgress = u.offset + uint64(len(u.entries))
	}
	if u.snapshot != nil {
		u.snapshotInProgress = true
	}
}

// stableTo records that the entries up to and including id have been
// persisted, and drops them.
//
// The confirmation is ignored if the entry at id.index is no longer id: the
// write was of entries that have since been truncated and replaced, and says
// nothing about what is in the log now. For example:
//
//  1. entries 5..7 at term 2 are handed out for writing;
//  2. a new leader's append replaces 6..7 with 6@3;
//  3. the confirmation for 7@2 arrives: index 7 is gone, nothing to drop;
//     a confirmation for 6@2 would likewise not match 6@3.
//
// It is also ignored if id.index is the snapshot's index or below: the
// snapshot is confirmed through stableSnapTo.
//
// While a snapshot is unstable, entries can only be in progress if the
// snapshot was handed out first (restore drops all entries), and writes
// complete in order; so a valid confirmation for entries after the
// snapshot implies the snapshot is durable too, and it is dropped as well.
// The caller may thus confirm a write holding both in either order.
func (u *unstable) stableTo(id entryID) {
	if u.snapshot != nil && id.index > u.snapshot.Metadata.Index {
		if !u.snapshotInProgress {
			u.logger.Infof("ignoring stale write confirmation for entry %s: the snapshot at %d before it was not handed out",
				id, u.snapshot.Metadata.Index)
			return
		}
		if t, ok := u.maybeTerm(id.index); !ok || t != id.term {
			u.logger.Infof("ignoring stale write confirmation for entry %s: not among the unstable entries", id)
			return
		}
		u.stableSnapTo(u.snapshot.Metadata.Index)
	}
	t, ok := u.maybeTerm(id.index)
	if !ok || id.index < u.offset {
		u.logger.Infof("ignoring stale write confirmation for entry %s: not among unstable entries [%d, %d]",
			id, u.offset, u.offset+uint64(len(u.entries)))
		return
	}
	if t != id.term {
		u.logger.Infof("ignoring stale write confirmation for entry %s: the entry at that index has term %d",
			id, t)
		return
	}
	n := id.index + 1 - u.offset
	u.entries = u.entries[n:]
	u.offset = id.index + 1
	u.offsetInProgress = max(u.offsetInProgress, u.offset)
	u.shrinkEntriesArray()
}

// shrinkEntriesArray releases the backing array of entries when most of it
// is unused, by copying the live entries into a fresh array. Without this, a
// burst of entries would pin a large array (and the entries' data) long
// after the entries were persisted.
//
// The prefix dropped by stableTo is not visible in cap(entries); it is
// released at the latest when appending outgrows the array.
func (u *unstable) shrinkEntriesArray() {
	const shrinkFactor = 2 // shrink when less than 1/shrinkFactor is in use
	switch {
	case len(u.entries) == 0:
		u.entries = nil
	case cap(u.entries) > shrinkFactor*len(u.entries):
		u.entries = withCap(u.entries, len(u.entries))
	}
}

// stableSnapTo records that the snapshot at index i has been persisted, and
// drops it. Confirmations for any other index are ignored.
func (u *unstable) stableSnapTo(i uint64) {
	if u.snapshot != nil && u.snapshot.Metadata.Index == i {
		u.snapshot = nil
		u.snapshotInProgress = false
	}
}

// restore replaces the unstable state with the snapshot s: all entries are
// dropped, and the log continues after s.
func (u *unstable) restore(s pb.Snapshot) {
	u.offset = s.Metadata.Index + 1
	u.offsetInProgress = u.offset
	u.entries = nil
	u.snapshot = &s
	u.snapshotInProgress = false
}

// truncateAndAppend appends ents, which must be contiguous, first truncating
// whatever conflicts: the entries from ents[0].Index on are replaced. If
// ents[0].Index <= offset, every unstable entry is replaced (and offset
// moves back: the new entries also replace the stable log's suffix from
// ents[0].Index on). The in-progress marker moves back if the truncation
// cuts into the in-progress prefix.
//
// Panics if ents[0].Index > offset+len(entries) (a gap), or if the
// truncation would reach back to an unstable snapshot.
func (u *unstable) truncateAndAppend(ents []pb.Entry) {
	if len(ents) == 0 {
		return
	}
	from := ents[0].Index
	next := u.offset + uint64(len(u.entries))
	switch {
	case from == next && len(u.entries) == 0:
		// The most common case (one batch per Ready): take ownership of
		// ents without copying, capped so that a later append reallocates
		// instead of writing into the caller's array. Callers hand over
		// entries nobody writes to again (see raftLog.append).
		u.entries = ents[:len(ents):len(ents)]
	case from == next:
		// A plain append. Writing past len(entries) is safe since nothing
		// handed out extends beyond it.
		if need := len(u.entries) + len(ents); need > cap(u.entries) {
			u.grow(need)
		}
		u.entries = append(u.entries, ents...)
	case from <= u.offset:
		if u.snapshot != nil {
			u.logger.Panicf("truncating unstable entries at %d would cut into the unstable snapshot at %d",
				from, u.snapshot.Metadata.Index)
		}
		u.logger.Infof("replacing the unstable entries from index %d", from)
		// Take ownership of ents without copying, but cap it so that our
		// next append reallocates instead of writing into the caller's array.
		u.entries = ents[:len(ents):len(ents)]
		u.offset = from
		u.offsetInProgress = u.offset
	case from < next:
		u.logger.Infof("truncating the unstable entries before index %d", from)
		// Copy the kept prefix: the old array may be held by the application
		// (entries in progress, or sent in messages), and must not change.
		kept := u.slice(u.offset, from)
		fresh := make([]pb.Entry, 0, len(kept)+len(ents))
		fresh = append(fresh, kept...)
		u.entries = append(fresh, ents...)
		u.offsetInProgress = min(u.offsetInProgress, from)
	default:
		u.logger.Panicf("appending entries from index %d would leave a gap after unstable index %d",
			from, next-1)
	}
}

// grow moves entries into a fresh array with room for at least need
// entries. Several appends between two Readys happen when a lagging
// follower receives a burst of MsgApps (up to MaxInflightMsgs of them, each
// up to MaxSizePerMsg), so the array at least doubles (see withCap), and
// when the leader's commit index says more entries are coming, it takes
// room for them too, up to four times need: a bogus or distant hint costs
// at most that much spare room, and growth stays geometric for followers
// very far behind.
func (u *unstable) grow(need int) {
	c := 2 * need
	if u.expectedLast >= u.offset {
		if want := u.expectedLast - u.offset + 1; want > uint64(c) {
			c = int(min(want, 4*uint64(need)))
		}
	}
	u.entries = withCap(u.entries, c)
}

// slice returns the unstable entries with indexes in [lo, hi), capped at
// their length.
//
// Panics if lo > hi or [lo, hi) is not within [offset, offset+len(entries)).
func (u *unstable) slice(lo, hi uint64) []pb.Entry {
	u.mustCheckOutOfBounds(lo, hi)
	return u.entries[lo-u.offset : hi-u.offset : hi-u.offset]
}

// mustCheckOutOfBounds panics unless offset <= lo <= hi <= offset+len(entries).
func (u *unstable) mustCheckOutOfBounds(lo, hi uint64) {
	if lo > hi {
		u.logger.Panicf("invalid unstable.slice [%d, %d): lo > hi", lo, hi)
	}
	upper := u.offset + uint64(len(u.entries))
	if lo < u.offset || hi > upper {
		u.logger.Panicf("unstable.slice [%d, %d) out of bounds [%d, %d)", lo, hi, u.offset, upper)
	}
}

// String describes the unstable state for debugging.
func (u *unstable) String() string {
	snap := "none"
	if u.snapshot != nil {
		snap = entryID{u.snapshot.Metadata.Term, u.snapshot.Metadata.Index}.String()
		if u.snapshotInProgress {
			snap += "(in progress)"
		}
	}
	return fmt.Sprintf("snapshot=%s offset=%d inProgress=%d len=%d", snap, u.offset, u.offsetInProgress, len(u.entries))
}
