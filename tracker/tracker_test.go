package tracker

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftcore/raft/quorum"
	pb "github.com/raftcore/raft/raftpb"
)

func set(ids ...uint64) map[uint64]struct{} {
	s := map[uint64]struct{}{}
	for _, id := range ids {
		s[id] = struct{}{}
	}
	return s
}

// mkTracker returns a tracker with voters (incoming, and outgoing if
// given) and learners, each with a Progress whose Match is 0.
func mkTracker(incoming, outgoing, learners []uint64) *ProgressTracker {
	p := MakeProgressTracker(4, 0)
	p.Voters[0] = set(incoming...)
	if outgoing != nil {
		p.Voters[1] = set(outgoing...)
	}
	p.Learners = set(learners...)
	for _, ids := range [][]uint64{incoming, outgoing} {
		for _, id := range ids {
			p.Progress[id] = &Progress{Next: 1, Inflights: NewInflights(4, 0)}
		}
	}
	for _, id := range learners {
		p.Progress[id] = &Progress{Next: 1, Inflights: NewInflights(4, 0), IsLearner: true}
	}
	return &p
}

func TestMakeProgressTracker(t *testing.T) {
	p := MakeProgressTracker(7, 1024)
	require.Equal(t, 7, p.MaxInflight)
	require.Equal(t, uint64(1024), p.MaxInflightBytes)
	require.NotNil(t, p.Voters[0])
	require.Nil(t, p.Voters[1])
	require.NotNil(t, p.Learners)
	require.NotNil(t, p.LearnersNext)
	require.NotNil(t, p.Progress)
	require.NotNil(t, p.Votes)
	require.Equal(t, pb.ConfState{}, p.ConfState())
	require.Equal(t, "voters=()", p.Config.String())
	require.False(t, p.IsSingleton())
	require.True(t, p.QuorumActive(), "an empty configuration is vacuously active, like quorum.MajorityConfig")
}

func TestConfigString(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{}, "voters=()"},
		{Config{Voters: quorum.JointConfig{set(1, 2, 3)}}, "voters=(1 2 3)"},
		{Config{Voters: quorum.JointConfig{set(3, 2, 1), set(1, 2)}, AutoLeave: true, Learners: set(4), LearnersNext: set(5)},
			"voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave"},
		{Config{Voters: quorum.JointConfig{set(1)}, Learners: set(), LearnersNext: set()}, "voters=(1)"},
	} {
		require.Equal(t, tc.want, tc.cfg.String())
	}
}

func TestConfigClone(t *testing.T) {
	orig := Config{Voters: quorum.JointConfig{set(1, 2, 3), set(1, 2)}, AutoLeave: true, Learners: set(4), LearnersNext: set(5)}
	c := orig.Clone()
	require.Equal(t, orig, c)

	c.Voters[0][9] = struct{}{}
	c.Voters[1][9] = struct{}{}
	c.Learners[9] = struct{}{}
	c.LearnersNext[9] = struct{}{}
	require.Equal(t, "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave", orig.String())

	// Nil maps stay nil, empty ones empty.
	c = Config{Voters: quorum.JointConfig{set(), nil}}.Clone()
	require.NotNil(t, c.Voters[0])
	require.Nil(t, c.Voters[1])
	require.Nil(t, c.Learners)
	require.Nil(t, c.LearnersNext)
}

func TestConfState(t *testing.T) {
	p := mkTracker([]uint64{3, 1, 2}, []uint64{5, 1, 4}, []uint64{9, 7})
	p.LearnersNext = set(5, 4)
	p.AutoLeave = true
	require.Equal(t, pb.ConfState{
		Voters:         []uint64{1, 2, 3},
		VotersOutgoing: []uint64{1, 4, 5},
		Learners:       []uint64{7, 9},
		LearnersNext:   []uint64{4, 5},
		AutoLeave:      true,
	}, p.ConfState())

	cs := mkTracker([]uint64{1}, nil, nil).ConfState()
	require.Equal(t, pb.ConfState{Voters: []uint64{1}}, cs)
	require.Nil(t, cs.VotersOutgoing)
	require.Nil(t, cs.Learners)
	require.Nil(t, cs.LearnersNext)
}

func TestIsSingleton(t *testing.T) {
	require.True(t, mkTracker([]uint64{1}, nil, nil).IsSingleton())
	require.True(t, mkTracker([]uint64{1}, nil, []uint64{2}).IsSingleton(), "learners do not count")
	require.True(t, mkTracker([]uint64{1}, []uint64{}, nil).IsSingleton(), "an empty outgoing half is not joint")
	require.False(t, mkTracker([]uint64{1, 2}, nil, nil).IsSingleton())
	require.False(t, mkTracker([]uint64{1}, []uint64{1}, nil).IsSingleton())
	require.False(t, mkTracker([]uint64{1}, []uint64{2}, nil).IsSingleton())
	require.False(t, mkTracker(nil, nil, nil).IsSingleton())
}

