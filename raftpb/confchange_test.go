package raftpb

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfChangesStringRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []ConfChangeSingle
		out  string // canonical form; "" means same as in
	}{
		{in: "", want: nil},
		{in: "   ", want: nil, out: ""},
		{in: "v1", want: []ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 1}}},
		{in: "l2", want: []ConfChangeSingle{{Type: ConfChangeAddLearnerNode, NodeID: 2}}},
		{in: "r3", want: []ConfChangeSingle{{Type: ConfChangeRemoveNode, NodeID: 3}}},
		{in: "u4", want: []ConfChangeSingle{{Type: ConfChangeUpdateNode, NodeID: 4}}},
		{in: "v1 l2 r3 u4", want: []ConfChangeSingle{
			{Type: ConfChangeAddNode, NodeID: 1},
			{Type: ConfChangeAddLearnerNode, NodeID: 2},
			{Type: ConfChangeRemoveNode, NodeID: 3},
			{Type: ConfChangeUpdateNode, NodeID: 4},
		}},
		{in: "\tv10\n  r10  ", out: "v10 r10", want: []ConfChangeSingle{
			{Type: ConfChangeAddNode, NodeID: 10},
			{Type: ConfChangeRemoveNode, NodeID: 10},
		}},
		{in: "v0", want: []ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 0}}},
		{in: "r18446744073709551615", want: []ConfChangeSingle{{Type: ConfChangeRemoveNode, NodeID: 1<<64 - 1}}},
		{in: "v007", out: "v7", want: []ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 7}}},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ConfChangesFromString(tc.in)
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
			out := tc.out
			if out == "" {
				out = tc.in
			}
			if len(tc.want) == 0 {
				out = ""
			}
			require.Equal(t, out, ConfChangesToString(got))
			again, err := ConfChangesFromString(ConfChangesToString(got))
			require.NoError(t, err)
			require.Equal(t, got, again)
		})
	}
}

func TestConfChangesFromStringBadToken(t *testing.T) {
	for _, tc := range []struct {
		in, token string
	}{
		{"x1", `"x1"`},
		{"v1 x2", `"x2"`},
		{"V1", `"V1"`},
		{"v", `"v"`},
		{"v-1", `"v-1"`},
		{"v1.5", `"v1.5"`},
		{"l2 rr3", `"rr3"`},
		{"u18446744073709551616", `"u18446744073709551616"`},
		{"v1,v2", `"v1,v2"`},
		{"?7:5", `"?7:5"`},
		{"ü1", `"ü1"`},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ConfChangesFromString(tc.in)
			require.Error(t, err)
			require.Nil(t, got)
			require.Contains(t, err.Error(), tc.token)
		})
	}
}

func TestConfChangesToStringUnknownType(t *testing.T) {
	s := ConfChangesToString([]ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 1}, {Type: 7, NodeID: 5}})
	require.Equal(t, "v1 ?7:5", s)
	_, err := ConfChangesFromString(s)
	require.Error(t, err)
}

func TestEnterLeaveJoint(t *testing.T) {
	one := []ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 1}}
	two := []ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 1}, {Type: ConfChangeRemoveNode, NodeID: 2}}
	for _, tc := range []struct {
		name      string
		cc        ConfChangeV2
		autoLeave bool
		joint     bool
		leave     bool
	}{
		{"zero", ConfChangeV2{}, false, false, true},
		{"zero-with-context", ConfChangeV2{Context: []byte("x")}, false, false, true},
		{"zero-empty-changes", ConfChangeV2{Changes: []ConfChangeSingle{}}, false, false, true},
		{"auto-one", ConfChangeV2{Changes: one}, false, false, false},
		{"auto-two", ConfChangeV2{Changes: two}, true, true, false},
		{"implicit-none", ConfChangeV2{Transition: ConfChangeTransitionJointImplicit}, true, true, false},
		{"implicit-one", ConfChangeV2{Transition: ConfChangeTransitionJointImplicit, Changes: one}, true, true, false},
		{"implicit-two", ConfChangeV2{Transition: ConfChangeTransitionJointImplicit, Changes: two}, true, true, false},
		{"explicit-none", ConfChangeV2{Transition: ConfChangeTransitionJointExplicit}, false, true, false},
		{"explicit-one", ConfChangeV2{Transition: ConfChangeTransitionJointExplicit, Changes: one}, false, true, false},
		{"explicit-two", ConfChangeV2{Transition: ConfChangeTransitionJointExplicit, Changes: two, Context: []byte("c")}, false, true, false},
		{"unknown-transition", ConfChangeV2{Transition: 9, Changes: one}, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			autoLeave, ok := tc.cc.EnterJoint()
			require.Equal(t, tc.joint, ok, "EnterJoint ok")
			require.Equal(t, tc.autoLeave, autoLeave, "EnterJoint autoLeave")
			require.Equal(t, tc.leave, tc.cc.LeaveJoint(), "LeaveJoint")
		})
	}
}

