package raft

import (
	"errors"
	"fmt"
	"math"

	pb "github.com/raftcore/raft/raftpb"
)

// noLimit is the size limit meaning "unbounded".
const noLimit = math.MaxUint64

// raftLog is the log as the protocol sees it: the durable entries in
// Storage, followed by the unstable entries (and possibly snapshot) that the
// application has not yet confirmed as persisted.
//
//	storage:  [ snapshot | firstIndex ... ]
//	unstable:                          [ snapshot? | offset ... lastIndex ]
//
// Where the two overlap, unstable wins: entries from unstable.offset on
// replace whatever the storage still holds at those indexes (a truncation
// that has not been persisted yet).
//
// Along the log, four positions advance:
//
//	applied <= applying <= committed <= lastIndex
//
// Entries up to applied have been applied to the state machine; those in
// (applied, applying] have been handed to the application for applying;
// those in (applying, committed] are committed but not handed out yet.
type raftLog struct {
	// storage holds the entries persisted since the last snapshot.
	storage Storage

	// unstable holds what is not yet persisted.
	unstable unstable
	// stableLast is the storage's last index, tracked instead of asked for
	// (that takes the storage's lock on every call). Only the application's
	// writes directed by Ready change it, and they are confirmed through
	// stableTo and stableSnapTo.
	//
	// Invariant: equals storage.LastIndex() whenever unstable holds no
	// entries and no snapshot.
	stableLast uint64

	// committed is the highest index known to be committed: stored on a
	// quorum (§5.3). It never decreases.
	//
	// Invariant: applying <= committed <= lastIndex().
	committed uint64
	// applying is the highest index handed to the application for applying.
	//
	// Invariant: applied <= applying <= committed.
	applying uint64
	// applied is the highest index the application has applied.
	//
	// Invariant: firstIndex()-1 <= applied at construction; applied never
	// decreases.
	applied uint64

	// maxApplyingEntsSize bounds applyingEntsSize: nothing more is handed
	// out for applying while the bytes in flight would exceed it, except
	// that one entry is always allowed when nothing is in flight. noLimit
	// disables the bound.
	maxApplyingEntsSize uint64
	// applyingEntsSize is the total size (Entry.Size()) of the entries
	// handed out for applying and not yet reported applied.
	applyingEntsSize uint64
}

// logger returns the log's logger, which it shares with unstable (one
// field fewer per group).
func (l *raftLog) logger() Logger {
	return l.unstable.logger
}

// newRaftLog returns a log over storage, with nothing committed or applied
// beyond the storage's first index. maxApplyingBytes bounds the size of
// entries handed out for applying and not yet applied (0: no limit). A nil
// logger selects the package default.
//
// It returns an error if the storage cannot report its first or last index.
func newRaftLog(storage Storage, logger Logger, maxApplyingBytes uint64) (*raftLog, error) {
	l := new(raftLog)
	if err := l.init(storage, logger, maxApplyingBytes); err != nil {
		return nil, err
	}
	return l, nil
}

// init is newRaftLog in place.
func (l *raftLog) init(storage Storage, logger Logger, maxApplyingBytes uint64) error {
	if storage == nil {
		return errors.New("raft log: storage must not be nil")
	}
	if logger == nil {
		logger = defaultLogger()
	}
	if maxApplyingBytes == 0 {
		maxApplyingBytes = noLimit
	}
	first, err := storage.FirstIndex()
	if err != nil {
		return fmt.Errorf("raft log: reading the storage's first index: %w", err)
	}
	last, err := storage.LastIndex()
	if err != nil {
		return fmt.Errorf("raft log: reading the storage's last index: %w", err)
	}
	if first == 0 || last+1 < first {
		return fmt.Errorf("raft log: storage reports an invalid range: first index %d, last index %d", first, last)
	}
	*l = raftLog{
		storage: storage,
		unstable: unstable{
			offset:           last + 1,
			offsetInProgress: last + 1,
			logger:           logger,
		},
		stableLast:          last,
		committed:           first - 1,
		applying:            first - 1,
		applied:             first - 1,
		maxApplyingEntsSize: maxApplyingBytes,
	}
	return nil
}

