package tracker

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// mkProgress returns a Progress in state st with the given Match and Next
// and an empty window of 4 messages.
func mkProgress(st StateType, match, next uint64) *Progress {
	return &Progress{State: st, Match: match, Next: next, Inflights: NewInflights(4, 0), RecentActive: true}
}

// withInflight adds messages to pr's window, as a stream of one-entry
// MsgApps after Match would.
func withInflight(pr *Progress, indexes ...uint64) *Progress {
	for _, idx := range indexes {
		pr.Inflights.Add(idx, 1)
	}
	return pr
}

func TestStateTypeString(t *testing.T) {
	require.Equal(t, "StateProbe", StateProbe.String())
	require.Equal(t, "StateReplicate", StateReplicate.String())
	require.Equal(t, "StateSnapshot", StateSnapshot.String())
	require.Equal(t, "StateType(7)", StateType(7).String())
}

func TestProgressString(t *testing.T) {
	for _, tc := range []struct {
		pr   *Progress
		want string
	}{
		{mkProgress(StateProbe, 0, 1), "StateProbe match=0 next=1"},
		{&Progress{Match: 3, Next: 4}, "StateProbe match=3 next=4 inactive"},
		{
			withInflight(mkProgress(StateReplicate, 5, 9), 6, 7, 8),
			"StateReplicate match=5 next=9 inflight=3",
		},
		{
			func() *Progress {
				pr := withInflight(mkProgress(StateReplicate, 5, 10), 6, 7, 8, 9)
				pr.IsLearner, pr.MsgAppFlowPaused, pr.RecentActive = true, true, false
				return pr
			}(),
			"StateReplicate match=5 next=10 learner paused inactive inflight=4[full]",
		},
		{
			&Progress{State: StateSnapshot, Match: 2, Next: 11, PendingSnapshot: 10, RecentActive: true},
			"StateSnapshot match=2 next=11 pendingSnap=10",
		},
	} {
		require.Equal(t, tc.want, tc.pr.String())
	}
}

// TestProgressBecome covers every state transition: the Become… methods
// from each state, including leaving StateSnapshot with the snapshot
// index ahead of or behind Match.
func TestProgressBecome(t *testing.T) {
	become := map[string]func(*Progress){
		"probe":      (*Progress).BecomeProbe,
		"replicate":  (*Progress).BecomeReplicate,
		"snapshot@8": func(pr *Progress) { pr.BecomeSnapshot(8) },
	}
	for _, tc := range []struct {
		name   string
		pr     *Progress
		become string
		want   *Progress
	}{
		// From StateProbe.
		{"probe→probe", mkProgress(StateProbe, 3, 7), "probe", mkProgress(StateProbe, 3, 4)},
		{"probe→replicate", mkProgress(StateProbe, 3, 4), "replicate", mkProgress(StateReplicate, 3, 4)},
		{"probe→snapshot", mkProgress(StateProbe, 3, 4), "snapshot@8",
			&Progress{State: StateSnapshot, Match: 3, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(4, 0), RecentActive: true}},
		// From StateReplicate: the window is emptied.
		{"replicate→probe", withInflight(mkProgress(StateReplicate, 3, 6), 4, 5), "probe", mkProgress(StateProbe, 3, 4)},
		{"replicate→replicate", withInflight(mkProgress(StateReplicate, 3, 6), 4, 5), "replicate", mkProgress(StateReplicate, 3, 4)},
		{"replicate→snapshot", withInflight(mkProgress(StateReplicate, 3, 6), 4, 5), "snapshot@8",
			&Progress{State: StateSnapshot, Match: 3, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(4, 0), RecentActive: true}},
		// From StateSnapshot: probing resumes after the snapshot, which
		// has probably been applied, unless Match is already beyond it.
		{"snapshot→probe after the snapshot", &Progress{State: StateSnapshot, Match: 3, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(4, 0), RecentActive: true},
			"probe", mkProgress(StateProbe, 3, 9)},
		{"snapshot→probe after Match", &Progress{State: StateSnapshot, Match: 12, Next: 13, PendingSnapshot: 8, Inflights: NewInflights(4, 0), RecentActive: true},
			"probe", mkProgress(StateProbe, 12, 13)},
		{"snapshot→replicate", &Progress{State: StateSnapshot, Match: 8, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(4, 0), RecentActive: true},
			"replicate", mkProgress(StateReplicate, 8, 9)},
		{"snapshot→snapshot", &Progress{State: StateSnapshot, Match: 3, Next: 6, PendingSnapshot: 5, Inflights: NewInflights(4, 0), RecentActive: true},
			"snapshot@8", &Progress{State: StateSnapshot, Match: 3, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(4, 0), RecentActive: true}},
		// Pauses are lifted by every transition.
		{"paused probe→probe", func() *Progress { pr := mkProgress(StateProbe, 3, 4); pr.MsgAppFlowPaused = true; return pr }(),
			"probe", mkProgress(StateProbe, 3, 4)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			become[tc.become](tc.pr)
			require.Equal(t, tc.want.String(), tc.pr.String())
			require.Zero(t, tc.pr.Inflights.Count())
			require.Equal(t, tc.want.State, tc.pr.State)
			require.Equal(t, tc.want.Match, tc.pr.Match)
			require.Equal(t, tc.want.Next, tc.pr.Next)
			require.Equal(t, tc.want.PendingSnapshot, tc.pr.PendingSnapshot)
			require.Equal(t, tc.want.MsgAppFlowPaused, tc.pr.MsgAppFlowPaused)
			require.True(t, tc.pr.RecentActive, "transitions leave RecentActive alone")
			require.Less(t, tc.pr.Match, tc.pr.Next)
		})
	}
}

