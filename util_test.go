package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

func TestIsEmpty(t *testing.T) {
	require.True(t, IsEmptyHardState(pb.HardState{}))
	require.False(t, IsEmptyHardState(pb.HardState{Commit: 1}))
	require.True(t, IsEmptySnap(pb.Snapshot{}))
	require.True(t, IsEmptySnap(pb.Snapshot{Data: []byte("x"), Metadata: pb.SnapshotMetadata{Term: 1}}))
	require.False(t, IsEmptySnap(pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 1}}))
}

func TestMustSync(t *testing.T) {
	prev := pb.HardState{Term: 2, Vote: 1, Commit: 3}
	for _, tt := range []struct {
		st      pb.HardState
		entsnum int
		want    bool
	}{
		{prev, 0, false},
		{pb.HardState{Term: 2, Vote: 1, Commit: 9}, 0, false}, // commit alone
		{prev, 1, true},
		{pb.HardState{Term: 3, Vote: 1, Commit: 3}, 0, true},
		{pb.HardState{Term: 2, Vote: 2, Commit: 3}, 0, true},
	} {
		require.Equal(t, tt.want, MustSync(tt.st, prev, tt.entsnum), "%+v %d", tt.st, tt.entsnum)
	}
}

func TestMsgTypeTraits(t *testing.T) {
	local := map[pb.MessageType]bool{
		pb.MsgHup: true, pb.MsgBeat: true, pb.MsgUnreachable: true, pb.MsgSnapStatus: true,
		pb.MsgCheckQuorum: true, pb.MsgStorageAppend: true, pb.MsgStorageAppendResp: true,
		pb.MsgStorageApply: true, pb.MsgStorageApplyResp: true,
	}
	response := map[pb.MessageType]bool{
		pb.MsgAppResp: true, pb.MsgVoteResp: true, pb.MsgHeartbeatResp: true, pb.MsgUnreachable: true,
		pb.MsgReadIndexResp: true, pb.MsgPreVoteResp: true, pb.MsgStorageAppendResp: true,
		pb.MsgStorageApplyResp: true,
	}
	// Every known type, and unknown values on both sides.
	require.Len(t, msgTraits, len(pb.MessageType_name), "the table covers every known type")
	for typ := pb.MessageType(-2); int(typ) < len(pb.MessageType_name)+3; typ++ {
		require.Equal(t, local[typ], IsLocalMsg(typ), "IsLocalMsg(%s)", typ)
		require.Equal(t, response[typ], IsResponseMsg(typ), "IsResponseMsg(%s)", typ)
	}
}

func TestIsLocalMsgTarget(t *testing.T) {
	require.True(t, IsLocalMsgTarget(LocalAppendThread))
	require.True(t, IsLocalMsgTarget(LocalApplyThread))
	require.False(t, IsLocalMsgTarget(None))
	require.False(t, IsLocalMsgTarget(1))
	require.False(t, IsLocalMsgTarget(LocalApplyThread-1))
}

func TestVoteRespMsgType(t *testing.T) {
	require.Equal(t, pb.MsgVoteResp, voteRespMsgType(pb.MsgVote))
	require.Equal(t, pb.MsgPreVoteResp, voteRespMsgType(pb.MsgPreVote))
	require.Panics(t, func() { voteRespMsgType(pb.MsgApp) })
}

func TestLimitSize(t *testing.T) {
	ents := []pb.Entry{{Index: 4, Term: 4}, {Index: 5, Term: 5}, {Index: 6, Term: 6}}
	sz := uint64(ents[0].Size())
	for _, tt := range []struct {
		maxSize uint64
		want    int
	}{
		{noLimit, 3}, {0, 1}, {sz, 1}, {2*sz - 1, 1}, {2 * sz, 2}, {3*sz - 1, 2}, {3 * sz, 3},
	} {
		require.Len(t, limitSize(ents, tt.maxSize), tt.want, "maxSize %d", tt.maxSize)
	}
	require.Empty(t, limitSize(nil, 0))
	require.Equal(t, 3*sz, entsSize(ents))
}