func TestAsV1AsV2(t *testing.T) {
	v1 := ConfChange{ID: 9, Type: ConfChangeAddLearnerNode, NodeID: 4, Context: []byte("ctx")}
	got, ok := v1.AsV1()
	require.True(t, ok)
	require.Equal(t, v1, got)
	require.Equal(t, ConfChangeV2{
		Transition: ConfChangeTransitionAuto,
		Changes:    []ConfChangeSingle{{Type: ConfChangeAddLearnerNode, NodeID: 4}},
		Context:    []byte("ctx"),
	}, v1.AsV2())
	// A V1 change is a simple change: never joint, never "leave joint".
	autoLeave, joint := v1.AsV2().EnterJoint()
	require.False(t, joint)
	require.False(t, autoLeave)
	require.False(t, v1.AsV2().LeaveJoint())

	v2 := ConfChangeV2{Transition: ConfChangeTransitionJointImplicit, Changes: []ConfChangeSingle{{Type: ConfChangeRemoveNode, NodeID: 2}}, Context: []byte("c")}
	require.Equal(t, v2, v2.AsV2())
	back, ok := v2.AsV1()
	require.False(t, ok)
	require.Equal(t, ConfChange{}, back)
	// Even a one-change V2 stays a V2.
	_, ok = ConfChangeV2{Changes: []ConfChangeSingle{{NodeID: 1}}}.AsV1()
	require.False(t, ok)
}

func TestMarshalConfChange(t *testing.T) {
	for _, tc := range []struct {
		name string
		cc   ConfChangeI
		typ  EntryType
	}{
		{"v1", ConfChange{ID: 1, Type: ConfChangeRemoveNode, NodeID: 3, Context: []byte("ctx")}, EntryConfChange},
		{"v1-zero", ConfChange{}, EntryConfChange},
		{"v2", ConfChangeV2{Transition: ConfChangeTransitionJointExplicit, Changes: []ConfChangeSingle{{Type: ConfChangeAddNode, NodeID: 4}, {Type: ConfChangeAddLearnerNode, NodeID: 5}}, Context: []byte("why")}, EntryConfChangeV2},
		{"v2-leave", ConfChangeV2{}, EntryConfChangeV2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			typ, data, err := MarshalConfChange(tc.cc)
			require.NoError(t, err)
			require.Equal(t, tc.typ, typ)
			var back ConfChangeI
			switch typ {
			case EntryConfChange:
				var cc ConfChange
				require.NoError(t, cc.Unmarshal(data))
				back = cc
			case EntryConfChangeV2:
				var cc ConfChangeV2
				require.NoError(t, cc.Unmarshal(data))
				back = cc
			}
			// Compare encodings: decoding turns an empty Context into nil.
			_, again, err := MarshalConfChange(back)
			require.NoError(t, err)
			require.Equal(t, data, again)
			require.Equal(t, ConfChangesToString(tc.cc.AsV2().Changes), ConfChangesToString(back.AsV2().Changes))
			require.Equal(t, string(tc.cc.AsV2().Context), string(back.AsV2().Context))
		})
	}
}