func TestCommitted(t *testing.T) {
	withMatch := func(p *ProgressTracker, match map[uint64]uint64) *ProgressTracker {
		for id, m := range match {
			p.Progress[id].Match = m
		}
		return p
	}
	for _, tc := range []struct {
		name string
		p    *ProgressTracker
		want uint64
	}{
		{"single voter", withMatch(mkTracker([]uint64{1}, nil, nil), map[uint64]uint64{1: 7}), 7},
		{"majority of three", withMatch(mkTracker([]uint64{1, 2, 3}, nil, nil), map[uint64]uint64{1: 9, 2: 4, 3: 6}), 6},
		{"learners do not count",
			withMatch(mkTracker([]uint64{1, 2, 3}, nil, []uint64{4, 5}), map[uint64]uint64{1: 9, 2: 4, 3: 1, 4: 100, 5: 100}), 4},
		{"joint: the lower half", withMatch(mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil),
			map[uint64]uint64{1: 9, 2: 9, 3: 5, 4: 2, 5: 1}), 2},
		{"voter without Progress counts as 0", func() *ProgressTracker {
			p := withMatch(mkTracker([]uint64{1, 2, 3}, nil, nil), map[uint64]uint64{1: 9, 2: 8, 3: 7})
			delete(p.Progress, 2)
			return p
		}(), 7},
		{"no voters: ∞", mkTracker(nil, nil, nil), 1<<64 - 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.p.Committed())
		})
	}
}

// TestCommittedAndVisitAllocs pins down that the per-message tracker
// queries do not allocate for realistic cluster sizes.
func TestCommittedAndVisitAllocs(t *testing.T) {
	for n := 1; n <= 7; n++ {
		var ids []uint64
		for i := range n {
			ids = append(ids, uint64(n-i))
		}
		p := mkTracker(ids, ids[:n/2+1], []uint64{100, 101})
		require.Zero(t, testing.AllocsPerRun(100, func() { _ = p.Committed() }), "%d voters", n)
		visit := func(id uint64, pr *Progress) { pr.RecentActive = !pr.RecentActive }
		require.Zero(t, testing.AllocsPerRun(100, func() { p.Visit(visit) }), "%d voters", n)
	}
}

func TestVisit(t *testing.T) {
	for _, n := range []int{0, 1, 5, 16, 17, 40} {
		p := MakeProgressTracker(1, 0)
		for i := range n {
			id := uint64((i * 7919) % 1000) // scrambled, distinct
			p.Progress[id] = &Progress{Match: id}
		}
		var got []uint64
		p.Visit(func(id uint64, pr *Progress) {
			require.Equal(t, id, pr.Match, "the Progress of id is passed")
			got = append(got, id)
		})
		require.Len(t, got, n)
		require.IsIncreasing(t, got, "n=%d", n)
	}
}

func TestQuorumActive(t *testing.T) {
	active := func(p *ProgressTracker, ids ...uint64) *ProgressTracker {
		for _, id := range ids {
			p.Progress[id].RecentActive = true
		}
		return p
	}
	for _, tc := range []struct {
		name string
		p    *ProgressTracker
		want bool
	}{
		{"single voter active", active(mkTracker([]uint64{1}, nil, nil), 1), true},
		{"single voter inactive", mkTracker([]uint64{1}, nil, nil), false},
		{"two of three", active(mkTracker([]uint64{1, 2, 3}, nil, nil), 1, 3), true},
		{"one of three", active(mkTracker([]uint64{1, 2, 3}, nil, nil), 2), false},
		{"learners do not make a quorum", active(mkTracker([]uint64{1, 2, 3}, nil, []uint64{4, 5}), 1, 4, 5), false},
		{"joint: both halves", active(mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil), 1, 2, 4, 5), true},
		{"joint: incoming half only", active(mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil), 1, 2, 4), false},
		{"joint: shared voter counts in both", active(mkTracker([]uint64{1, 2, 3}, []uint64{3, 4, 5}, nil), 1, 3, 4), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, tc.p.QuorumActive())
		})
	}
}

func TestNodes(t *testing.T) {
	p := mkTracker([]uint64{3, 1, 2}, []uint64{5, 1, 4}, []uint64{9, 7})
	p.LearnersNext = set(4, 5)
	require.Equal(t, []uint64{1, 2, 3, 4, 5}, p.VoterNodes())
	require.Equal(t, []uint64{7, 9}, p.LearnerNodes())

	p = mkTracker([]uint64{2}, nil, nil)
	require.Equal(t, []uint64{2}, p.VoterNodes())
	require.Nil(t, p.LearnerNodes())
	p.Learners = nil
	require.Nil(t, p.LearnerNodes())
	require.Empty(t, mkTracker(nil, nil, nil).VoterNodes())
}

// TestImports keeps the package chain narrow: tracker sits on quorum and
// raftpb and otherwise only on the standard library.
func TestImports(t *testing.T) {
	files, err := filepath.Glob("*.go")
	require.NoError(t, err)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		require.NoError(t, err)
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			if !strings.Contains(strings.Split(path, "/")[0], ".") {
				continue // standard library
			}
			require.Contains(t, []string{"github.com/raftcore/raft/quorum", "github.com/raftcore/raft/raftpb"}, path, f)
		}
	}
}