func mustMarshal(t *testing.T, cc pb.ConfChangeI) (pb.EntryType, []byte) {
	t.Helper()
	typ, data, err := pb.MarshalConfChange(cc)
	require.NoError(t, err)
	return typ, data
}

func TestDescribeEntry(t *testing.T) {
	ccTyp, cc := mustMarshal(t, pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: 4})
	cc2Typ, cc2 := mustMarshal(t, pb.ConfChangeV2{Changes: []pb.ConfChangeSingle{
		{Type: pb.ConfChangeAddNode, NodeID: 4}, {Type: pb.ConfChangeAddLearnerNode, NodeID: 5}}})
	_, joint := mustMarshal(t, pb.ConfChangeV2{Transition: pb.ConfChangeTransitionJointExplicit,
		Changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeRemoveNode, NodeID: 1}, {Type: pb.ConfChangeAddNode, NodeID: 6}}})
	_, implicit := mustMarshal(t, pb.ConfChangeV2{Transition: pb.ConfChangeTransitionJointImplicit,
		Changes: []pb.ConfChangeSingle{{Type: pb.ConfChangeUpdateNode, NodeID: 2}}})
	_, leave := mustMarshal(t, pb.ConfChangeV2{})
	require.Equal(t, pb.EntryConfChange, ccTyp)
	require.Equal(t, pb.EntryConfChangeV2, cc2Typ)

	upper := func(b []byte) string { return fmt.Sprintf("<%X>", b) }
	for _, tt := range []struct {
		e    pb.Entry
		f    EntryFormatter
		want string
	}{
		{pb.Entry{Term: 2, Index: 5}, nil, "2/5"},
		{pb.Entry{Term: 2, Index: 5, Data: []byte("put x=1")}, nil, `2/5 "put x=1"`},
		{pb.Entry{Term: 2, Index: 5, Data: []byte{0, 'a'}}, nil, `2/5 "\x00a"`},
		{pb.Entry{Term: 2, Index: 5, Data: []byte("ab")}, upper, "2/5 <6162>"},
		{pb.Entry{Term: 2, Index: 6, Type: pb.EntryConfChange, Data: cc}, nil, "2/6 EntryConfChange v4"},
		{pb.Entry{Term: 2, Index: 7, Type: pb.EntryConfChangeV2, Data: cc2}, upper, "2/7 EntryConfChangeV2 v4 l5"},
		{pb.Entry{Term: 2, Index: 8, Type: pb.EntryConfChangeV2, Data: joint}, nil, "2/8 EntryConfChangeV2 joint-explicit r1 v6"},
		{pb.Entry{Term: 2, Index: 8, Type: pb.EntryConfChangeV2, Data: implicit}, nil, "2/8 EntryConfChangeV2 joint-implicit u2"},
		{pb.Entry{Term: 2, Index: 9, Type: pb.EntryConfChangeV2, Data: leave}, nil, "2/9 EntryConfChangeV2 leave-joint"},
		{pb.Entry{Term: 2, Index: 9, Type: pb.EntryConfChangeV2}, nil, "2/9 EntryConfChangeV2 leave-joint"},
		{pb.Entry{Term: 2, Index: 9, Type: pb.EntryConfChange, Data: []byte{0xff}}, nil, "2/9 EntryConfChange <undecodable: "},
		{pb.Entry{Term: 2, Index: 9, Type: 7, Data: []byte("abc")}, nil, "2/9 7 data=3B"},
	} {
		got := DescribeEntry(tt.e, tt.f)
		if want := tt.want; want[len(want)-1] == ' ' {
			require.Contains(t, got, want)
		} else {
			require.Equal(t, want, got)
		}
	}
	require.Equal(t, "1/1\n1/2 \"x\"\n", DescribeEntries([]pb.Entry{{Term: 1, Index: 1}, {Term: 1, Index: 2, Data: []byte("x")}}, nil))
	require.Empty(t, DescribeEntries(nil, nil))
}

