package raftpb

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// vectorsFile holds the reference encodings, named, as etcd raft v3.6
// produces them. It is a copy of the project's shared wire vectors, kept here
// so that the test runs in a clean clone of this repository alone.
var vectorsFile = filepath.Join("testdata", "vectors.json")

// wireMsg is what every generated message type offers for encoding.
type wireMsg interface {
	Marshal() ([]byte, error)
	Unmarshal([]byte) error
}

// wireCase is a value whose encoding must equal the vector of the same name;
// empty returns a zero value of the same type to decode into.
type wireCase struct {
	name  string
	value wireMsg
	empty func() wireMsg
}

// wireCases returns the values the vectors were made from.
func wireCases() []wireCase {
	joint := ConfState{
		Voters:         []uint64{1, 2, 3},
		Learners:       []uint64{4},
		VotersOutgoing: []uint64{1, 2, 5},
		LearnersNext:   []uint64{5},
		AutoLeave:      true,
	}
	meta := SnapshotMetadata{ConfState: joint, Index: 1000, Term: 7}
	snap := Snapshot{Data: []byte("state-machine-bytes"), Metadata: meta}
	first := Entry{Type: EntryNormal, Term: 1, Index: 1}
	put := Entry{Type: EntryNormal, Term: 3, Index: 300, Data: []byte("put k=v")}
	cc := Entry{Type: EntryConfChange, Term: 3, Index: 301, Data: []byte{0x08, 0x01}}
	big := Entry{Type: EntryConfChangeV2, Term: 1 << 40, Index: 1<<63 + 5, Data: make([]byte, 300)}
	const maxID = ^uint64(0)

	entry := func() wireMsg { return &Entry{} }
	hardState := func() wireMsg { return &HardState{} }
	confState := func() wireMsg { return &ConfState{} }
	confChange := func() wireMsg { return &ConfChange{} }
	confChangeV2 := func() wireMsg { return &ConfChangeV2{} }
	message := func() wireMsg { return &Message{} }

	return []wireCase{
		{"entry-empty", &Entry{}, entry},
		{"entry-normal", &put, entry},
		{"entry-big", &big, entry},
		{"hardstate-empty", &HardState{}, hardState},
		{"hardstate", &HardState{Term: 9, Vote: 2, Commit: 1234567}, hardState},
		{"confstate-empty", &ConfState{}, confState},
		{"confstate-joint", &joint, confState},
		{"snapshot-metadata", &meta, func() wireMsg { return &SnapshotMetadata{} }},
		{"snapshot", &snap, func() wireMsg { return &Snapshot{} }},
		{"confchange", &ConfChange{ID: 77, Type: ConfChangeRemoveNode, NodeID: 3, Context: []byte("ctx")}, confChange},
		{"confchange-empty", &ConfChange{}, confChange},
		{"confchangesingle", &ConfChangeSingle{Type: ConfChangeAddLearnerNode, NodeID: 12}, func() wireMsg { return &ConfChangeSingle{} }},
		{"confchangev2", &ConfChangeV2{
			Transition: ConfChangeTransitionJointExplicit,
			Changes: []ConfChangeSingle{
				{Type: ConfChangeAddNode, NodeID: 4},
				{Type: ConfChangeRemoveNode, NodeID: 1},
				{Type: ConfChangeUpdateNode, NodeID: 2},
			},
			Context: []byte("why"),
		}, confChangeV2},
		{"confchangev2-empty", &ConfChangeV2{}, confChangeV2},
		{"msg-empty", &Message{}, message},
		{"msg-app", &Message{
			Type: MsgApp, To: 2, From: 1, Term: 3, LogTerm: 2, Index: 299,
			Entries: []Entry{put, cc}, Commit: 290,
		}, message},
		{"msg-app-resp-reject", &Message{
			Type: MsgAppResp, To: 1, From: 2, Term: 3, LogTerm: 2, Index: 299,
			Reject: true, RejectHint: 120,
		}, message},
		{"msg-vote", &Message{
			Type: MsgPreVote, To: 3, From: 1, Term: 4, LogTerm: 3, Index: 301,
			Context: []byte("CampaignTransfer"),
		}, message},
		{"msg-heartbeat", &Message{
			Type: MsgHeartbeat, To: 2, From: 1, Term: 3, Commit: 301, Context: []byte{1, 2, 3},
		}, message},
		{"msg-snap", &Message{Type: MsgSnap, To: 2, From: 1, Term: 7, Snapshot: &snap}, message},
		{"msg-storage-append", &Message{
			Type: MsgStorageAppend, To: maxID, From: 1, Term: 3, Vote: 1, Commit: 300,
			Entries:  []Entry{first, put},
			Snapshot: &snap,
			Responses: []Message{
				{Type: MsgAppResp, To: 1, From: 1, Term: 3, Index: 300},
				{Type: MsgStorageAppendResp, To: 1, From: maxID, Index: 300, LogTerm: 3},
			},
		}, message},
		{"msg-forget-leader", &Message{Type: MsgForgetLeader, To: 1, From: 1}, message},
	}
}

