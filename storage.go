package raft

import (
	"errors"
	"fmt"
	"sync"

	pb "github.com/raftcore/raft/raftpb"
)

// ErrCompacted is returned by Storage.Entries and Storage.Term (and the
// internal log) when a requested index precedes the first available one
// because it has been compacted away.
var ErrCompacted = errors.New("requested index is unavailable due to compaction")

// ErrSnapOutOfDate is returned by MemoryStorage.ApplySnapshot and
// MemoryStorage.CreateSnapshot when the snapshot is not newer than the one
// the storage already holds.
var ErrSnapOutOfDate = errors.New("requested index is older than the existing snapshot")

// ErrUnavailable is returned by Storage.Entries and Storage.Term (and the
// internal log) when a requested index is beyond the last one stored.
var ErrUnavailable = errors.New("requested entry at index is unavailable")

// ErrSnapshotTemporarilyUnavailable is returned by Storage.Snapshot when a
// snapshot is being prepared and cannot be served yet; raft will retry later.
var ErrSnapshotTemporarilyUnavailable = errors.New("snapshot is temporarily unavailable")

// Storage is the durable part of the raft log, implemented by the
// application. raft only reads from it; the application writes to it when
// it persists a Ready (or handles a MsgStorageAppend).
//
// The stored log is a contiguous run of entries [FirstIndex(), LastIndex()],
// preceded by a snapshot (possibly the empty one at index 0) covering
// everything up to FirstIndex()-1. An empty log has LastIndex() ==
// FirstIndex()-1.
//
// Errors other than those named below are treated as fatal for the node
// that sees them: raft cannot make progress without knowing its own log.
type Storage interface {
	// InitialState returns the saved HardState and the ConfState of the
	// latest snapshot (or the bootstrap configuration). It is called once,
	// when a node is constructed.
	InitialState() (pb.HardState, pb.ConfState, error)

	// Entries returns the entries with indexes in [lo, hi).
	//
	// When lo < hi and the range is available the result holds at least one
	// entry, even if that entry alone exceeds maxSize. Beyond the first
	// entry, the total of Entry.Size() over the result never exceeds
	// maxSize; the result is a prefix of the range.
	//
	// It returns ErrCompacted when lo <= the last compacted index (lo <
	// FirstIndex()), and ErrUnavailable when hi > LastIndex()+1. (The
	// original library panics in the latter case; we return an error.)
	//
	// The caller may keep the returned slice, but must not modify the
	// entries in it: implementations may share them with their own state.
	Entries(lo, hi, maxSize uint64) ([]pb.Entry, error)

	// Term returns the term of the entry at index i. It must work for i in
	// [FirstIndex()-1, LastIndex()]: the term at FirstIndex()-1 is the term
	// of the last compacted entry (or snapshot) and is retained for the Log
	// Matching check of the entry that follows it. It returns ErrCompacted
	// for i < FirstIndex()-1 and ErrUnavailable for i > LastIndex().
	Term(i uint64) (uint64, error)

	// LastIndex returns the index of the last entry in the log.
	//
	// Once InitialState has succeeded, LastIndex must not fail: a node that
	// cannot learn the extent of its own log panics.
	LastIndex() (uint64, error)

	// FirstIndex returns the index of the first entry that may be available
	// via Entries; older entries have been folded into the snapshot.
	//
	// Once InitialState has succeeded, FirstIndex must not fail: a node that
	// cannot learn the extent of its own log panics.
	FirstIndex() (uint64, error)

	// Snapshot returns the most recent snapshot. If it is temporarily not
	// available it should return ErrSnapshotTemporarilyUnavailable, and raft
	// will try again later, leaving the follower that needs it waiting.
	Snapshot() (pb.Snapshot, error)
}

// MemoryStorage is a Storage backed by memory, useful for tests and as a
// reference for implementations. It is safe for concurrent use.
//
// The embedded Mutex guards all of its state; it is exposed for source
// compatibility with the original library. Methods lock it themselves, so
// callers need not.
type MemoryStorage struct {
	sync.Mutex

	hardState pb.HardState
	// snapshot is the latest snapshot, nil for the empty one. A pointer,
	// so that a group without a snapshot (most of a multi-raft host's
	// idle groups) does not carry a 144-byte empty one. Never modified
	// once stored: a new snapshot replaces it.
	snapshot *pb.Snapshot
	// ents holds the log. ents[0] is a dummy entry whose Index and Term are
	// those of the last compacted entry (or the snapshot); it holds no data.
	//
	// Invariant: len(ents) >= 1, and ents[i].Index == ents[0].Index+i.
	// Invariant: ents[0].Index >= snapshot.Metadata.Index.
	ents []pb.Entry
	// regrowTo is the length ents had before the last Compact: a log that
	// is compacted periodically grows back to about that length, and grow
	// takes room for it at once.
	regrowTo int
}