func TestDescribeStates(t *testing.T) {
	require.Equal(t, "Term:0 Commit:0", DescribeHardState(pb.HardState{}))
	require.Equal(t, "Term:3 Vote:1 Commit:5", DescribeHardState(pb.HardState{Term: 3, Vote: 1, Commit: 5}))

	require.Equal(t, "voters=()", DescribeConfState(pb.ConfState{}))
	require.Equal(t, "voters=(1 2 3)", DescribeConfState(pb.ConfState{Voters: []uint64{1, 2, 3}}))
	require.Equal(t, "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave",
		DescribeConfState(pb.ConfState{Voters: []uint64{1, 2, 3}, VotersOutgoing: []uint64{1, 2},
			Learners: []uint64{4}, LearnersNext: []uint64{5}, AutoLeave: true}))

	snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 10, Term: 2, ConfState: pb.ConfState{Voters: []uint64{1, 2}}}}
	require.Equal(t, "2/10 voters=(1 2)", DescribeSnapshot(snap))
	snap.Data = make([]byte, 42)
	require.Equal(t, "2/10 voters=(1 2) data=42B", DescribeSnapshot(snap))
}

func TestDescribeMessage(t *testing.T) {
	snap := &pb.Snapshot{Metadata: pb.SnapshotMetadata{Index: 10, Term: 2, ConfState: pb.ConfState{Voters: []uint64{1, 2}}}}
	for _, tt := range []struct {
		m    pb.Message
		want string
	}{
		{pb.Message{Type: pb.MsgHup, From: 1, To: 1},
			"1->1 MsgHup Term:0"},
		{pb.Message{Type: pb.MsgApp, From: 1, To: 2, Term: 3, LogTerm: 2, Index: 299, Commit: 290,
			Entries: []pb.Entry{{Term: 3, Index: 300, Data: []byte("x")}, {Term: 3, Index: 301}}},
			`1->2 MsgApp Term:3 Log:2/299 Commit:290 Entries:[3/300 "x", 3/301]`},
		{pb.Message{Type: pb.MsgAppResp, From: 2, To: 1, Term: 3, LogTerm: 2, Index: 301, Reject: true, RejectHint: 299},
			"2->1 MsgAppResp Term:3 Log:2/301 Rejected Hint:299"},
		{pb.Message{Type: pb.MsgVote, From: 2, To: 3, Term: 4, LogTerm: 3, Index: 9, Context: []byte("CampaignTransfer")},
			`2->3 MsgVote Term:4 Log:3/9 Context:"CampaignTransfer"`},
		{pb.Message{Type: pb.MsgSnap, From: 1, To: 3, Term: 3, Snapshot: snap},
			"1->3 MsgSnap Term:3 Snapshot:{2/10 voters=(1 2)}"},
		{pb.Message{Type: pb.MsgSnap, From: 1, To: 3, Term: 3, Snapshot: &pb.Snapshot{}},
			"1->3 MsgSnap Term:3"},
		{pb.Message{Type: pb.MsgStorageAppend, From: 1, To: LocalAppendThread, Term: 3, LogTerm: 3, Index: 301,
			Commit: 300, Vote: 1, Entries: []pb.Entry{{Term: 3, Index: 301}},
			Responses: []pb.Message{
				{Type: pb.MsgStorageAppendResp, From: LocalAppendThread, To: 1, Term: 3, LogTerm: 3, Index: 301},
				{Type: pb.MsgAppResp, From: 1, To: 2, Term: 3, Index: 301},
			}},
			"1->AppendThread MsgStorageAppend Term:3 Log:3/301 Commit:300 Vote:1 Entries:[3/301] " +
				"Responses:[AppendThread->1 MsgStorageAppendResp Term:3 Log:3/301, 1->2 MsgAppResp Term:3 Log:0/301]"},
		{pb.Message{Type: pb.MsgStorageApply, From: 1, To: LocalApplyThread, Entries: []pb.Entry{{Term: 3, Index: 300}},
			Responses: []pb.Message{{Type: pb.MsgStorageApplyResp, From: LocalApplyThread, To: 1, Entries: []pb.Entry{{Term: 3, Index: 300}}}}},
			"1->ApplyThread MsgStorageApply Term:0 Entries:[3/300] Responses:[ApplyThread->1 MsgStorageApplyResp Term:0 Entries:[3/300]]"},
	} {
		require.Equal(t, tt.want, DescribeMessage(tt.m, nil))
	}
}
