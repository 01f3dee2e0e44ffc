package wal

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// reader is what the comparisons need: raft.Storage.
type reader = raft.Storage

func mustOpen(t testing.TB, dir string, opts Options) *Storage {
	t.Helper()
	s, err := Open(dir, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	return s
}

// mkEnts makes entries [lo, hi) of the given term with a little data that
// names them.
func mkEnts(lo, hi, term uint64) []pb.Entry {
	var out []pb.Entry
	for i := lo; i < hi; i++ {
		out = append(out, pb.Entry{Index: i, Term: term, Data: []byte(fmt.Sprintf("e%d.%d", i, term))})
	}
	return out
}

// errClass names the kind of an error, so that two implementations whose
// messages differ can be compared.
func errClass(err error) string {
	switch {
	case err == nil:
		return "ok"
	case errors.Is(err, raft.ErrCompacted):
		return "compacted"
	case errors.Is(err, raft.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, raft.ErrSnapOutOfDate):
		return "snap-out-of-date"
	case errors.Is(err, ErrCorrupt):
		return "corrupt"
	default:
		return "error"
	}
}

func marshalOf(m interface{ Marshal() ([]byte, error) }) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}

// describeEnts is a compact, comparable form of an Entries result.
func describeEnts(ents []pb.Entry, err error) string {
	if err != nil {
		return errClass(err)
	}
	var sb strings.Builder
	for i := range ents {
		fmt.Fprintf(&sb, "%d/%d:%x ", ents[i].Index, ents[i].Term, marshalOf(&ents[i]))
	}
	return sb.String()
}

func describeTerm(t uint64, err error) string {
	if err != nil {
		return errClass(err)
	}
	return fmt.Sprint(t)
}

// dump is the complete observable state of a storage, as one string. Two
// storages with the same dump answer every query identically.
func dump(t testing.TB, s reader) string {
	t.Helper()
	var sb strings.Builder
	hs, cs, err := s.InitialState()
	if err != nil {
		t.Fatalf("InitialState: %v", err)
	}
	first, err1 := s.FirstIndex()
	last, err2 := s.LastIndex()
	if err1 != nil || err2 != nil {
		t.Fatalf("FirstIndex/LastIndex: %v %v", err1, err2)
	}
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatalf("Snapshot: %v", err)
	}
	fmt.Fprintf(&sb, "hs=%s cs=%x first=%d last=%d snap=%x\n", raft.DescribeHardState(hs), marshalOf(&cs), first, last, marshalOf(&snap))
	for i := first - 1; i <= last+1; i++ {
		fmt.Fprintf(&sb, "term(%d)=%s ", i, describeTerm(s.Term(i)))
	}
	if first >= 2 {
		fmt.Fprintf(&sb, "term(%d)=%s", first-2, describeTerm(s.Term(first-2)))
	}
	sb.WriteString("\n")
	fmt.Fprintf(&sb, "all=%s\n", describeEnts(s.Entries(first, last+1, ^uint64(0))))
	return sb.String()
}

func sameBytes(a, b []byte) bool { return bytes.Equal(a, b) }