// NewMemoryStorage returns an empty MemoryStorage: no entries, an empty
// snapshot, FirstIndex 1 and LastIndex 0.
func NewMemoryStorage() *MemoryStorage {
	return &MemoryStorage{
		// A dummy entry at index 0, term 0.
		ents: make([]pb.Entry, 1),
	}
}

// InitialState implements the Storage interface.
func (ms *MemoryStorage) InitialState() (pb.HardState, pb.ConfState, error) {
	ms.Lock()
	defer ms.Unlock()
	return ms.hardState, ms.snap().Metadata.ConfState, nil
}

// SetHardState saves the current HardState.
func (ms *MemoryStorage) SetHardState(st pb.HardState) error {
	ms.Lock()
	defer ms.Unlock()
	ms.hardState = st
	return nil
}

// Entries implements the Storage interface.
//
// The returned slice has its capacity capped at its length, so a later
// Append never writes into memory the caller holds.
func (ms *MemoryStorage) Entries(lo, hi, maxSize uint64) ([]pb.Entry, error) {
	ms.Lock()
	defer ms.Unlock()
	offset := ms.ents[0].Index
	if lo <= offset {
		return nil, ErrCompacted
	}
	if lo > hi {
		return nil, fmt.Errorf("invalid entries range [%d, %d): lo > hi", lo, hi)
	}
	if hi > ms.lastIndex()+1 {
		return nil, ErrUnavailable
	}
	if lo == hi {
		return nil, nil
	}
	ents := ms.ents[lo-offset : hi-offset : hi-offset]
	return limitSize(ents, maxSize), nil
}

// Term implements the Storage interface.
func (ms *MemoryStorage) Term(i uint64) (uint64, error) {
	ms.Lock()
	defer ms.Unlock()
	offset := ms.ents[0].Index
	if i < offset {
		return 0, ErrCompacted
	}
	if i-offset >= uint64(len(ms.ents)) {
		return 0, ErrUnavailable
	}
	return ms.ents[i-offset].Term, nil
}

// LastIndex implements the Storage interface. It never fails.
func (ms *MemoryStorage) LastIndex() (uint64, error) {
	ms.Lock()
	defer ms.Unlock()
	return ms.lastIndex(), nil
}

func (ms *MemoryStorage) lastIndex() uint64 {
	return ms.ents[0].Index + uint64(len(ms.ents)) - 1
}

// FirstIndex implements the Storage interface. It never fails.
func (ms *MemoryStorage) FirstIndex() (uint64, error) {
	ms.Lock()
	defer ms.Unlock()
	return ms.firstIndex(), nil
}

func (ms *MemoryStorage) firstIndex() uint64 {
	return ms.ents[0].Index + 1
}

// Snapshot implements the Storage interface. It returns the snapshot most
// recently installed by ApplySnapshot or CreateSnapshot.
func (ms *MemoryStorage) Snapshot() (pb.Snapshot, error) {
	ms.Lock()
	defer ms.Unlock()
	return ms.snap(), nil
}

// snap returns the latest snapshot; the caller holds the lock.
func (ms *MemoryStorage) snap() pb.Snapshot {
	if ms.snapshot == nil {
		return pb.Snapshot{}
	}
	return *ms.snapshot
}

// ApplySnapshot replaces the storage's contents with the given snapshot: the
// log is discarded and restarts after the snapshot's index. It returns
// ErrSnapOutOfDate if the snapshot is not newer than the one held.
func (ms *MemoryStorage) ApplySnapshot(snap pb.Snapshot) error {
	ms.Lock()
	defer ms.Unlock()
	if snap.Metadata.Index <= ms.snap().Metadata.Index {
		return ErrSnapOutOfDate
	}
	ms.snapshot = &snap
	ms.ents = []pb.Entry{{Term: snap.Metadata.Term, Index: snap.Metadata.Index}}
	return nil
}

