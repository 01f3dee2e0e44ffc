package wal

import (
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// ErrCorrupt is matched (with errors.Is) by every error that reports damage
// that recovery must not silently repair: a bad record in the middle of the
// log, a missing segment, an unreadable snapshot. The concrete error is a
// *CorruptError naming the file and offset.
var ErrCorrupt = errors.New("wal: corrupt data")

// ErrClosed is returned by every method called after Close.
var ErrClosed = errors.New("wal: storage is closed")

// CorruptError describes damage found in a file of the storage directory.
type CorruptError struct {
	File   string // path of the damaged file
	Offset int64  // byte offset of the damaged record, -1 for the file as a whole
	Reason string
}

// Error implements the error interface.
func (e *CorruptError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("wal: corrupt file %s: %s", e.File, e.Reason)
	}
	return fmt.Sprintf("wal: corrupt record in %s at offset %d: %s", e.File, e.Offset, e.Reason)
}

// Is makes errors.Is(err, ErrCorrupt) true for a *CorruptError.
func (e *CorruptError) Is(target error) bool { return target == ErrCorrupt }

// Options tunes a Storage. The zero value gives the defaults.
type Options struct {
	// SegmentSize is the size at which the current segment is closed and a
	// new one started (checked before each entry, so a segment overshoots
	// by at most one batch's worth of the entry that crosses it). Zero means
	// DefaultSegmentSize. Tests set it small to exercise rolling and
	// compaction; 1 gives one entry per segment.
	SegmentSize int64

	// CacheSize bounds the bytes (Entry.Size()) of the most recent entries
	// kept in memory; older entries are read from the segment files. Zero
	// means DefaultCacheSize; a negative value disables the cache.
	CacheSize int64

	// NoSync skips every fsync: of segments, snapshot files and the
	// directory. Writes still reach the operating system before the call
	// returns, so they survive a crash of the process, but not of the
	// machine. For benchmarks and tests only.
	NoSync bool
}

// Defaults for Options.
const (
	DefaultSegmentSize = 64 << 20
	DefaultCacheSize   = 4 << 20
)

func (o Options) withDefaults() Options {
	if o.SegmentSize <= 0 {
		o.SegmentSize = DefaultSegmentSize
	}
	if o.CacheSize == 0 {
		o.CacheSize = DefaultCacheSize
	}
	if o.CacheSize < 0 {
		o.CacheSize = 0
	}
	return o
}

// Storage is a raft.Storage kept in a directory: a log of segment files and
// snapshot files (see the package documentation for the format). Reads of
// term and extent are served from an in-memory index, entries from a cache
// of the most recent ones or else from disk. It is safe for concurrent use:
// raft may read while the application writes.
type Storage struct {
	dir  string
	opts Options
	lock *os.File

	// wmu serializes mutations (Save, CreateSnapshot, Compact,
	// ApplySnapshot, Close). It is held across fsyncs; mu is not, so readers
	// are only blocked while a write updates memory and hands bytes to the
	// operating system.
	wmu sync.Mutex
	// wbuf is the write buffer reused between batches. Guarded by wmu.
	wbuf []byte

	mu sync.RWMutex
	// closed is set by Close. Guarded by mu.
	closed bool
	// failed is the first write error. After it the on-disk state is
	// unknown, so every later mutation returns it: the application must
	// stop and reopen (fsync errors in particular cannot be retried).
	failed error

	hs pb.HardState
	// snap describes the newest snapshot file, snapFiles all of them, oldest
	// first (the last is snap's).
	snap      pb.SnapshotMetadata
	snapFiles []string

	// The log. prevIndex/prevTerm identify the entry just before the first
	// one kept (the last compacted one, or the snapshot's).
	//
	// Invariant: ents[k] describes the entry at index prevIndex+1+k.
	prevIndex, prevTerm uint64
	ents                []entryLoc

	// segs are the segment files, oldest first; the last is appended to.
	//
	// Invariant: len(segs) >= 1 while open. Every live entry of segs[k] has
	// an index >= segs[k].base, and the segment of entry i never decreases
	// as i grows (a conflicting append writes into the newest segment).
	segs []*segment

	// cache holds the most recent entries, [lastIndex()+1-len(cache),
	// lastIndex()], sharing them with callers (who must not modify them).
	//
	// Invariant: cacheBytes == sum of cache[k].Size() <= opts.CacheSize.
	cache      []pb.Entry
	cacheBytes uint64
}

// entryLoc says where an entry lives: the frame of its record starts at off
// in seg, and its payload (the marshaled entry) is size bytes, which is
// also its Entry.Size().
type entryLoc struct {
	term uint64
	seg  *segment
	off  int64
	size uint32
}

// segment is one open log file.
type segment struct {
	seq, base uint64
	prevTerm  uint64 // term of the entry at base-1, from the header
	path      string
	f         *os.File
	size      int64 // append offset: bytes of valid records
	hasEntry  bool  // holds at least one entry record (rolling rule)
}

var _ raft.Storage = (*Storage)(nil)

// Dir returns the directory the storage lives in.
func (s *Storage) Dir() string { return s.dir }

func (s *Storage) firstIndex() uint64 { return s.prevIndex + 1 }

func (s *Storage) lastIndex() uint64 { return s.prevIndex + uint64(len(s.ents)) }

// term returns the term of entry i, which must be in [prevIndex, lastIndex()].
func (s *Storage) term(i uint64) uint64 {
	if i == s.prevIndex {
		return s.prevTerm
	}
	return s.ents[i-s.firstIndex()].term
}

