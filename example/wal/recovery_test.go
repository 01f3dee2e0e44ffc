package wal

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// Crash tests. A "crash" is simulated by closing the storage (NoSync, so
// nothing more is written) and then damaging the files the way a torn
// write or a bad disk would.

func segmentPaths(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, segmentPrefix+"*"+segmentSuffix))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

func snapPaths(t testing.TB, dir string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, snapPrefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(m)
	return m
}

// dirImage is the content of every file of a directory.
type dirImage map[string][]byte

func readDir(t testing.TB, dir string) dirImage {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	img := dirImage{}
	for _, de := range des {
		b, err := os.ReadFile(filepath.Join(dir, de.Name()))
		if err != nil {
			t.Fatal(err)
		}
		img[de.Name()] = b
	}
	return img
}

// writeDir makes a fresh directory holding img.
func writeDir(t testing.TB, img dirImage) string {
	t.Helper()
	dir := t.TempDir()
	for name, b := range img {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// withStorage opens dir, runs f, and closes it again.
func withStorage(t testing.TB, dir string, opts Options, f func(s *Storage)) {
	t.Helper()
	s := mustOpen(t, dir, opts)
	f(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func mustSave(t testing.TB, s *Storage, hs pb.HardState, ents []pb.Entry, snap pb.Snapshot) {
	t.Helper()
	if err := s.Save(hs, ents, snap); err != nil {
		t.Fatalf("Save: %v", err)
	}
}

// lastWrite sets up a directory, then performs one more write, and returns
// the images before and after that write and the file it appended to, with
// the size that file had before.
func lastWrite(t *testing.T, opts Options, setup, last func(s *Storage)) (before, after dirImage, file string, from int) {
	dir := t.TempDir()
	withStorage(t, dir, opts, setup)
	before = readDir(t, dir)
	withStorage(t, dir, opts, last)
	after = readDir(t, dir)
	segs := segmentPaths(t, dir)
	file = filepath.Base(segs[len(segs)-1])
	return before, after, file, len(before[file])
}

func stateOf(t testing.TB, img dirImage, opts Options) string {
	t.Helper()
	var d string
	withStorage(t, writeDir(t, img), opts, func(s *Storage) { d = dump(t, s) })
	return d
}

func TestTornTailEveryOffset(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 1 << 10}
	base := func(s *Storage) {
		mustSave(t, s, pb.HardState{Term: 1, Vote: 1, Commit: 2}, mkEnts(1, 11, 1), pb.Snapshot{})
	}
	appendOne := func(term uint64) func(s *Storage) {
		return func(s *Storage) {
			l, _ := s.LastIndex()
			mustSave(t, s, pb.HardState{}, mkEnts(l+1, l+2, term), pb.Snapshot{})
		}
	}
	cases := []struct {
		name        string
		setup, last func(s *Storage)
		newSegment  bool // the last write starts a segment
	}{
		{name: "entry", setup: base, last: appendOne(1)},
		{name: "conflicting entry", setup: base, last: func(s *Storage) {
			mustSave(t, s, pb.HardState{}, mkEnts(7, 8, 2), pb.Snapshot{})
		}},
		{name: "hard state", setup: base, last: func(s *Storage) {
			mustSave(t, s, pb.HardState{Term: 2, Vote: 3, Commit: 5}, nil, pb.Snapshot{})
		}},
		{name: "new segment", newSegment: true, setup: func(s *Storage) {
			base(s)
			for s.current().size < opts.SegmentSize {
				appendOne(1)(s)
			}
		}, last: appendOne(1)},
		{name: "conflict below the segment base", newSegment: true, setup: func(s *Storage) {
			base(s)
			for len(s.segs) < 2 {
				appendOne(1)(s)
			}
		}, last: func(s *Storage) {
			mustSave(t, s, pb.HardState{}, mkEnts(5, 6, 2), pb.Snapshot{})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before, after, file, from := lastWrite(t, opts, tc.setup, tc.last)
			if _, existed := before[file]; existed == tc.newSegment {
				t.Fatalf("the last write appended to %s, which existed before: %v", file, existed)
			}
			checkTornRange(t, opts, before, after, file, from)
		})
	}
}

// checkTornRange cuts file at every offset in [from, len(after[file])) and
// checks that recovery yields exactly the state before the write, leaves a
// clean tail, and accepts new appends.
func checkTornRange(t *testing.T, opts Options, before, after dirImage, file string, from int) {
	t.Helper()
	want := stateOf(t, before, opts)
	full := after[file]
	if len(full) <= from {
		t.Fatalf("the last write added nothing to %s", file)
	}
	for cut := from; cut < len(full); cut++ {
		img := dirImage{}
		for k, v := range after {
			img[k] = v
		}
		img[file] = full[:cut]
		dir := writeDir(t, img)
		s, err := Open(dir, opts)
		if err != nil {
			t.Fatalf("cut at %d of %d: %v", cut, len(full), err)
		}
		if got := dump(t, s); got != want {
			t.Fatalf("cut at %d of %d: recovered\n%s\nwant\n%s", cut, len(full), got, want)
		}
		// The tail was cut back to the last good record (or the torn
		// segment removed), so a new append is clean.
		l, _ := s.LastIndex()
		mustSave(t, s, pb.HardState{}, mkEnts(l+1, l+2, 9), pb.Snapshot{})
		wantAfter := dump(t, s)
		s.Close()
		withStorage(t, dir, opts, func(s *Storage) {
			if got := dump(t, s); got != wantAfter {
				t.Fatalf("cut at %d: after an append and a restart\n%s\nwant\n%s", cut, got, wantAfter)
			}
		})
	}
}

// TestTornBatchKeepsPrefix cuts a batch of entries anywhere: recovery keeps
// a prefix of the batch, never a hole or a damaged entry.
func TestTornBatchKeepsPrefix(t *testing.T) {
	opts := Options{NoSync: true}
	_, after, file, from := lastWrite(t, opts,
		func(s *Storage) { mustSave(t, s, pb.HardState{Term: 1}, mkEnts(1, 5, 1), pb.Snapshot{}) },
		func(s *Storage) { mustSave(t, s, pb.HardState{Term: 2, Commit: 4}, mkEnts(3, 9, 2), pb.Snapshot{}) })
	full := after[file]
	// Each cut must recover one of these logs, in this order as the cut
	// grows: the old log, then 1..2 of term 1 followed by 3..k of term 2.
	want := []string{describeEnts(mkEnts(1, 5, 1), nil)}
	for k := uint64(3); k <= 8; k++ {
		want = append(want, describeEnts(append(mkEnts(1, 3, 1), mkEnts(3, k+1, 2)...), nil))
	}
	at := 0
	for cut := from; cut <= len(full); cut++ {
		img := dirImage{}
		for k, v := range after {
			img[k] = v
		}
		img[file] = full[:cut]
		withStorage(t, writeDir(t, img), opts, func(s *Storage) {
			l, _ := s.LastIndex()
			got := describeEnts(s.Entries(1, l+1, ^uint64(0)))
			for at < len(want) && want[at] != got {
				at++
			}
			if at == len(want) {
				t.Fatalf("cut %d of %d: recovered %s, not a prefix of the batch in order", cut, len(full), got)
			}
			hs := s.HardState()
			if cut == len(full) && (at != len(want)-1 || hs.Term != 2) {
				t.Fatalf("the whole batch recovered to %s, %v", got, hs)
			}
		})
	}
}

func flipByte(img dirImage, file string, off int) dirImage {
	out := dirImage{}
	for k, v := range img {
		out[k] = v
	}
	b := append([]byte(nil), img[file]...)
	b[off] ^= 0x5a
	out[file] = b
	return out
}

// recordSpans lists the [start, end) of every record in a segment image.
func recordSpans(t testing.TB, data []byte) [][2]int {
	var spans [][2]int
	for off := 0; off < len(data); {
		_, _, n, err := decodeFrame(data[off:])
		if err != nil {
			t.Fatalf("record at %d: %v", off, err)
		}
		spans = append(spans, [2]int{off, off + n})
		off += n
	}
	return spans
}

// TestBitFlips uses this rule: a bad record is a torn write only if it is
// in the last segment and no valid record frame starts anywhere after it;
// otherwise it is ErrCorrupt naming the file and the record's offset.
func TestBitFlips(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 200}
	dir := t.TempDir()
	withStorage(t, dir, opts, func(s *Storage) {
		mustSave(t, s, pb.HardState{Term: 1, Vote: 1, Commit: 1}, nil, pb.Snapshot{})
		for i := uint64(1); i <= 20; i++ {
			mustSave(t, s, pb.HardState{}, mkEnts(i, i+1, 1), pb.Snapshot{})
		}
	})
	img := readDir(t, dir)
	segs := segmentPaths(t, dir)
	if len(segs) < 3 {
		t.Fatalf("want at least 3 segments, have %d", len(segs))
	}

	expectCorrupt := func(t *testing.T, img dirImage, file string, off int) {
		t.Helper()
		_, err := Open(writeDir(t, img), opts)
		var ce *CorruptError
		if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ce) {
			t.Fatalf("Open = %v, want ErrCorrupt", err)
		}
		if filepath.Base(ce.File) != file || ce.Offset != int64(off) {
			t.Fatalf("error names %s at %d, want %s at %d: %v", filepath.Base(ce.File), ce.Offset, file, off, err)
		}
		if !strings.Contains(err.Error(), file) {
			t.Fatalf("message %q does not name the file", err)
		}
	}

	t.Run("middle of the last segment", func(t *testing.T) {
		file := filepath.Base(segs[len(segs)-1])
		spans := recordSpans(t, img[file])
		if len(spans) < 3 {
			t.Fatalf("only %d records in the last segment", len(spans))
		}
		for _, sp := range spans[:len(spans)-1] {
			for off := sp[0]; off < sp[1]; off++ {
				expectCorrupt(t, flipByte(img, file, off), file, sp[0])
			}
		}
	})
	t.Run("every record of a non-last segment", func(t *testing.T) {
		file := filepath.Base(segs[1])
		for _, sp := range recordSpans(t, img[file]) {
			for off := sp[0]; off < sp[1]; off++ {
				expectCorrupt(t, flipByte(img, file, off), file, sp[0])
			}
		}
	})
	t.Run("last record is dropped as torn", func(t *testing.T) {
		file := filepath.Base(segs[len(segs)-1])
		spans := recordSpans(t, img[file])
		sp := spans[len(spans)-1]
		// The state without the last record: the same image cut before it.
		cut := dirImage{}
		for k, v := range img {
			cut[k] = v
		}
		cut[file] = img[file][:sp[0]]
		want := stateOf(t, cut, opts)
		for off := sp[0]; off < sp[1]; off++ {
			if got := stateOf(t, flipByte(img, file, off), opts); got != want {
				t.Fatalf("flip at %d: recovered\n%s\nwant\n%s", off, got, want)
			}
		}
	})
}

// TestLeftoverSnapshotTempFile: an interrupted snapshot write leaves a
// temporary file, which Open ignores and removes.
func TestLeftoverSnapshotTempFile(t *testing.T) {
	opts := Options{NoSync: true}
	dir := t.TempDir()
	var want pb.Snapshot
	withStorage(t, dir, opts, func(s *Storage) {
		mustSave(t, s, pb.HardState{Term: 1, Commit: 4}, mkEnts(1, 10, 1), pb.Snapshot{})
		var err error
		if want, err = s.CreateSnapshot(4, &pb.ConfState{Voters: []uint64{1}}, []byte("four")); err != nil {
			t.Fatal(err)
		}
	})
	// A newer snapshot, half written; and a complete-looking one that was
	// never renamed.
	tmp1 := filepath.Join(dir, snapName(1, 8)+tmpSuffix)
	os.WriteFile(tmp1, []byte{1, 2, 3}, 0o644)
	full, _ := appendMessageRecord(nil, recSnapshot, &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 9, Term: 1}})
	tmp2 := filepath.Join(dir, snapName(1, 9)+tmpSuffix)
	os.WriteFile(tmp2, full, 0o644)

	withStorage(t, dir, opts, func(s *Storage) {
		got, err := s.Snapshot()
		if err != nil || !sameBytes(marshalOf(&got), marshalOf(&want)) {
			t.Fatalf("Snapshot = %v, %v; want %v", got.Metadata, err, want.Metadata)
		}
	})
	for _, p := range []string{tmp1, tmp2} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatalf("%s was not removed: %v", p, err)
		}
	}
}

