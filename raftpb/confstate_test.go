package raftpb

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfStateEquivalent(t *testing.T) {
	for _, tc := range []struct {
		name string
		a, b ConfState
		ok   bool
	}{
		{"empty", ConfState{}, ConfState{}, true},
		{"nil-vs-empty", ConfState{Voters: nil}, ConfState{Voters: []uint64{}, Learners: []uint64{}}, true},
		{"same-order", ConfState{Voters: []uint64{1, 2, 3}}, ConfState{Voters: []uint64{1, 2, 3}}, true},
		{"voters-reordered", ConfState{Voters: []uint64{3, 1, 2}}, ConfState{Voters: []uint64{1, 2, 3}}, true},
		{"all-reordered", ConfState{
			Voters: []uint64{3, 2, 1}, Learners: []uint64{5, 4}, VotersOutgoing: []uint64{7, 1}, LearnersNext: []uint64{9, 7}, AutoLeave: true,
		}, ConfState{
			Voters: []uint64{1, 3, 2}, Learners: []uint64{4, 5}, VotersOutgoing: []uint64{1, 7}, LearnersNext: []uint64{7, 9}, AutoLeave: true,
		}, true},
		{"voter-missing", ConfState{Voters: []uint64{1, 2}}, ConfState{Voters: []uint64{1, 2, 3}}, false},
		{"voter-vs-learner", ConfState{Voters: []uint64{1}, Learners: []uint64{2}}, ConfState{Voters: []uint64{1, 2}}, false},
		{"outgoing-differs", ConfState{Voters: []uint64{1}, VotersOutgoing: []uint64{1}}, ConfState{Voters: []uint64{1}, VotersOutgoing: []uint64{2}}, false},
		{"outgoing-vs-none", ConfState{Voters: []uint64{1}, VotersOutgoing: []uint64{1}}, ConfState{Voters: []uint64{1}}, false},
		{"learners-next-differs", ConfState{LearnersNext: []uint64{3}}, ConfState{Learners: []uint64{3}}, false},
		{"autoleave-differs", ConfState{Voters: []uint64{1}, AutoLeave: true}, ConfState{Voters: []uint64{1}}, false},
		{"duplicate", ConfState{Voters: []uint64{1, 1}}, ConfState{Voters: []uint64{1}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, pair := range [][2]ConfState{{tc.a, tc.b}, {tc.b, tc.a}} {
				before := [2]string{pair[0].describe(), pair[1].describe()}
				err := pair[0].Equivalent(pair[1])
				if tc.ok {
					require.NoError(t, err)
				} else {
					require.Error(t, err)
					// The error shows both, sorted.
					require.Contains(t, err.Error(), pair[0].sorted().describe())
					require.Contains(t, err.Error(), pair[1].sorted().describe())
				}
				// Neither input was sorted in place.
				require.Equal(t, before, [2]string{pair[0].describe(), pair[1].describe()})
			}
		})
	}
}

func TestConfStateEquivalentErrorText(t *testing.T) {
	a := ConfState{Voters: []uint64{3, 1}, VotersOutgoing: []uint64{1, 2}, Learners: []uint64{4}, LearnersNext: []uint64{2}, AutoLeave: true}
	b := ConfState{Voters: []uint64{1, 2}}
	require.EqualError(t, a.Equivalent(b), "raftpb: conf states differ:\n"+
		"  voters=(1 3)&&(1 2) learners=(4) learners_next=(2) autoleave=true\n"+
		"  voters=(1 2) learners=() learners_next=() autoleave=false")
}
