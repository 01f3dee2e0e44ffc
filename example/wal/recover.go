package wal

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	pb "github.com/raftcore/raft/raftpb"
)

// Open opens the storage in dir, creating the directory if needed, and
// recovers its state: the newest snapshot, then the segments replayed in
// order (see the package documentation for the rules). A torn write at the
// tail of the last segment is cut off; damage anywhere else is an error
// matching ErrCorrupt. Open takes a lock on the directory, released by
// Close.
func Open(dir string, opts Options) (*Storage, error) {
	opts = opts.withDefaults()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("wal: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	s := &Storage{dir: dir, opts: opts, lock: lock}
	if err := s.recover(); err != nil {
		for _, seg := range s.segs {
			seg.f.Close()
		}
		lock.Close()
		return nil, err
	}
	return s, nil
}

type fileRef struct {
	a, b uint64 // seq and base for segments, term and index for snapshots
	path string
}

func (s *Storage) recover() error {
	segFiles, snapFiles, err := s.scanDir()
	if err != nil {
		return err
	}
	for k := 1; k < len(segFiles); k++ {
		if want := segFiles[k-1].a + 1; segFiles[k].a != want {
			return &CorruptError{File: segFiles[k].path, Offset: -1,
				Reason: fmt.Sprintf("segment %d, which should precede it, is missing", want)}
		}
	}

	var snap pb.SnapshotMetadata
	if n := len(snapFiles); n > 0 {
		sn, err := readSnapshotFile(snapFiles[n-1].path)
		if err != nil {
			return err
		}
		snap = sn.Metadata
		for _, f := range snapFiles {
			s.snapFiles = append(s.snapFiles, f.path)
		}
	}

	// Replay the segments.
	started := false
	resetPos := 0 // position in s.segs of the last segment with flagReset
	for k, f := range segFiles {
		seg, reset, err := s.replaySegment(f.path, f.a, f.b, k == len(segFiles)-1, &started)
		if err != nil {
			return err
		}
		if seg == nil {
			continue // torn at creation, removed
		}
		if reset {
			resetPos = len(s.segs)
		}
		s.segs = append(s.segs, seg)
	}

	needReset := s.reconcile(snap, started)
	s.snap = snap

	var victims []*segment
	if needReset {
		var b batch
		if err := s.roll(&b, s.prevIndex+1, s.prevTerm, flagReset); err != nil {
			return err
		}
		if err := s.flush(&b); err != nil {
			return err
		}
		if err := s.syncBatch(&b); err != nil {
			return err
		}
		victims = s.segs[:len(s.segs)-1]
	} else {
		victims = s.segs[:resetPos]
	}
	s.segs = append([]*segment(nil), s.segs[len(victims):]...)
	if err := s.deleteSegments(victims); err != nil {
		return err
	}
	if err := s.removeOldSnapshots(); err != nil {
		return err
	}
	return s.fillCache()
}

// reconcile checks the replayed log against the newest snapshot and
// reports whether the log must restart after it (also when there was no
// log at all). A snapshot the log agrees with (or one the log was compacted
// past) needs nothing. Otherwise the snapshot came from a leader and the
// crash hit before its reset segment was durable: the log is reset, as
// ApplySnapshot would have, and the caller writes the reset segment.
func (s *Storage) reconcile(snap pb.SnapshotMetadata, started bool) bool {
	needReset := !started
	if snap.Index > 0 && started {
		switch {
		case snap.Index < s.prevIndex:
		case snap.Index <= s.lastIndex() && s.term(snap.Index) == snap.Term:
		default:
			needReset = true
		}
	}
	if needReset && snap.Index > 0 {
		s.prevIndex, s.prevTerm = snap.Index, snap.Term
		s.ents = nil
		// The snapshot holds committed state, so its index is committed and
		// its term has been seen; the HardState of the interrupted Save may
		// not have made it to disk.
		s.hs.Commit = max(s.hs.Commit, snap.Index)
		if s.hs.Term < snap.Term {
			s.hs.Term, s.hs.Vote = snap.Term, 0
		}
	}
	return needReset
}

// scanDir lists the segment files (by sequence number) and snapshot files
// (by index) of the directory, removing leftover snapshot temporary files.
func (s *Storage) scanDir() (segFiles, snapFiles []fileRef, err error) {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, nil, fmt.Errorf("wal: %w", err)
	}
	removedTmp := false
	for _, de := range des {
		name := de.Name()
		path := filepath.Join(s.dir, name)
		if strings.HasPrefix(name, snapPrefix) && strings.HasSuffix(name, tmpSuffix) {
			// A snapshot whose write was interrupted; it was never renamed
			// into place, so it never counted.
			if err := os.Remove(path); err != nil {
				return nil, nil, fmt.Errorf("wal: removing leftover %s: %w", path, err)
			}
			removedTmp = true
			continue
		}
		if seq, base, ok := parseSegmentName(name); ok {
			segFiles = append(segFiles, fileRef{seq, base, path})
		} else if term, index, ok := parseSnapName(name); ok {
			snapFiles = append(snapFiles, fileRef{term, index, path})
		}
	}
	if removedTmp && !s.opts.NoSync {
		if err := syncDir(s.dir); err != nil {
			return nil, nil, err
		}
	}
	sort.Slice(segFiles, func(i, j int) bool { return segFiles[i].a < segFiles[j].a })
	sort.Slice(snapFiles, func(i, j int) bool {
		if snapFiles[i].b != snapFiles[j].b {
			return snapFiles[i].b < snapFiles[j].b
		}
		return snapFiles[i].a < snapFiles[j].a
	})
	return segFiles, snapFiles, nil
}