func TestCorruptSnapshotIsAnError(t *testing.T) {
	opts := Options{NoSync: true}
	dir := t.TempDir()
	withStorage(t, dir, opts, func(s *Storage) {
		mustSave(t, s, pb.HardState{}, mkEnts(1, 5, 1), pb.Snapshot{})
		if _, err := s.CreateSnapshot(3, nil, []byte("three")); err != nil {
			t.Fatal(err)
		}
	})
	p := snapPaths(t, dir)[0]
	b, _ := os.ReadFile(p)
	b[len(b)-1] ^= 1
	os.WriteFile(p, b, 0o644)
	if _, err := Open(dir, opts); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), filepath.Base(p)) {
		t.Fatalf("Open = %v, want ErrCorrupt naming %s", err, p)
	}
}

func TestMissingSegmentIsAnError(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 100}
	dir := t.TempDir()
	withStorage(t, dir, opts, func(s *Storage) {
		for i := uint64(1); i <= 20; i++ {
			mustSave(t, s, pb.HardState{}, mkEnts(i, i+1, 1), pb.Snapshot{})
		}
	})
	segs := segmentPaths(t, dir)
	os.Remove(segs[len(segs)/2])
	if _, err := Open(dir, opts); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("Open = %v, want ErrCorrupt for a missing segment", err)
	}
}

