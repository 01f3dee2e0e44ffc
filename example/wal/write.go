package wal

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// keepSnapshots is how many snapshot files are kept: the newest, and one
// before it as a fallback an operator can turn to by hand.
const keepSnapshots = 2

// maxRetainedBuf bounds the write buffer kept between batches.
const maxRetainedBuf = 1 << 20

// batch collects the bytes of one Save for the current segment, so that
// they reach the operating system in one write.
type batch struct {
	buf    []byte
	newSeg bool // a segment file was created: the directory needs a sync
}

// Save persists what a Ready (or a MsgStorageAppend) asks for, in this
// order: the snapshot if it is not empty (as ApplySnapshot does), then the
// entries (an entry at index i replaces everything from i on; entries at
// compacted indexes are ignored), then the HardState if it is not empty.
//
// All records of the batch are written with one write call and made
// durable with one fsync (plus one per segment that fills up during the
// batch, and one of the directory when a segment was created); a snapshot
// is synced on its own first. When Save returns nil, everything it was
// given is on stable storage, unless Options.NoSync is set.
//
// Save keeps the entries (sharing their Data) in its cache: the caller must
// not modify them afterwards. It returns an error, and writes nothing, if
// the entries are not contiguous or would leave a gap after the last
// index, and raft.ErrSnapOutOfDate if snap is not newer than the current
// snapshot. Any I/O error is returned by every later mutation too.
func (s *Storage) Save(hs pb.HardState, ents []pb.Entry, snap pb.Snapshot) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	return s.save(hs, ents, snap)
}

// Append persists entries as Save(pb.HardState{}, ents, pb.Snapshot{}) does.
// It exists so that a Storage can stand where a *raft.MemoryStorage did.
func (s *Storage) Append(ents []pb.Entry) error {
	return s.Save(pb.HardState{}, ents, pb.Snapshot{})
}

// SetHardState persists hs as Save(hs, nil, pb.Snapshot{}) does.
func (s *Storage) SetHardState(hs pb.HardState) error {
	return s.Save(hs, nil, pb.Snapshot{})
}

// ApplySnapshot installs a snapshot received from the leader, as Save(
// pb.HardState{}, nil, snap) does: the snapshot file is written atomically,
// the log is discarded and restarts after the snapshot's index, and the
// segments of the old log are deleted. It returns raft.ErrSnapOutOfDate if
// snap is not newer than the current snapshot (an empty one never is).
func (s *Storage) ApplySnapshot(snap pb.Snapshot) error {
	if raft.IsEmptySnap(snap) {
		return raft.ErrSnapOutOfDate
	}
	return s.Save(pb.HardState{}, nil, snap)
}

func (s *Storage) save(hs pb.HardState, ents []pb.Entry, snap pb.Snapshot) error {
	w, err := s.planSave(hs, ents, snap)
	if err != nil || w.empty() {
		return err
	}
	var snapPath string
	if w.snap != nil {
		if snapPath, err = writeSnapshotFile(s.dir, w.snap, !s.opts.NoSync); err != nil {
			return s.fail(err)
		}
	}
	b, resetSeq, err := s.writeBatch(w, snapPath)
	if err != nil {
		return err
	}
	if err := s.syncBatch(&b); err != nil {
		return s.fail(err)
	}
	if w.snap == nil {
		return nil
	}
	// The reset segment is durable: the old log is no longer needed.
	s.mu.Lock()
	var victims []*segment
	for len(s.segs) > 0 && s.segs[0].seq < resetSeq {
		victims = append(victims, s.segs[0])
		s.segs = s.segs[1:]
	}
	s.mu.Unlock()
	if err := s.deleteSegments(victims); err != nil {
		return err
	}
	return s.removeOldSnapshots()
}

// saveWork is a validated Save: what it has to write.
type saveWork struct {
	snap *pb.Snapshot  // nil if none
	ents []pb.Entry    // without the compacted prefix
	hs   *pb.HardState // nil if unchanged or empty
}

func (w saveWork) empty() bool { return w.snap == nil && len(w.ents) == 0 && w.hs == nil }