// replaySegment replays one segment file into the state, returning the
// open segment and whether its header resets the log. A nil segment means
// the file was the last one and the write that created it was torn: it was
// removed.
func (s *Storage) replaySegment(path string, seq, base uint64, isLast bool, started *bool) (*segment, bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, false, fmt.Errorf("wal: %w", err)
	}
	seg, reset, err := s.replayFile(f, path, seq, base, isLast, started)
	if seg == nil || err != nil {
		f.Close()
	}
	if err == nil && seg == nil {
		// A crash while the segment was being created: its header or its
		// first entry, and so everything after them, never made it to disk.
		if err := os.Remove(path); err != nil {
			return nil, false, fmt.Errorf("wal: removing torn segment: %w", err)
		}
		if !s.opts.NoSync {
			if err := syncDir(s.dir); err != nil {
				return nil, false, err
			}
		}
	}
	return seg, reset, err
}

func (s *Storage) replayFile(f *os.File, path string, seq, base uint64, isLast bool, started *bool) (*segment, bool, error) {
	data, err := io.ReadAll(f)
	if err != nil {
		return nil, false, fmt.Errorf("wal: reading %s: %w", path, err)
	}
	corrupt := func(off int, format string, args ...any) error {
		return &CorruptError{File: path, Offset: int64(off), Reason: fmt.Sprintf(format, args...)}
	}

	typ, payload, n, err := decodeFrame(data)
	if err != nil {
		if isLast && !validRecordAfter(data, 0) {
			return nil, false, nil
		}
		return nil, false, corrupt(0, "segment header: %v", err)
	}
	if typ != recSegmentHeader {
		return nil, false, corrupt(0, "first record has type %d, not a segment header", typ)
	}
	h, err := unmarshalSegmentHeader(payload)
	if err != nil {
		return nil, false, corrupt(0, "%v", err)
	}
	if h.Seq != seq || h.Base != base {
		return nil, false, corrupt(0, "header says segment %d with base %d, the file name says %d and %d", h.Seq, h.Base, seq, base)
	}
	reset := h.Flags&flagReset != 0
	continues := *started && !reset
	if continues {
		// The header only asserts where the segment attaches; entries it
		// replaces are dropped by its first entry record, so that a torn
		// first entry leaves the log as it was.
		at := h.Base - 1
		if at < s.prevIndex || at > s.lastIndex() || s.term(at) != h.PrevTerm {
			return nil, false, corrupt(0, "segment continues the log after entry %d of term %d, which the segments before it do not hold (they hold (%d, %d])",
				at, h.PrevTerm, s.prevIndex, s.lastIndex())
		}
	} else {
		s.prevIndex, s.prevTerm = h.Base-1, h.PrevTerm
		s.ents = s.ents[:0]
		*started = true
	}
	hsBefore := s.hs

	seg := &segment{seq: seq, base: base, prevTerm: h.PrevTerm, path: path, f: f}
	off := n
	for off < len(data) {
		typ, payload, n, err := decodeFrame(data[off:])
		if err != nil {
			if isLast && !validRecordAfter(data, off) {
				// A torn write: cut it off so that appends continue from a
				// clean end.
				if err := f.Truncate(int64(off)); err != nil {
					return nil, false, fmt.Errorf("wal: truncating torn tail of %s: %w", path, err)
				}
				if !s.opts.NoSync {
					if err := f.Sync(); err != nil {
						return nil, false, fmt.Errorf("wal: syncing %s: %w", path, err)
					}
				}
				break
			}
			return nil, false, corrupt(off, "%v", err)
		}
		if err := s.replayRecord(seg, off, typ, payload); err != nil {
			return nil, false, corrupt(off, "%v", err)
		}
		off += n
	}
	if isLast && continues && !seg.hasEntry {
		// A segment is rolled to write an entry, in the same write as its
		// header (only a reset segment may hold none). Without one, the
		// crash hit that write: the roll did not happen. The hard state
		// copied after the header is the one the older segments hold.
		s.hs = hsBefore
		return nil, false, nil
	}
	seg.size = int64(off)
	return seg, reset, nil
}