// TestCompactionDeletesSegments checks which files go and what FirstIndex
// then says.
func TestCompactionDeletesSegments(t *testing.T) {
	opts := Options{NoSync: true, SegmentSize: 200}
	dir := t.TempDir()
	s := mustOpen(t, dir, opts)
	defer func() { s.Close() }()
	for i := uint64(1); i <= 100; i++ {
		mustSave(t, s, pb.HardState{Term: 1, Commit: i}, mkEnts(i, i+1, 1), pb.Snapshot{})
	}
	n := len(segmentPaths(t, dir))
	if n < 10 {
		t.Fatalf("only %d segments", n)
	}
	if err := s.Compact(60); err != nil {
		t.Fatal(err)
	}
	first, _ := s.FirstIndex()
	holder := s.ents[61-first].seg
	if first != holder.base || first > 61 {
		t.Fatalf("FirstIndex %d, want the base %d of the segment holding 61", first, holder.base)
	}
	onDisk := segmentPaths(t, dir)
	if len(onDisk) != len(s.segs) || onDisk[0] != holder.path {
		t.Fatalf("files %v remain, want those from %s on", onDisk, holder.path)
	}
	if _, err := s.Term(first - 2); !errors.Is(err, raft.ErrCompacted) {
		t.Fatalf("Term below the first index: %v", err)
	}
	if _, err := s.Term(first - 1); err != nil {
		t.Fatalf("Term(FirstIndex-1): %v", err)
	}
	// Compacting again inside the kept part of the first segment deletes
	// nothing.
	if err := s.Compact(first); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.FirstIndex(); got != first || len(segmentPaths(t, dir)) != len(onDisk) {
		t.Fatalf("a compaction within the first segment changed FirstIndex to %d", got)
	}
	// To the last index: everything but the current segment goes.
	if err := s.Compact(100); err != nil {
		t.Fatal(err)
	}
	if got := segmentPaths(t, dir); len(got) != 1 {
		t.Fatalf("after Compact(last): %v", got)
	}
	if hs, _, _ := s.InitialState(); hs.Commit != 100 {
		t.Fatalf("hard state lost with the segments: %v", hs)
	}
	want := dump(t, s)
	s.Close()
	s = mustOpen(t, dir, opts)
	if got := dump(t, s); got != want {
		t.Fatalf("after restart\n%s\nwant\n%s", got, want)
	}
}