// String describes the log's positions for debugging.
func (l *raftLog) String() string {
	return fmt.Sprintf("first=%d last=%d committed=%d applying=%d applied=%d applyingBytes=%d unstable{%s}",
		l.firstIndex(), l.lastIndex(), l.committed, l.applying, l.applied, l.applyingEntsSize, l.unstable.String())
}

// firstIndex returns the index of the first entry that may be available.
//
// Panics if the storage fails to report its first index: the Storage
// contract forbids that once the node is constructed.
func (l *raftLog) firstIndex() uint64 {
	i, err := l.tryFirstIndex()
	if err != nil {
		l.logger().Panicf("storage failed to report its first index: %v", err)
	}
	return i
}

// tryFirstIndex is firstIndex passing on a storage error.
func (l *raftLog) tryFirstIndex() (uint64, error) {
	if i, ok := l.unstable.maybeFirstIndex(); ok {
		return i, nil
	}
	return l.storage.FirstIndex()
}

// lastIndex returns the index of the last entry in the log.
//
// Panics if the storage fails to report its last index: the Storage
// contract forbids that once the node is constructed.
func (l *raftLog) lastIndex() uint64 {
	i, err := l.tryLastIndex()
	if err != nil {
		l.logger().Panicf("storage failed to report its last index: %v", err)
	}
	return i
}

// tryLastIndex is lastIndex passing on a storage error. (It cannot fail
// any more: the storage's last index is known without asking it.)
func (l *raftLog) tryLastIndex() (uint64, error) {
	if i, ok := l.unstable.maybeLastIndex(); ok {
		return i, nil
	}
	return l.stableLast, nil
}

// lastTerm returns the term of the last entry in the log.
//
// Panics if that term cannot be read: the storage must know the term of
// its last entry (or of its snapshot, when it has no entries).
func (l *raftLog) lastTerm() uint64 {
	return l.lastEntryID().term
}

// lastEntryID returns the ID of the last entry in the log.
//
// Panics if its term cannot be read: the storage must know the term of its
// last entry (or of its snapshot, when it has no entries).
func (l *raftLog) lastEntryID() entryID {
	index := l.lastIndex()
	t, err := l.term(index)
	if err != nil {
		l.logger().Panicf("unexpected error reading the term of the last entry (%d): %v", index, err)
	}
	return entryID{term: t, index: index}
}

// term returns the term of the entry at index i, which must be in
// [firstIndex()-1, lastIndex()]. It returns ErrCompacted below that range,
// ErrUnavailable above it, and passes on any other storage error (wrapped).
// It never panics.
func (l *raftLog) term(i uint64) (uint64, error) {
	// The unstable part is checked first: it knows the snapshot's term and
	// overrides the storage where the two overlap.
	if t, ok := l.unstable.maybeTerm(i); ok {
		return t, nil
	}
	if s := l.unstable.snapshot; s != nil && i < s.Metadata.Index {
		// The storage may still hold entries the snapshot replaces.
		return 0, ErrCompacted
	}
	if i > l.lastIndex() {
		// The storage may still hold a suffix that unstable truncated.
		return 0, ErrUnavailable
	}
	// One storage call: its contract gives ErrCompacted below its first
	// index - 1, which is the range check we need.
	t, err := l.storage.Term(i)
	if err != nil {
		if errors.Is(err, ErrCompacted) || errors.Is(err, ErrUnavailable) {
			return 0, err
		}
		return 0, fmt.Errorf("reading the term at index %d from storage: %w", i, err)
	}
	return t, nil
}

// matchTerm reports whether the log holds the entry id: the entry at
// id.index exists and has term id.term.
func (l *raftLog) matchTerm(id entryID) bool {
	t, err := l.term(id.index)
	return err == nil && t == id.term
}