// planSave checks a Save's arguments against the current state, changing
// nothing. Called with wmu held: only holders of wmu change the state, so
// what it reads stays true until the write.
func (s *Storage) planSave(hs pb.HardState, ents []pb.Entry, snap pb.Snapshot) (saveWork, error) {
	for i := range ents {
		if i > 0 && ents[i].Index != ents[i-1].Index+1 {
			return saveWork{}, fmt.Errorf("appending non-contiguous entries: index %d follows %d", ents[i].Index, ents[i-1].Index)
		}
		if n := ents[i].Size(); uint64(n) > maxPayload {
			return saveWork{}, fmt.Errorf("wal: entry %d of %d bytes exceeds the record limit", ents[i].Index, n)
		}
	}
	s.mu.RLock()
	err := s.usable()
	snapIndex, prev, last, curHS := s.snap.Index, s.prevIndex, s.lastIndex(), s.hs
	s.mu.RUnlock()
	if err != nil {
		return saveWork{}, err
	}
	var w saveWork
	if !raft.IsEmptySnap(snap) {
		if snap.Metadata.Index <= snapIndex {
			return saveWork{}, raft.ErrSnapOutOfDate
		}
		w.snap = &snap
		prev, last = snap.Metadata.Index, snap.Metadata.Index
	}
	if n := len(ents); n > 0 {
		switch {
		case ents[n-1].Index <= prev:
			ents = nil // all compacted
		case ents[0].Index <= prev:
			ents = ents[prev+1-ents[0].Index:]
		}
	}
	if len(ents) > 0 && ents[0].Index > last+1 {
		return saveWork{}, fmt.Errorf("missing log entries: last index %d, appending at %d", last, ents[0].Index)
	}
	w.ents = ents
	if !raft.IsEmptyHardState(hs) && hs != curHS {
		w.hs = &hs
	}
	return w, nil
}

// writeBatch installs w in memory and hands its records to the operating
// system with one write per segment touched. It returns the batch (for
// syncBatch) and the sequence number of the reset segment if w has a
// snapshot, whose file is at snapPath. Called with wmu held; takes mu.
func (s *Storage) writeBatch(w saveWork, snapPath string) (batch, uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := batch{buf: s.wbuf[:0]}
	var resetSeq uint64
	err := func() error {
		if w.snap != nil {
			m := w.snap.Metadata
			s.snap = m
			s.snapFiles = append(s.snapFiles, snapPath)
			s.prevIndex, s.prevTerm = m.Index, m.Term
			s.ents = nil
			s.cache, s.cacheBytes = nil, 0
			if err := s.roll(&b, m.Index+1, m.Term, flagReset); err != nil {
				return err
			}
			resetSeq = s.current().seq
		}
		if err := s.appendEntries(&b, w.ents); err != nil {
			return err
		}
		if w.hs != nil {
			var err error
			if b.buf, err = appendMessageRecord(b.buf, recHardState, w.hs); err != nil {
				return err
			}
			s.hs = *w.hs
		}
		return s.flush(&b)
	}()
	if err != nil && s.failed == nil {
		s.failed = err
	}
	if cap(b.buf) <= maxRetainedBuf {
		s.wbuf = b.buf[:0]
	}
	return b, resetSeq, err
}

// appendEntries adds the records of ents to b and to the in-memory state,
// rolling to a new segment when the current one is full or when an entry
// replaces a suffix that starts below the current segment's base. Must be
// called with wmu and mu held; ents is non-compacted and starts at or
// before lastIndex()+1.
func (s *Storage) appendEntries(b *batch, ents []pb.Entry) error {
	for k := range ents {
		e := &ents[k]
		cur := s.current()
		full := cur.hasEntry && cur.size+int64(len(b.buf)) >= s.opts.SegmentSize
		if e.Index < cur.base || full {
			// The entry goes first in the new segment, keeping every entry
			// record of a segment at or above its base.
			if err := s.roll(b, e.Index, s.term(e.Index-1), 0); err != nil {
				return err
			}
			cur = s.current()
		}
		if e.Index <= s.lastIndex() {
			s.truncate(e.Index)
		}
		off := cur.size + int64(len(b.buf))
		var err error
		if b.buf, err = appendMessageRecord(b.buf, recEntry, e); err != nil {
			return err
		}
		size := uint32(cur.size + int64(len(b.buf)) - off - frameHeaderSize)
		s.ents = append(s.ents, entryLoc{term: e.Term, seg: cur, off: off, size: size})
		cur.hasEntry = true
		s.cacheAppend(*e)
	}
	return nil
}

// truncate drops the entries from index i on (i in [firstIndex(),
// lastIndex()]) from the index and the cache.
func (s *Storage) truncate(i uint64) {
	cacheFirst := s.lastIndex() + 1 - uint64(len(s.cache))
	if i <= cacheFirst {
		s.cache, s.cacheBytes = nil, 0
	} else {
		// Copy the kept part: callers may hold slices of the old array,
		// which later appends must not overwrite.
		n := i - cacheFirst
		kept := make([]pb.Entry, n, n+16)
		copy(kept, s.cache[:n])
		for j := i; j <= s.lastIndex(); j++ {
			s.cacheBytes -= uint64(s.ents[j-s.firstIndex()].size)
		}
		s.cache = kept
	}
	s.ents = s.ents[:i-s.firstIndex()]
}

