package tracker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcore/raft/quorum"
)

func TestVotes(t *testing.T) {
	type vote struct {
		id uint64
		v  bool
	}
	for _, tc := range []struct {
		name              string
		p                 *ProgressTracker
		votes             []vote
		granted, rejected int
		want              quorum.VoteResult
	}{
		{"no votes yet", mkTracker([]uint64{1, 2, 3}, nil, nil), nil, 0, 0, quorum.VotePending},
		{"self vote in a singleton wins", mkTracker([]uint64{1}, nil, nil), []vote{{1, true}}, 1, 0, quorum.VoteWon},
		{"majority granted", mkTracker([]uint64{1, 2, 3}, nil, nil), []vote{{1, true}, {3, true}}, 2, 0, quorum.VoteWon},
		{"majority rejected", mkTracker([]uint64{1, 2, 3}, nil, nil), []vote{{1, true}, {2, false}, {3, false}}, 1, 2, quorum.VoteLost},
		{"split, pending", mkTracker([]uint64{1, 2, 3, 4}, nil, nil), []vote{{1, true}, {2, true}, {3, false}}, 2, 1, quorum.VotePending},
		{"only the first vote counts", mkTracker([]uint64{1, 2, 3}, nil, nil),
			[]vote{{1, true}, {2, false}, {2, true}, {3, false}, {3, true}}, 1, 2, quorum.VoteLost},
		{"votes of learners and strangers are ignored", mkTracker([]uint64{1, 2, 3}, nil, []uint64{4}),
			[]vote{{1, true}, {4, true}, {9, true}}, 1, 0, quorum.VotePending},
		{"joint: a shared voter counts once", mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil),
			[]vote{{1, true}, {3, true}}, 2, 0, quorum.VotePending},
		{"joint: both halves won", mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil),
			[]vote{{1, true}, {3, true}, {4, true}, {5, false}}, 3, 1, quorum.VoteWon},
		{"joint: outgoing half lost", mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil),
			[]vote{{1, true}, {2, true}, {4, false}, {5, false}}, 2, 2, quorum.VoteLost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, v := range tc.votes {
				tc.p.RecordVote(v.id, v.v)
			}
			granted, rejected, res := tc.p.TallyVotes()
			require.Equal(t, tc.granted, granted, "granted")
			require.Equal(t, tc.rejected, rejected, "rejected")
			require.Equal(t, tc.want, res)

			tc.p.ResetVotes()
			require.Empty(t, tc.p.Votes)
			granted, rejected, _ = tc.p.TallyVotes()
			require.Zero(t, granted+rejected)
			// After a reset a voter may vote again, differently.
			for _, v := range tc.votes {
				tc.p.RecordVote(v.id, !v.v)
			}
			granted, rejected, _ = tc.p.TallyVotes()
			require.Equal(t, tc.granted, rejected)
			require.Equal(t, tc.rejected, granted)
		})
	}
}

func TestRecordVoteNilMap(t *testing.T) {
	var p ProgressTracker
	p.Voters[0] = set(1)
	p.RecordVote(1, true)
	_, _, res := p.TallyVotes()
	require.Equal(t, quorum.VoteWon, res)
}