func (s *Storage) current() *segment { return s.segs[len(s.segs)-1] }

// InitialState implements raft.Storage: the last saved HardState and the
// ConfState of the newest snapshot.
func (s *Storage) InitialState() (pb.HardState, pb.ConfState, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return pb.HardState{}, pb.ConfState{}, ErrClosed
	}
	return s.hs, s.snap.ConfState, nil
}

// FirstIndex implements raft.Storage. It reflects what is kept on disk,
// which after Compact(i) may be lower than i+1: compaction deletes whole
// segments only. It fails only after Close.
func (s *Storage) FirstIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	return s.firstIndex(), nil
}

// LastIndex implements raft.Storage. It fails only after Close.
func (s *Storage) LastIndex() (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	return s.lastIndex(), nil
}

// Term implements raft.Storage. It never touches the disk.
func (s *Storage) Term(i uint64) (uint64, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, ErrClosed
	}
	if i < s.prevIndex {
		return 0, raft.ErrCompacted
	}
	if i > s.lastIndex() {
		return 0, raft.ErrUnavailable
	}
	return s.term(i), nil
}

// Entries implements raft.Storage. Entries in the cache are returned
// without copying and must not be modified; older ones are read from their
// segment files, their checksums verified (a mismatch is a *CorruptError).
func (s *Storage) Entries(lo, hi, maxSize uint64) ([]pb.Entry, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, ErrClosed
	}
	if lo <= s.prevIndex {
		return nil, raft.ErrCompacted
	}
	if lo > hi {
		return nil, fmt.Errorf("invalid entries range [%d, %d): lo > hi", lo, hi)
	}
	if hi > s.lastIndex()+1 {
		return nil, raft.ErrUnavailable
	}
	if lo == hi {
		return nil, nil
	}

	// Decide how many entries to return from the index alone: the payload
	// size recorded there is Entry.Size().
	first := s.firstIndex()
	end := lo + 1
	size := uint64(s.ents[lo-first].size)
	for ; end < hi; end++ {
		size += uint64(s.ents[end-first].size)
		if size > maxSize {
			break
		}
	}

	cacheFirst := s.lastIndex() + 1 - uint64(len(s.cache))
	if lo >= cacheFirst {
		return s.cache[lo-cacheFirst : end-cacheFirst : end-cacheFirst], nil
	}
	out := make([]pb.Entry, 0, end-lo)
	out, err := s.readEntries(out, lo, min(end, cacheFirst))
	if err != nil {
		return nil, err
	}
	if end > cacheFirst {
		out = append(out, s.cache[:end-cacheFirst]...)
	}
	return out, nil
}

// readEntries appends the entries [lo, hi) read from disk to out. Runs of
// entries whose records are adjacent in one file are read with one call.
// Must be called with mu held (for reading at least).
func (s *Storage) readEntries(out []pb.Entry, lo, hi uint64) ([]pb.Entry, error) {
	first := s.firstIndex()
	for i := lo; i < hi; {
		start := s.ents[i-first]
		j := i + 1
		next := start.off + frameHeaderSize + int64(start.size)
		for j < hi {
			l := s.ents[j-first]
			if l.seg != start.seg || l.off != next {
				break
			}
			next += frameHeaderSize + int64(l.size)
			j++
		}
		buf := make([]byte, next-start.off)
		if _, err := start.seg.f.ReadAt(buf, start.off); err != nil {
			return nil, fmt.Errorf("wal: reading entries [%d, %d) from %s: %w", i, j, start.seg.path, err)
		}
		pos := 0
		for k := i; k < j; k++ {
			loc := s.ents[k-first]
			e, n, err := decodeEntryRecord(buf[pos:])
			if err == nil && (e.Index != k || e.Term != loc.term) {
				err = fmt.Errorf("holds entry %d/%d where the index expects %d/%d", e.Index, e.Term, k, loc.term)
			}
			if err != nil {
				return nil, &CorruptError{File: loc.seg.path, Offset: loc.off, Reason: err.Error()}
			}
			out = append(out, e)
			pos += n
		}
		i = j
	}
	return out, nil
}

// decodeEntryRecord decodes the entry record at buf[0].
func decodeEntryRecord(buf []byte) (pb.Entry, int, error) {
	typ, payload, n, err := decodeFrame(buf)
	if err != nil {
		return pb.Entry{}, 0, err
	}
	if typ != recEntry {
		return pb.Entry{}, 0, fmt.Errorf("record of type %d where an entry was expected", typ)
	}
	var e pb.Entry
	if err := e.Unmarshal(payload); err != nil {
		return pb.Entry{}, 0, fmt.Errorf("decoding entry: %w", err)
	}
	return e, n, nil
}

// Snapshot implements raft.Storage: the newest snapshot, read from its file
// (the empty snapshot if there is none).
func (s *Storage) Snapshot() (pb.Snapshot, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return pb.Snapshot{}, ErrClosed
	}
	if len(s.snapFiles) == 0 {
		return pb.Snapshot{}, nil
	}
	// Holding mu keeps the file from being deleted under us: old snapshot
	// files are only removed after a newer one has been installed, which
	// takes mu for writing.
	snap, err := readSnapshotFile(s.snapFiles[len(s.snapFiles)-1])
	if err != nil {
		return pb.Snapshot{}, err
	}
	return snap, nil
}

// HardState returns the last saved HardState (as InitialState does).
func (s *Storage) HardState() pb.HardState {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.hs
}