func TestProgressResetState(t *testing.T) {
	pr := withInflight(mkProgress(StateSnapshot, 3, 9), 4)
	pr.PendingSnapshot, pr.MsgAppFlowPaused, pr.IsLearner = 8, true, true
	pr.ResetState(StateReplicate)
	require.Equal(t, "StateReplicate match=3 next=9 learner", pr.String())
	require.Zero(t, pr.Inflights.Count())
}

func TestProgressSentEntries(t *testing.T) {
	for _, tc := range []struct {
		name    string
		pr      *Progress
		entries int
		bytes   uint64
		want    string
	}{
		{"replicate advances Next and fills the window",
			mkProgress(StateReplicate, 3, 4), 3, 30, "StateReplicate match=3 next=7 inflight=1"},
		{"replicate pauses when the window fills",
			withInflight(mkProgress(StateReplicate, 3, 7), 4, 5, 6), 2, 10, "StateReplicate match=3 next=9 paused inflight=4[full]"},
		{"replicate: an empty MsgApp takes no window slot",
			mkProgress(StateReplicate, 3, 4), 0, 0, "StateReplicate match=3 next=4"},
		{"replicate: an empty MsgApp on a full window keeps it paused",
			withInflight(mkProgress(StateReplicate, 3, 8), 4, 5, 6, 7), 0, 0, "StateReplicate match=3 next=8 paused inflight=4[full]"},
		{"probe pauses after sending entries, Next unchanged",
			mkProgress(StateProbe, 3, 4), 5, 50, "StateProbe match=3 next=4 paused"},
		{"probe pauses after an empty probe too",
			mkProgress(StateProbe, 3, 4), 0, 0, "StateProbe match=3 next=4 paused"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pr.SentEntries(tc.entries, tc.bytes)
			require.Equal(t, tc.want, tc.pr.String())
			require.Equal(t, tc.pr.MsgAppFlowPaused, tc.pr.IsPaused())
		})
	}
}