// TestApplySnapshotCrashWindow: the snapshot file of a snapshot from the
// leader is durable but the crash came before the reset segment was.
// Recovery must finish the job.
func TestApplySnapshotCrashWindow(t *testing.T) {
	opts := Options{NoSync: true}
	for _, tc := range []struct {
		name        string
		index, term uint64
	}{
		{"beyond the log", 30, 3},
		{"inside the log, other term", 15, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			withStorage(t, dir, opts, func(s *Storage) {
				mustSave(t, s, pb.HardState{Term: 2, Vote: 2, Commit: 5}, mkEnts(1, 21, 1), pb.Snapshot{})
			})
			snap := snapAt(tc.index, tc.term, 1, 2, 3)
			if _, err := writeSnapshotFile(dir, &snap, false); err != nil {
				t.Fatal(err)
			}
			var want string
			withStorage(t, dir, opts, func(s *Storage) {
				first, _ := s.FirstIndex()
				last, _ := s.LastIndex()
				hs, cs, _ := s.InitialState()
				if first != tc.index+1 || last != tc.index {
					t.Fatalf("log [%d, %d], want empty after %d", first, last, tc.index)
				}
				if hs != (pb.HardState{Term: 3, Commit: tc.index}) {
					t.Fatalf("hard state %v", hs)
				}
				if len(cs.Voters) != 3 {
					t.Fatalf("conf state %v", cs)
				}
				want = dump(t, s)
			})
			if segs := segmentPaths(t, dir); len(segs) != 1 {
				t.Fatalf("segments %v, want only the reset one", segs)
			}
			withStorage(t, dir, opts, func(s *Storage) {
				if got := dump(t, s); got != want {
					t.Fatalf("second restart\n%s\nwant\n%s", got, want)
				}
			})
		})
	}
}