// isUpToDate reports whether a log ending in candidateLast is at least as
// up-to-date as this one: the election restriction (§5.4.1). A log is more
// up-to-date if its last term is greater, or, with equal last terms, if it
// is at least as long.
func (l *raftLog) isUpToDate(candidateLast entryID) bool {
	our := l.lastEntryID()
	return candidateLast.term > our.term ||
		(candidateLast.term == our.term && candidateLast.index >= our.index)
}

// maybeAppend is the follower side of AppendEntries (§5.3). prev is the
// entry the leader says immediately precedes ents.
//
// If the log does not hold prev, it returns ok=false and changes nothing
// (the leader will back off). Otherwise, the entries the log already has
// are skipped, the log is truncated at the first entry that conflicts (same
// index, different term) and the rest appended; lastNew = prev.index +
// len(ents) is the last index known to match the leader's log. The commit
// index is not touched: the caller commits min(leader's commit, lastNew).
//
// It returns an error, ok=false and changes nothing if ents are not
// contiguous after prev, if their terms decrease, or if the first conflict
// is at or below committed: a leader never rewrites committed entries
// (Leader Completeness, §5.4), so this is bad input from a peer, not a
// reason to crash.
func (l *raftLog) maybeAppend(prev entryID, ents []pb.Entry) (lastNew uint64, ok bool, err error) {
	if err := validateAppend(prev, ents); err != nil {
		return 0, false, err
	}
	if !l.matchTerm(prev) {
		return 0, false, nil
	}
	lastNew = prev.index + uint64(len(ents))
	ci := l.findConflict(ents)
	switch {
	case ci == 0:
		// Every entry is already in the log.
	case ci <= l.committed:
		return 0, false, fmt.Errorf("append after %s conflicts at index %d with the committed prefix (committed=%d)",
			prev, ci, l.committed)
	default:
		l.append(ents[ci-(prev.index+1):]...)
	}
	return lastNew, true, nil
}

// validateAppend checks that ents follow prev contiguously with
// non-decreasing terms.
func validateAppend(prev entryID, ents []pb.Entry) error {
	last := prev
	for i := range ents {
		id := pbEntryID(&ents[i])
		if id.index != last.index+1 {
			return fmt.Errorf("append after %s: entry %s does not follow %s", prev, id, last)
		}
		if id.term < last.term {
			return fmt.Errorf("append after %s: entry %s has a lower term than %s", prev, id, last)
		}
		last = id
	}
	return nil
}

// findConflict returns the index of the first entry in ents whose ID the
// log does not hold: an entry with a different term at the same index, or
// an entry beyond the end of the log. It returns 0 if the log holds all of
// them. ents must be contiguous.
func (l *raftLog) findConflict(ents []pb.Entry) uint64 {
	for i := range ents {
		if id := pbEntryID(&ents[i]); !l.matchTerm(id) {
			if id.index <= l.lastIndex() {
				l.logger().Infof("found conflict at index %d [existing term: %d, conflicting term: %d]",
					id.index, l.zeroTermOnOutOfBounds(l.term(id.index)), id.term)
			}
			return id.index
		}
	}
	return 0
}

// zeroTermOnOutOfBounds returns t, or 0 if err is ErrCompacted or
// ErrUnavailable (0 is no valid term). Other errors are passed to a panic,
// since they mean the storage is broken.
//
// Panics if err is neither nil, ErrCompacted nor ErrUnavailable.
func (l *raftLog) zeroTermOnOutOfBounds(t uint64, err error) uint64 {
	if err == nil {
		return t
	}
	if errors.Is(err, ErrCompacted) || errors.Is(err, ErrUnavailable) {
		return 0
	}
	l.logger().Panicf("unexpected error reading a term: %v", err)
	return 0
}