// cacheAppend adds e, just appended to the index, to the cache and evicts
// the oldest entries beyond the size limit.
func (s *Storage) cacheAppend(e pb.Entry) {
	if s.opts.CacheSize == 0 {
		return
	}
	s.cache = append(s.cache, e)
	s.cacheBytes += uint64(s.ents[len(s.ents)-1].size)
	for len(s.cache) > 0 && s.cacheBytes > uint64(s.opts.CacheSize) {
		oldest := s.lastIndex() + 1 - uint64(len(s.cache))
		s.cacheBytes -= uint64(s.ents[oldest-s.firstIndex()].size)
		s.cache = s.cache[1:]
	}
}

// roll starts a new segment whose header says the log continues at base
// after an entry of term prevTerm. The current segment is first flushed and
// synced, so that a segment is only ever created after all the ones before
// it are complete on disk: only the last segment can have a torn tail.
// Must be called with wmu and mu held.
func (s *Storage) roll(b *batch, base, prevTerm uint64, flags uint16) error {
	seq := uint64(1)
	if len(s.segs) > 0 {
		if err := s.flush(b); err != nil {
			return err
		}
		cur := s.current()
		if !s.opts.NoSync {
			if err := cur.f.Sync(); err != nil {
				return fmt.Errorf("wal: syncing %s: %w", cur.path, err)
			}
		}
		seq = cur.seq + 1
	}
	path := filepath.Join(s.dir, segmentName(seq, base))
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_RDWR, 0o644)
	if err != nil {
		return fmt.Errorf("wal: creating segment: %w", err)
	}
	s.segs = append(s.segs, &segment{seq: seq, base: base, prevTerm: prevTerm, path: path, f: f})
	h := segmentHeader{Flags: flags, Seq: seq, Base: base, PrevTerm: prevTerm}
	b.buf = appendRecord(b.buf, recSegmentHeader, h.marshal())
	// Repeat the HardState, so that deleting older segments never loses it.
	if !raft.IsEmptyHardState(s.hs) {
		if b.buf, err = appendMessageRecord(b.buf, recHardState, &s.hs); err != nil {
			return err
		}
	}
	b.newSeg = true
	return nil
}

// flush writes b's bytes at the end of the current segment.
func (s *Storage) flush(b *batch) error {
	if len(b.buf) == 0 {
		return nil
	}
	cur := s.current()
	if _, err := cur.f.WriteAt(b.buf, cur.size); err != nil {
		return fmt.Errorf("wal: writing %s: %w", cur.path, err)
	}
	cur.size += int64(len(b.buf))
	b.buf = b.buf[:0]
	return nil
}

// syncBatch makes a flushed batch durable: one fsync of the current
// segment, and one of the directory if the batch created a segment. Called
// with wmu held only; segs is stable while wmu is held.
func (s *Storage) syncBatch(b *batch) error {
	if s.opts.NoSync {
		return nil
	}
	cur := s.current()
	if err := cur.f.Sync(); err != nil {
		return fmt.Errorf("wal: syncing %s: %w", cur.path, err)
	}
	if b.newSeg {
		return syncDir(s.dir)
	}
	return nil
}

// deleteSegments closes and removes segments, oldest first, syncing the
// directory after each removal. The order matters: a crash part way leaves
// the newest victims in place, so the surviving segments still have
// consecutive sequence numbers and Open can tell a missing segment from an
// interrupted deletion. Called with wmu held; the victims are no longer in
// segs, so no reader can reach them.
func (s *Storage) deleteSegments(victims []*segment) error {
	for _, seg := range victims {
		seg.f.Close()
		if err := os.Remove(seg.path); err != nil {
			return s.fail(fmt.Errorf("wal: removing %s: %w", seg.path, err))
		}
		if !s.opts.NoSync {
			if err := syncDir(s.dir); err != nil {
				return s.fail(err)
			}
		}
	}
	return nil
}

// removeOldSnapshots deletes all but the newest keepSnapshots snapshot
// files. Called with wmu held.
func (s *Storage) removeOldSnapshots() error {
	s.mu.Lock()
	var victims []string
	if n := len(s.snapFiles); n > keepSnapshots {
		victims = append(victims, s.snapFiles[:n-keepSnapshots]...)
		s.snapFiles = append([]string(nil), s.snapFiles[n-keepSnapshots:]...)
	}
	s.mu.Unlock()
	for _, p := range victims {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			return s.fail(fmt.Errorf("wal: removing %s: %w", p, err))
		}
	}
	return nil
}

