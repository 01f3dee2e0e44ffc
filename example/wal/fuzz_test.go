package wal

import (
	"os"
	"path/filepath"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
)

// FuzzRecovery writes arbitrary bytes as a segment file and opens the
// directory. Open must never panic; when it succeeds, the recovered state
// must be readable in full, accept an append, and survive a restart.
//
// The first byte picks where the fuzzed segment sits: alone, after a valid
// segment (so it is the last one, where torn tails are allowed), or before
// one (so it is in the middle).
func FuzzRecovery(f *testing.F) {
	valid := validSegments(f)
	f.Add(append([]byte{0}, valid[0]...))
	f.Add(append([]byte{1}, valid[1]...))
	f.Add(append([]byte{2}, valid[0]...))
	f.Add(append([]byte{1}, valid[1][:len(valid[1])-3]...))
	f.Add([]byte{0})
	f.Add([]byte{1, 0, 0, 0, 0, 0, 0, 0, 0, 0})

	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		mode, data := in[0]%3, in[1:]
		dir := t.TempDir()
		write := func(seq, base uint64, b []byte) {
			if err := os.WriteFile(filepath.Join(dir, segmentName(seq, base)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		switch mode {
		case 0:
			write(1, 1, data)
		case 1:
			write(1, 1, valid[0])
			write(2, 6, data)
		case 2:
			write(1, 1, data)
			write(2, 6, valid[1])
		}
		opts := Options{NoSync: true, CacheSize: 64}
		s, err := Open(dir, opts)
		if err != nil {
			return // refusing is fine; panicking is not
		}
		want := dump(t, s)
		last, _ := s.LastIndex()
		term, _ := s.Term(last)
		hs := s.HardState()
		if err := s.Save(pb.HardState{}, mkEnts(last+1, last+2, max(term, hs.Term)), pb.Snapshot{}); err != nil {
			t.Fatalf("append after recovery: %v", err)
		}
		want = dump(t, s)
		s.Close()
		s, err = Open(dir, opts)
		if err != nil {
			t.Fatalf("reopening after an append: %v", err)
		}
		defer s.Close()
		if got := dump(t, s); got != want {
			t.Fatalf("state changed across a restart:\n%s\nwant\n%s", got, want)
		}
	})
}

// validSegments returns the bytes of two consecutive segments: seq 1 with
// entries 1..5 and seq 2 with entries 6..10.
func validSegments(tb testing.TB) [2][]byte {
	dir := tb.TempDir()
	s := mustOpen(tb, dir, Options{NoSync: true, SegmentSize: 1})
	for i := uint64(1); i <= 10; i++ {
		hs := pb.HardState{}
		if i == 3 {
			hs = pb.HardState{Term: 1, Vote: 1, Commit: 2}
		}
		mustSave(tb, s, hs, mkEnts(i, i+1, 1), pb.Snapshot{})
	}
	s.Close()
	segs := segmentPaths(tb, dir)
	// With SegmentSize 1 every entry has its own segment; stitch the
	// records of entries 1..5 and 6..10 into two segments by rewriting the
	// headers.
	var out [2][]byte
	for k, group := range [][]string{segs[0:5], segs[5:10]} {
		seq := uint64(k + 1)
		var buf []byte
		for j, p := range group {
			b, err := os.ReadFile(p)
			if err != nil {
				tb.Fatal(err)
			}
			_, payload, n, err := decodeFrame(b)
			if err != nil {
				tb.Fatal(err)
			}
			if j == 0 {
				h, err := unmarshalSegmentHeader(payload)
				if err != nil {
					tb.Fatal(err)
				}
				h.Seq = seq
				buf = appendRecord(buf, recSegmentHeader, h.marshal())
			}
			buf = append(buf, b[n:]...)
		}
		out[k] = buf
	}
	return out
}

// TestFuzzSeedsRecover checks that the fuzz target's valid seeds reach the
// interesting path: a successful recovery of both segments.
func TestFuzzSeedsRecover(t *testing.T) {
	valid := validSegments(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, segmentName(1, 1)), valid[0], 0o644)
	os.WriteFile(filepath.Join(dir, segmentName(2, 6)), valid[1], 0o644)
	withStorage(t, dir, Options{NoSync: true}, func(s *Storage) {
		first, _ := s.FirstIndex()
		last, _ := s.LastIndex()
		if first != 1 || last != 10 || s.HardState().Commit != 2 {
			t.Fatalf("recovered [%d, %d] %v", first, last, s.HardState())
		}
	})
}