// findConflictByTerm returns the largest index <= index whose term is <=
// term, together with that entry's term. index is first clamped to
// lastIndex(). The search stops at firstIndex()-1, the oldest entry whose
// term is known, which is returned at worst even if its term is greater.
// If a term cannot be read (index below firstIndex()-1, or a storage
// error), that index is returned with term 0.
//
// It serves the fast backtracking of rejected appends (thesis §5.3's
// optimisation): a follower rejecting MsgApp at (index, term) tells the
// leader the last index at which their logs could match. Everything after
// the returned index has a term > term and so cannot match the leader's
// entries at those indexes (the leader's log has term <= term there).
//
// Worked example, with firstIndex() = 2 (the entry at 1 is compacted but
// its term kept):
//
//	index: 1 2 3 4 5 6 7
//	term:  1 1 2 2 5 5 5
//
//	findConflictByTerm(7, 5) = (7, 5)   the entry itself qualifies
//	findConflictByTerm(7, 4) = (4, 2)   skips the term-5 run
//	findConflictByTerm(9, 3) = (4, 2)   index clamped to 7 first
//	findConflictByTerm(4, 1) = (2, 1)
//	findConflictByTerm(4, 0) = (1, 1)   stops at firstIndex()-1
func (l *raftLog) findConflictByTerm(index, term uint64) (uint64, uint64) {
	if last := l.lastIndex(); index > last {
		index = last
	}
	floor := l.firstIndex() - 1
	for {
		t, err := l.term(index)
		if err != nil {
			return index, 0
		}
		if t <= term || index <= floor {
			return index, t
		}
		index--
	}
}

// append appends ents to the log, truncating any conflicting suffix first
// (the suffix from ents[0].Index on), and returns the new last index. It is
// the leader's (and maybeAppend's) way in; ents must be contiguous. The log
// may keep ents' array instead of copying it: the caller must not write to
// those entries afterwards (readers may share them).
//
// Panics if ents[0].Index-1 < committed (committed entries must never be
// rewritten), or if ents[0].Index > lastIndex()+1 (a gap).
func (l *raftLog) append(ents ...pb.Entry) uint64 {
	if len(ents) == 0 {
		return l.lastIndex()
	}
	if after := ents[0].Index - 1; after < l.committed {
		l.logger().Panicf("appending after index %d would rewrite committed entries (committed=%d)", after, l.committed)
	}
	if last := l.lastIndex(); ents[0].Index > last+1 {
		l.logger().Panicf("appending at index %d would leave a gap after the last index %d", ents[0].Index, last)
	}
	l.unstable.truncateAndAppend(ents)
	return l.lastIndex()
}

// commitTo raises committed to i. It never lowers it.
//
// Panics if i > lastIndex(): only entries in the log can be committed (the
// caller clamps to what it knows matches).
func (l *raftLog) commitTo(i uint64) {
	if i <= l.committed {
		return
	}
	if last := l.lastIndex(); i > last {
		l.logger().Panicf("commit index %d is out of range [committed=%d, lastIndex=%d]; was the log corrupted, truncated or lost?",
			i, l.committed, last)
	}
	l.committed = i
}

// maybeCommit commits up to at.index if the log holds at and that raises
// committed, and reports whether it did. A leader uses it with the quorum's
// match index and its own term: only entries of the current term are
// committed by counting replicas (§5.4.2). (An addition for the core's
// convenience.)
func (l *raftLog) maybeCommit(at entryID) bool {
	if at.index > l.committed && l.matchTerm(at) {
		l.commitTo(at.index)
		return true
	}
	return false
}

// appliedTo records that the application has applied everything up to
// index i; size is the total Entry.Size() of the entries this releases from
// the applying budget (those handed out with acceptApplying that are now
// applied).
//
// Panics if i > committed or i < applied: only committed entries are
// applied, and applied never decreases.
func (l *raftLog) appliedTo(i uint64, size uint64) {
	if i > l.committed || i < l.applied {
		l.logger().Panicf("applied index %d is out of range [prevApplied=%d, committed=%d]", i, l.applied, l.committed)
	}
	l.applied = i
	l.applying = max(l.applying, i)
	l.applyingEntsSize -= min(size, l.applyingEntsSize)
}