// CreateSnapshot records a snapshot of the state machine as of index i,
// with the configuration cs (the previous snapshot's if nil) and the
// application's data, in a new snapshot file written atomically, and
// returns it. Like MemoryStorage it does not compact the log: call Compact.
// Only the newest two snapshot files are kept.
//
// It returns raft.ErrSnapOutOfDate if i is not newer than the current
// snapshot, raft.ErrCompacted if the term of i is no longer known (i <
// FirstIndex()-1), and an error wrapping raft.ErrUnavailable if i is beyond
// the last index.
func (s *Storage) CreateSnapshot(i uint64, cs *pb.ConfState, data []byte) (pb.Snapshot, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.RLock()
	err := s.usable()
	if err == nil {
		switch last := s.lastIndex(); {
		case i <= s.snap.Index:
			err = raft.ErrSnapOutOfDate
		case i < s.prevIndex:
			err = raft.ErrCompacted
		case i > last:
			err = fmt.Errorf("snapshot index %d is beyond the last index %d: %w", i, last, raft.ErrUnavailable)
		}
	}
	var snap pb.Snapshot
	if err == nil {
		snap.Metadata = pb.SnapshotMetadata{ConfState: s.snap.ConfState, Index: i, Term: s.term(i)}
		if cs != nil {
			snap.Metadata.ConfState = *cs
		}
		snap.Data = data
	}
	s.mu.RUnlock()
	if err != nil {
		return pb.Snapshot{}, err
	}
	path, err := writeSnapshotFile(s.dir, &snap, !s.opts.NoSync)
	if err != nil {
		return pb.Snapshot{}, s.fail(err)
	}
	s.mu.Lock()
	s.snap = snap.Metadata
	s.snapFiles = append(s.snapFiles, path)
	s.mu.Unlock()
	return snap, s.removeOldSnapshots()
}

// Compact discards the log up to compactIndex as far as whole segments
// allow: it deletes every segment older than the one holding entry
// compactIndex+1 (the current segment if compactIndex is the last index).
// FirstIndex then reflects what is kept, which may be below
// compactIndex+1; entries below it answer raft.ErrCompacted. The current
// segment is never deleted.
//
// It returns raft.ErrCompacted if compactIndex < FirstIndex(), and an error
// wrapping raft.ErrUnavailable if it is beyond the last index.
func (s *Storage) Compact(compactIndex uint64) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	if err := s.usable(); err != nil {
		s.mu.Unlock()
		return err
	}
	if compactIndex <= s.prevIndex {
		s.mu.Unlock()
		return raft.ErrCompacted
	}
	last := s.lastIndex()
	if compactIndex > last {
		s.mu.Unlock()
		return fmt.Errorf("compact index %d is beyond the last index %d: %w", compactIndex, last, raft.ErrUnavailable)
	}
	keep := s.current()
	if compactIndex < last {
		keep = s.ents[compactIndex+1-s.firstIndex()].seg
	}
	p := 0
	for s.segs[p] != keep {
		p++
	}
	victims := append([]*segment(nil), s.segs[:p]...)
	s.segs = append([]*segment(nil), s.segs[p:]...)
	// Every live entry >= keep.base is in keep or later, and the entry at
	// keep.base-1 still has the term the header recorded (changing it would
	// have dropped keep's entries). So replay from keep yields the log from
	// keep.base on, and memory must say the same.
	if newPrev := keep.base - 1; newPrev > s.prevIndex {
		cacheFirst := last + 1 - uint64(len(s.cache))
		for cacheFirst <= newPrev && len(s.cache) > 0 {
			s.cacheBytes -= uint64(s.ents[cacheFirst-s.firstIndex()].size)
			s.cache = s.cache[1:]
			cacheFirst++
		}
		s.ents = append([]entryLoc(nil), s.ents[newPrev-s.prevIndex:]...)
		s.prevIndex, s.prevTerm = newPrev, keep.prevTerm
	}
	s.mu.Unlock()
	return s.deleteSegments(victims)
}

// Close syncs the current segment (unless NoSync) and releases the files
// and the directory lock. Every method returns ErrClosed afterwards.
func (s *Storage) Close() error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return ErrClosed
	}
	s.closed = true
	var err error
	if s.failed == nil && !s.opts.NoSync && len(s.segs) > 0 {
		err = s.current().f.Sync()
	}
	for _, seg := range s.segs {
		if cerr := seg.f.Close(); err == nil {
			err = cerr
		}
	}
	s.segs = nil
	s.cache, s.ents = nil, nil
	if cerr := s.lock.Close(); err == nil {
		err = cerr
	}
	return err
}

// usable reports why the storage cannot be written, if it cannot. Called
// with mu held.
func (s *Storage) usable() error {
	if s.closed {
		return ErrClosed
	}
	if s.failed != nil {
		return fmt.Errorf("wal: storage failed earlier and must be reopened: %w", s.failed)
	}
	return nil
}

// fail records err as the storage's first write failure and returns it.
func (s *Storage) fail(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failed == nil {
		s.failed = err
	}
	return err
}