// TestTornResetSegment: ApplySnapshot crashed while writing its reset
// segment. The torn segment goes, and the snapshot still wins.
func TestTornResetSegment(t *testing.T) {
	opts := Options{NoSync: true}
	dir := t.TempDir()
	withStorage(t, dir, opts, func(s *Storage) {
		mustSave(t, s, pb.HardState{Term: 1, Commit: 3}, mkEnts(1, 11, 1), pb.Snapshot{})
	})
	oldImg := readDir(t, dir)
	withStorage(t, dir, opts, func(s *Storage) {
		if err := s.ApplySnapshot(snapAt(20, 2, 1)); err != nil {
			t.Fatal(err)
		}
	})
	newImg := readDir(t, dir)
	// The crash image: the old segments, the new snapshot, half a header.
	img := dirImage{}
	for k, v := range oldImg {
		img[k] = v
	}
	for k, v := range newImg {
		if _, ok := oldImg[k]; !ok {
			if strings.HasPrefix(k, segmentPrefix) {
				v = v[:frameHeaderSize+5]
			}
			img[k] = v
		}
	}
	withStorage(t, writeDir(t, img), opts, func(s *Storage) {
		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		if first != 21 || last != 20 {
			t.Fatalf("log [%d, %d], want empty after the snapshot at 20", first, last)
		}
	})
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, Options{NoSync: true})
	defer s.Close()
	if s2, err := Open(dir, Options{NoSync: true}); err == nil {
		s2.Close()
		t.Fatal("a second Open of the same directory succeeded")
	}
}

func TestClosedStorage(t *testing.T) {
	s := mustOpen(t, t.TempDir(), Options{NoSync: true})
	s.Close()
	if _, err := s.LastIndex(); !errors.Is(err, ErrClosed) {
		t.Fatalf("LastIndex after Close: %v", err)
	}
	if err := s.Append(mkEnts(1, 2, 1)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}