// readVectors returns the reference encodings by name, in file order.
func readVectors(tb testing.TB) (names []string, encodings map[string][]byte) {
	tb.Helper()
	raw, err := os.ReadFile(vectorsFile)
	require.NoError(tb, err)
	var vectors []struct {
		Name string `json:"name"`
		Hex  string `json:"hex"`
	}
	require.NoError(tb, json.Unmarshal(raw, &vectors))
	encodings = make(map[string][]byte, len(vectors))
	for _, v := range vectors {
		b, err := hex.DecodeString(v.Hex)
		require.NoError(tb, err, v.Name)
		_, dup := encodings[v.Name]
		require.False(tb, dup, "vector %s appears twice", v.Name)
		names = append(names, v.Name)
		encodings[v.Name] = b
	}
	return names, encodings
}

func TestWireVectors(t *testing.T) {
	names, want := readVectors(t)
	cases := wireCases()
	require.Len(t, cases, len(names), "one value per vector")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ref, ok := want[c.name]
			require.True(t, ok, "no vector named %s", c.name)

			got, err := c.value.Marshal()
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(ref), hex.EncodeToString(got), "encoding")

			// Decoding the reference bytes gives the value back. Compare by
			// re-encoding, since decoding cannot tell nil from empty bytes.
			back := c.empty()
			require.NoError(t, back.Unmarshal(ref))
			again, err := back.Marshal()
			require.NoError(t, err)
			require.Equal(t, hex.EncodeToString(ref), hex.EncodeToString(again), "decode and re-encode")
		})
	}
}

// TestWireVectorsCopy checks that testdata/vectors.json still matches the
// project's shared vectors, where those are checked out beside the repository.
func TestWireVectorsCopy(t *testing.T) {
	shared, err := os.ReadFile(filepath.Join("..", "..", "shared", "vectors", "raftpb.json"))
	if os.IsNotExist(err) {
		t.Skip("shared vectors not checked out beside the repository")
	}
	require.NoError(t, err)
	local, err := os.ReadFile(vectorsFile)
	require.NoError(t, err)
	require.Equal(t, string(shared), string(local), "testdata/vectors.json is stale: copy ../shared/vectors/raftpb.json over it")
}

// TestWireTruncated checks that decoding any prefix of a vector does not
// panic (a prefix ending between fields is valid input; one ending inside a
// field is an error), and that lengths past the end of the input are errors.
func TestWireTruncated(t *testing.T) {
	_, want := readVectors(t)
	for _, c := range wireCases() {
		ref := want[c.name]
		for cut := 0; cut < len(ref); cut++ {
			require.NotPanics(t, func() { _ = c.empty().Unmarshal(ref[:cut]) }, "%s cut at %d", c.name, cut)
		}
	}
	// A length running past the end of the input is an error.
	var m Message
	require.Error(t, m.Unmarshal([]byte{0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f}))
	require.Error(t, m.Unmarshal([]byte{0x62, 0x05, 'a'}))
}