func TestProgressSentEntriesByteLimit(t *testing.T) {
	pr := mkProgress(StateReplicate, 0, 1)
	pr.Inflights = NewInflights(100, 1000)
	pr.SentEntries(2, 600)
	require.False(t, pr.IsPaused())
	pr.SentEntries(1, 400)
	require.True(t, pr.IsPaused(), "the byte budget is used up")
	require.Equal(t, "StateReplicate match=0 next=4 paused inflight=2[full]", pr.String())
}

func TestProgressSentEntriesInSnapshotPanics(t *testing.T) {
	pr := &Progress{State: StateSnapshot, Match: 3, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(4, 0)}
	require.Panics(t, func() { pr.SentEntries(1, 1) })
}

func TestProgressMaybeUpdate(t *testing.T) {
	for _, tc := range []struct {
		name        string
		pr          *Progress
		ack         uint64
		wantUpdated bool
		wantMatch   uint64
		wantNext    uint64
		wantPaused  bool
	}{
		{"ack below Match is stale", mkProgress(StateReplicate, 5, 10), 4, false, 5, 10, false},
		{"ack equal to Match is stale", mkProgress(StateReplicate, 5, 10), 5, false, 5, 10, false},
		{"ack within the sent range", mkProgress(StateReplicate, 5, 10), 7, true, 7, 10, false},
		{"ack of everything sent", mkProgress(StateReplicate, 5, 10), 9, true, 9, 10, false},
		{"ack beyond Next moves Next", mkProgress(StateReplicate, 5, 10), 15, true, 15, 16, false},
		{"ack unpauses a probe", func() *Progress { pr := mkProgress(StateProbe, 5, 6); pr.MsgAppFlowPaused = true; return pr }(), 8, true, 8, 9, false},
		{"stale ack keeps the probe paused", func() *Progress { pr := mkProgress(StateProbe, 5, 6); pr.MsgAppFlowPaused = true; return pr }(), 5, false, 5, 6, true},
		{"stale ack still moves Next forward", mkProgress(StateProbe, 5, 3), 5, false, 5, 6, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.wantUpdated, tc.pr.MaybeUpdate(tc.ack))
			require.Equal(t, tc.wantMatch, tc.pr.Match)
			require.Equal(t, tc.wantNext, tc.pr.Next)
			require.Equal(t, tc.wantPaused, tc.pr.MsgAppFlowPaused)
		})
	}
}

func TestProgressMaybeDecrTo(t *testing.T) {
	paused := func(pr *Progress) *Progress { pr.MsgAppFlowPaused = true; return pr }
	for _, tc := range []struct {
		name       string
		pr         *Progress
		rejected   uint64
		hint       uint64
		want       bool
		wantNext   uint64
		wantPaused bool
	}{
		// StateReplicate.
		{"replicate: rejection at Match is stale", mkProgress(StateReplicate, 5, 10), 5, 5, false, 10, false},
		{"replicate: rejection below Match is stale", mkProgress(StateReplicate, 5, 10), 3, 3, false, 10, false},
		{"replicate: restart after Match", mkProgress(StateReplicate, 5, 10), 7, 6, true, 6, false},
		{"replicate: the hint is not used", mkProgress(StateReplicate, 5, 10), 9, 8, true, 6, false},
		{"replicate: the pause stays", paused(mkProgress(StateReplicate, 5, 10)), 9, 8, true, 6, true},
		// StateProbe.
		{"probe: not the outstanding probe is stale", paused(mkProgress(StateProbe, 5, 10)), 8, 0, false, 10, true},
		{"probe: a later index is stale too", paused(mkProgress(StateProbe, 5, 10)), 10, 0, false, 10, true},
		{"probe: back to the hint", paused(mkProgress(StateProbe, 0, 10)), 9, 4, true, 5, false},
		{"probe: hint at or beyond the rejected index", paused(mkProgress(StateProbe, 0, 10)), 9, 20, true, 9, false},
		{"probe: never to or below Match", paused(mkProgress(StateProbe, 5, 10)), 9, 2, true, 6, false},
		{"probe: hint 0 goes back to Match+1", paused(mkProgress(StateProbe, 0, 10)), 9, 0, true, 1, false},
		{"probe: unpaused even if not paused before", mkProgress(StateProbe, 0, 10), 9, 6, true, 7, false},
		// StateSnapshot follows the probe rule: only a rejection of
		// Next-1 (the snapshot's own index) counts.
		{"snapshot: stale", &Progress{State: StateSnapshot, Match: 2, Next: 9, PendingSnapshot: 8, Inflights: NewInflights(1, 0)}, 5, 0, false, 9, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.pr.MaybeDecrTo(tc.rejected, tc.hint))
			require.Equal(t, tc.wantNext, tc.pr.Next)
			require.Equal(t, tc.wantPaused, tc.pr.MsgAppFlowPaused)
			require.Less(t, tc.pr.Match, tc.pr.Next)
		})
	}
}