// acceptApplying records that the committed entries up to index i, of
// total Entry.Size() size, were handed to the application for applying
// (as Ready.CommittedEntries or a MsgStorageApply). allowUnstable must be
// the value given to the nextCommittedEnts call that produced them.
//
// Panics if i < applying or i > the highest index nextCommittedEnts could
// have returned: entries are handed out in order, and only committed (and,
// without allowUnstable, persisted) ones.
func (l *raftLog) acceptApplying(i uint64, size uint64, allowUnstable bool) {
	if i < l.applying || i > l.maxAppliableIndex(allowUnstable) {
		l.logger().Panicf("applying index %d is out of range [applying=%d, maxAppliable=%d]",
			i, l.applying, l.maxAppliableIndex(allowUnstable))
	}
	l.applying = i
	l.applyingEntsSize += size
}

// maxAppliableIndex returns the highest index that may be handed out for
// applying: committed, and if allowUnstable is false also persisted (the
// entries at unstable.offset and after are not, even if the storage still
// holds stale entries at those indexes).
func (l *raftLog) maxAppliableIndex(allowUnstable bool) uint64 {
	hi := l.committed
	if !allowUnstable {
		hi = min(hi, l.unstable.offset-1)
	}
	return hi
}

// applyBudget returns the number of bytes that may still be handed out for
// applying, and whether at least one entry must be allowed regardless
// (nothing is in flight).
func (l *raftLog) applyBudget() (budget uint64, atLeastOne bool) {
	if l.applyingEntsSize >= l.maxApplyingEntsSize {
		return 0, l.applyingEntsSize == 0
	}
	return l.maxApplyingEntsSize - l.applyingEntsSize, l.applyingEntsSize == 0
}

// hasNextCommittedEnts reports whether nextCommittedEnts(allowUnstable)
// would return entries. It costs at most a one-entry read, and only when a
// finite applying budget is partly used.
func (l *raftLog) hasNextCommittedEnts(allowUnstable bool) bool {
	if l.hasNextOrInProgressSnapshot() {
		// The snapshot must be applied first; entries after it wait.
		return false
	}
	lo, hi := l.applying+1, l.maxAppliableIndex(allowUnstable)+1
	if lo >= hi {
		return false
	}
	budget, atLeastOne := l.applyBudget()
	if atLeastOne || l.maxApplyingEntsSize == noLimit {
		return true
	}
	if budget == 0 {
		return false
	}
	next, err := l.slice(lo, lo+1, noLimit)
	if err != nil || len(next) == 0 {
		// nextCommittedEnts would fail alike; let it report the problem.
		return err != nil
	}
	return uint64(next[0].Size()) <= budget
}

// nextCommittedEnts returns the committed entries after applying that may
// be handed to the application now: up to committed (and, if allowUnstable
// is false, only persisted ones), bounded by the remaining applying budget.
// When nothing is in flight, at least one entry is returned even if it
// exceeds the budget. Nothing is returned while an unstable snapshot is
// pending: it must be applied first.
//
// Panics if the entries cannot be read: committed entries after applied are
// never compacted, so a failure means the storage is broken.
func (l *raftLog) nextCommittedEnts(allowUnstable bool) []pb.Entry {
	if l.hasNextOrInProgressSnapshot() {
		return nil
	}
	lo, hi := l.applying+1, l.maxAppliableIndex(allowUnstable)+1
	if lo >= hi {
		return nil
	}
	budget, atLeastOne := l.applyBudget()
	if budget == 0 && !atLeastOne {
		return nil
	}
	ents, err := l.slice(lo, hi, budget)
	if err != nil {
		l.logger().Panicf("unexpected error reading committed entries [%d, %d): %v", lo, hi, err)
	}
	if !atLeastOne && len(ents) > 0 && uint64(ents[0].Size()) > budget {
		// slice returns at least one entry; here it does not fit.
		return nil
	}
	return ents
}