// replayRecord applies one record of a segment (other than its header),
// found at offset off, to the state.
func (s *Storage) replayRecord(seg *segment, off int, typ byte, payload []byte) error {
	switch typ {
	case recEntry:
		var e pb.Entry
		if err := e.Unmarshal(payload); err != nil {
			return fmt.Errorf("decoding entry: %w", err)
		}
		if e.Index < seg.base || e.Index <= s.prevIndex || e.Index > s.lastIndex()+1 {
			return fmt.Errorf("entry %d does not fit: segment base %d, log so far (%d, %d]",
				e.Index, seg.base, s.prevIndex, s.lastIndex())
		}
		// An entry at or below the last index replaces the suffix.
		s.ents = append(s.ents[:e.Index-1-s.prevIndex], entryLoc{term: e.Term, seg: seg, off: int64(off), size: uint32(len(payload))})
		seg.hasEntry = true
	case recHardState:
		var hs pb.HardState
		if err := hs.Unmarshal(payload); err != nil {
			return fmt.Errorf("decoding hard state: %w", err)
		}
		s.hs = hs
	default:
		return fmt.Errorf("record of type %d inside a segment", typ)
	}
	return nil
}

// validRecordAfter reports whether a valid record frame starts anywhere
// after offset off. It is how recovery tells a torn tail (nothing valid
// follows the bad record) from damage in the middle (something does).
func validRecordAfter(data []byte, off int) bool {
	for p := off + 1; p+frameHeaderSize <= len(data); p++ {
		if !knownRecordType(data[p+4]) {
			continue
		}
		if _, _, _, err := decodeFrame(data[p:]); err == nil {
			return true
		}
	}
	return false
}

// fillCache loads the most recent entries, up to the cache size, from disk.
func (s *Storage) fillCache() error {
	s.cache, s.cacheBytes = nil, 0
	if s.opts.CacheSize == 0 {
		return nil
	}
	start := s.lastIndex() + 1
	var bytes uint64
	for start > s.firstIndex() {
		sz := uint64(s.ents[start-1-s.firstIndex()].size)
		if bytes+sz > uint64(s.opts.CacheSize) {
			break
		}
		bytes += sz
		start--
	}
	ents, err := s.readEntries(nil, start, s.lastIndex()+1)
	if err != nil {
		return err
	}
	s.cache, s.cacheBytes = ents, bytes
	return nil
}