func TestProgressIsPaused(t *testing.T) {
	for _, tc := range []struct {
		state  StateType
		paused bool
		full   bool
		want   bool
	}{
		{StateProbe, false, false, false},
		{StateProbe, true, false, true},
		{StateProbe, false, true, false},
		// In StateReplicate only the window decides: an ack clears the
		// flag before the window is freed, and may free nothing.
		{StateReplicate, false, false, false},
		{StateReplicate, true, false, false},
		{StateReplicate, false, true, true},
		{StateReplicate, true, true, true},
		{StateSnapshot, false, false, true},
		{StateSnapshot, true, false, true},
	} {
		pr := &Progress{State: tc.state, MsgAppFlowPaused: tc.paused, Inflights: NewInflights(1, 0)}
		if tc.full {
			pr.Inflights.Add(1, 1)
		}
		require.Equal(t, tc.want, pr.IsPaused(), "%s paused=%t full=%t", tc.state, tc.paused, tc.full)
	}
}

// TestProgressProbeCycle walks one probe round trip: send, pause, get
// rejected, resume lower, get acked, switch to replication, fill the window
// and drain it with an acknowledgement.
func TestProgressProbeCycle(t *testing.T) {
	pr := mkProgress(StateProbe, 0, 11)
	pr.SentEntries(1, 10)
	require.True(t, pr.IsPaused(), "one probe at a time")

	require.False(t, pr.MaybeDecrTo(5, 0), "stale rejection")
	require.True(t, pr.IsPaused())

	require.True(t, pr.MaybeDecrTo(10, 6))
	require.Equal(t, uint64(7), pr.Next)
	require.False(t, pr.IsPaused())

	pr.SentEntries(4, 40)
	require.True(t, pr.IsPaused())
	require.True(t, pr.MaybeUpdate(10))
	require.False(t, pr.IsPaused())
	pr.BecomeReplicate()
	require.Equal(t, "StateReplicate match=10 next=11", pr.String())

	for range 4 {
		require.False(t, pr.IsPaused())
		pr.SentEntries(2, 1)
	}
	require.True(t, pr.IsPaused())
	require.Equal(t, "StateReplicate match=10 next=19 paused inflight=4[full]", pr.String())

	// The raft core frees the window on each acknowledgement.
	require.True(t, pr.MaybeUpdate(14))
	pr.Inflights.FreeLE(14)
	require.False(t, pr.IsPaused())
	require.Equal(t, "StateReplicate match=14 next=19 inflight=2", pr.String())
}

func TestProgressMapString(t *testing.T) {
	m := ProgressMap{
		3: mkProgress(StateProbe, 0, 1),
		1: mkProgress(StateReplicate, 5, 6),
		2: {State: StateSnapshot, Match: 1, Next: 8, PendingSnapshot: 7, IsLearner: true, Inflights: NewInflights(1, 0)},
	}
	require.Equal(t, `1: StateReplicate match=5 next=6
2: StateSnapshot match=1 next=8 learner pendingSnap=7 inactive
3: StateProbe match=0 next=1
`, m.String())
	require.Equal(t, "", ProgressMap{}.String())
}
