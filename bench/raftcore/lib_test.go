package bench

// The message shim for the gogo value-typed generation of raftpb (raftcore
// and etcd raft v3.6). The benchmark bodies read and build messages only
// through these helpers, so that the same bodies compile against etcd raft
// v3.7, whose messages are protobuf-go pointers.

import (
	raft "github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

type (
	message = pb.Message
	entry   = pb.Entry
)

// newStorage returns a MemoryStorage holding a snapshot at index 1, term 1
// whose configuration has the given voters.
func newStorage(voters []uint64) (*raft.MemoryStorage, error) {
	st := raft.NewMemoryStorage()
	err := st.ApplySnapshot(pb.Snapshot{Metadata: pb.SnapshotMetadata{
		Index: 1, Term: 1, ConfState: pb.ConfState{Voters: voters},
	}})
	return st, err
}

func hardState(term, vote, commit uint64) pb.HardState {
	return pb.HardState{Term: term, Vote: vote, Commit: commit}
}

func newEntry(term, index uint64, data []byte) entry {
	return pb.Entry{Type: pb.EntryNormal, Term: term, Index: index, Data: data}
}

func eIndex(e *entry) uint64 { return e.Index }

func newMsg(f fields) message {
	return pb.Message{
		Type: f.Type, To: f.To, From: f.From, Term: f.Term, LogTerm: f.LogTerm,
		Index: f.Index, Commit: f.Commit, Entries: f.Entries, Context: f.Context,
	}
}

func mType(m *message) pb.MessageType { return m.Type }
func mTo(m *message) uint64           { return m.To }
func mFrom(m *message) uint64         { return m.From }
func mTerm(m *message) uint64         { return m.Term }
func mIndex(m *message) uint64        { return m.Index }
func mLen(m *message) int             { return len(m.Entries) }
func mContext(m *message) []byte      { return m.Context }

// marshal encodes m into a new buffer.
func marshal(m *message) ([]byte, error) { return m.Marshal() }

// marshalAppend appends m's encoding to buf.
func marshalAppend(buf []byte, m *message) ([]byte, error) {
	n := m.Size()
	l := len(buf)
	buf = growBytes(buf, n)
	_, err := m.MarshalToSizedBuffer(buf[l : l+n])
	return buf, err
}

// unmarshal decodes a message; the result does not alias data.
func unmarshal(data []byte) (message, error) {
	var m pb.Message
	err := m.Unmarshal(data)
	return m, err
}