// hasNextUnstableEnts reports whether there are unstable entries not yet
// handed out for writing.
func (l *raftLog) hasNextUnstableEnts() bool {
	return len(l.nextUnstableEnts()) > 0
}

// hasNextOrInProgressUnstableEnts reports whether there are unstable
// entries, handed out for writing or not.
func (l *raftLog) hasNextOrInProgressUnstableEnts() bool {
	return len(l.unstable.entries) > 0
}

// nextUnstableEnts returns the unstable entries not yet handed out for
// writing.
func (l *raftLog) nextUnstableEnts() []pb.Entry {
	return l.unstable.nextEntries()
}

// hasNextUnstableSnapshot reports whether there is an unstable snapshot not
// yet handed out for writing.
func (l *raftLog) hasNextUnstableSnapshot() bool {
	return l.unstable.nextSnapshot() != nil
}

// hasNextOrInProgressSnapshot reports whether there is an unstable
// snapshot, handed out for writing or not.
func (l *raftLog) hasNextOrInProgressSnapshot() bool {
	return l.unstable.snapshot != nil
}

// nextUnstableSnapshot returns the unstable snapshot if it has not been
// handed out for writing yet, else nil.
func (l *raftLog) nextUnstableSnapshot() *pb.Snapshot {
	return l.unstable.nextSnapshot()
}

// acceptUnstable marks the current unstable entries and snapshot as handed
// out for writing.
func (l *raftLog) acceptUnstable() {
	l.unstable.acceptInProgress()
}

// stableTo records that the entries up to id have been persisted. Stale
// confirmations (for entries since replaced) are ignored.
func (l *raftLog) stableTo(id entryID) {
	offset := l.unstable.offset
	l.unstable.stableTo(id)
	if l.unstable.offset != offset {
		// The entries up to id are durable, and the write that carried
		// them truncated anything after them in storage; later writes,
		// if any, are still in unstable.
		l.stableLast = id.index
	}
}

// stableSnapTo records that the snapshot at index i has been persisted.
func (l *raftLog) stableSnapTo(i uint64) {
	if s := l.unstable.snapshot; s != nil && s.Metadata.Index == i {
		// Installing a snapshot replaces the storage's whole log.
		l.stableLast = i
	}
	l.unstable.stableSnapTo(i)
}

// restore replaces the log with the snapshot s: unstable holds it until it
// is persisted, committed moves to its index, and so does applying (the
// snapshot is now the application's to apply).
//
// Panics if s.Metadata.Index < committed: committed never decreases.
func (l *raftLog) restore(s pb.Snapshot) {
	if s.Metadata.Index < l.committed {
		l.logger().Panicf("restoring snapshot %d/%d would lower committed (%d)",
			s.Metadata.Term, s.Metadata.Index, l.committed)
	}
	l.committed = s.Metadata.Index
	// The snapshot goes to the application for applying (with the next
	// Ready, or the apply thread once it is durable); entries after it
	// follow. Nothing before it is handed out any more.
	l.applying = max(l.applying, s.Metadata.Index)
	l.unstable.restore(s)
}

// snapshot returns the unstable snapshot if there is one, else the
// storage's.
func (l *raftLog) snapshot() (pb.Snapshot, error) {
	if l.unstable.snapshot != nil {
		return *l.unstable.snapshot, nil
	}
	return l.storage.Snapshot()
}

// entries returns the entries from index i through lastIndex(), bounded by
// maxSize bytes (at least one entry). It returns no entries if i >
// lastIndex(), and errors as slice does.
func (l *raftLog) entries(i uint64, maxSize uint64) ([]pb.Entry, error) {
	last := l.lastIndex()
	if i > last {
		return nil, nil
	}
	return l.slice(i, last+1, maxSize)
}

// allEntries returns every available entry, for tests and debugging.
//
// Panics if they cannot be read.
func (l *raftLog) allEntries() []pb.Entry {
	ents, err := l.entries(l.firstIndex(), noLimit)
	if err != nil {
		l.logger().Panicf("unexpected error reading all entries: %v", err)
	}
	return ents
}