// CreateSnapshot records a snapshot of the state machine as of index i, with
// the given configuration (if cs is not nil, else the previous snapshot's)
// and application data, and returns it. It can be used to serve
// Storage.Snapshot to followers that need it. The log is not compacted;
// call Compact for that.
//
// It returns ErrSnapOutOfDate if i is not newer than the current snapshot,
// ErrCompacted if the entry at i has been compacted away (its term is
// unknown), and an error if i is beyond the last index.
func (ms *MemoryStorage) CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error) {
	ms.Lock()
	defer ms.Unlock()
	snap := ms.snap()
	if i <= snap.Metadata.Index {
		return pb.Snapshot{}, ErrSnapOutOfDate
	}
	offset := ms.ents[0].Index
	if i < offset {
		return pb.Snapshot{}, ErrCompacted
	}
	if last := ms.lastIndex(); i > last {
		return pb.Snapshot{}, fmt.Errorf("snapshot index %d is beyond the last index %d: %w", i, last, ErrUnavailable)
	}
	snap.Metadata.Index = i
	snap.Metadata.Term = ms.ents[i-offset].Term
	if cs != nil {
		snap.Metadata.ConfState = *cs
	}
	snap.Data = data
	ms.snapshot = &snap
	return snap, nil
}

// Compact discards all entries up to and including compactIndex; the term of
// compactIndex is kept for the Log Matching check of the next entry. The
// application must ensure it no longer needs those entries (usually because
// a snapshot at or after compactIndex exists).
//
// The retained entries are copied into a fresh slice so that the memory of
// the dropped ones can be released.
//
// It returns ErrCompacted if compactIndex is already compacted, and an
// error if compactIndex is beyond the last index.
func (ms *MemoryStorage) Compact(compactIndex uint64) error {
	ms.Lock()
	defer ms.Unlock()
	offset := ms.ents[0].Index
	if compactIndex <= offset {
		return ErrCompacted
	}
	if last := ms.lastIndex(); compactIndex > last {
		return fmt.Errorf("compact index %d is beyond the last index %d: %w", compactIndex, last, ErrUnavailable)
	}
	i := compactIndex - offset
	ents := make([]pb.Entry, 1, uint64(len(ms.ents))-i)
	ents[0] = pb.Entry{Index: ms.ents[i].Index, Term: ms.ents[i].Term}
	ents = append(ents, ms.ents[i+1:]...)
	ms.regrowTo = len(ms.ents)
	ms.ents = ents
	return nil
}

// grow moves ents into a fresh array with room for at least need entries.
// Appends usually come one Ready at a time, a few entries each, so the
// array doubles (see withCap), and after a Compact it goes straight back
// to the length the log had before (see regrowTo).
func (ms *MemoryStorage) grow(need int) {
	ms.ents = withCap(ms.ents, max(need, 2*len(ms.ents), ms.regrowTo))
}

// Append adds entries to the log. The entries must be contiguous and start
// at or before LastIndex()+1. Entries at already compacted indexes are
// ignored; where the new entries overlap the stored log, the stored suffix
// from the first overlapping index on is replaced.
//
// It returns an error, and changes nothing, if the entries are not
// contiguous or would leave a gap after LastIndex().
func (ms *MemoryStorage) Append(entries []pb.Entry) error {
	if len(entries) == 0 {
		return nil
	}
	for i := 1; i < len(entries); i++ {
		if entries[i].Index != entries[i-1].Index+1 {
			return fmt.Errorf("appending non-contiguous entries: index %d follows %d",
				entries[i].Index, entries[i-1].Index)
		}
	}

	ms.Lock()
	defer ms.Unlock()

	first := ms.firstIndex()
	last := entries[0].Index + uint64(len(entries)) - 1
	if last < first {
		// Everything is already compacted.
		return nil
	}
	if first > entries[0].Index {
		// Drop the compacted prefix.
		entries = entries[first-entries[0].Index:]
	}

	offset := entries[0].Index - ms.ents[0].Index
	switch {
	case offset < uint64(len(ms.ents)):
		// Replace a suffix. Copy the kept prefix into a new array: readers
		// may hold slices of the old one, which must not change under them.
		kept := make([]pb.Entry, offset, offset+uint64(len(entries)))
		copy(kept, ms.ents[:offset])
		ms.ents = append(kept, entries...)
	case offset == uint64(len(ms.ents)):
		// Writing past the current length never touches memory a reader
		// holds: Entries caps returned slices at their length.
		if need := len(ms.ents) + len(entries); need > cap(ms.ents) {
			ms.grow(need)
		}
		ms.ents = append(ms.ents, entries...)
	default:
		return fmt.Errorf("missing log entries: last index %d, appending at %d",
			ms.lastIndex(), entries[0].Index)
	}
	return nil
}