// slice returns the entries with indexes in [lo, hi), from storage and
// unstable, bounded by maxSize bytes of Entry.Size(): a prefix of the range,
// of at least one entry when lo < hi.
//
// It returns ErrCompacted if lo < firstIndex(), ErrUnavailable if hi >
// lastIndex()+1, an error if lo > hi, and any storage error. The result is
// not copied when the range lies within one of the two parts; callers must
// not modify it.
func (l *raftLog) slice(lo, hi uint64, maxSize uint64) ([]pb.Entry, error) {
	if err := l.checkBounds(lo, hi); err != nil {
		return nil, err
	}
	if lo == hi {
		return nil, nil
	}
	offset := l.unstable.offset
	if lo >= offset {
		return limitSize(l.unstable.slice(lo, hi), maxSize), nil
	}

	cut := min(hi, offset)
	ents, err := l.storage.Entries(lo, cut, maxSize)
	if err != nil {
		if errors.Is(err, ErrCompacted) {
			return nil, err
		}
		if errors.Is(err, ErrUnavailable) {
			// We checked the bounds: the storage does not hold what its
			// LastIndex (or our unstable offset) promised.
			return nil, fmt.Errorf("storage lost entries [%d, %d) below the unstable offset %d: %w",
				lo, cut, offset, err)
		}
		return nil, fmt.Errorf("reading entries [%d, %d) from storage: %w", lo, cut, err)
	}
	if len(ents) == 0 || uint64(len(ents)) > cut-lo || ents[0].Index != lo {
		return nil, fmt.Errorf("storage returned %d entries for the range [%d, %d)", len(ents), lo, cut)
	}
	if hi <= offset || uint64(len(ents)) < cut-lo {
		// Entirely in storage, or cut short by maxSize.
		return ents, nil
	}

	size := entsSize(ents)
	if size >= maxSize {
		return ents, nil
	}
	more := l.unstable.slice(offset, hi)
	n := 0
	for n < len(more) {
		size += uint64(more[n].Size())
		if size > maxSize {
			break
		}
		n++
	}
	if n == 0 {
		return ents, nil
	}
	// The range spans both parts: copy into a fresh slice so that neither
	// the storage's nor unstable's memory is aliased.
	res := make([]pb.Entry, 0, len(ents)+n)
	res = append(res, ents...)
	return append(res, more[:n]...), nil
}

// checkBounds checks that [lo, hi) is a valid range of available entries:
// lo <= hi, lo >= firstIndex() and hi <= lastIndex()+1.
func (l *raftLog) checkBounds(lo, hi uint64) error {
	if lo > hi {
		return fmt.Errorf("invalid slice [%d, %d): lo > hi", lo, hi)
	}
	first, err := l.tryFirstIndex()
	if err != nil {
		return fmt.Errorf("reading the storage's first index: %w", err)
	}
	if lo < first {
		return ErrCompacted
	}
	last, err := l.tryLastIndex()
	if err != nil {
		return fmt.Errorf("reading the storage's last index: %w", err)
	}
	if hi > last+1 {
		return ErrUnavailable
	}
	return nil
}

// scan visits the entries in [lo, hi) in order, page by page: fn is called
// with consecutive non-empty slices of at most pageSize bytes each (or a
// single larger entry). It stops at, and returns, the first error from
// reading or from fn. The slices must not be modified or retained after fn
// returns.
//
// It serves to inspect a range, such as the uncommitted tail when looking
// for a pending configuration change, without loading it all at once.
func (l *raftLog) scan(lo, hi uint64, pageSize uint64, fn func([]pb.Entry) error) error {
	for lo < hi {
		ents, err := l.slice(lo, hi, pageSize)
		if err != nil {
			return err
		}
		if len(ents) == 0 {
			return fmt.Errorf("scan [%d, %d): got no entries", lo, hi)
		}
		if err := fn(ents); err != nil {
			return err
		}
		lo += uint64(len(ents))
	}
	return nil
}
