package quorum

import (
	"fmt"
	"go/parser"
	"go/token"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIndexString(t *testing.T) {
	require.Equal(t, "0", Index(0).String())
	require.Equal(t, "42", Index(42).String())
	require.Equal(t, "18446744073709551614", Index(math.MaxUint64-1).String())
	require.Equal(t, "∞", Index(math.MaxUint64).String())
}

func TestVoteResultString(t *testing.T) {
	require.Equal(t, "VotePending", VotePending.String())
	require.Equal(t, "VoteLost", VoteLost.String())
	require.Equal(t, "VoteWon", VoteWon.String())
	require.Equal(t, "VoteResult(0)", VoteResult(0).String())
	require.Equal(t, VoteResult(1), VotePending) // part of the public contract
}

func TestConfigStrings(t *testing.T) {
	c := MajorityConfig{3: {}, 1: {}, 20: {}}
	require.Equal(t, "(1 3 20)", c.String())
	require.Equal(t, []uint64{1, 3, 20}, c.Slice())
	require.Equal(t, "()", MajorityConfig{}.String())
	require.Equal(t, "()", MajorityConfig(nil).String())
	require.Empty(t, MajorityConfig(nil).Slice())

	j := JointConfig{c, MajorityConfig{1: {}, 2: {}}}
	require.Equal(t, "(1 3 20)&&(1 2)", j.String())
	require.Equal(t, "(1 3 20)", JointConfig{c, nil}.String())
	require.Equal(t, "()", JointConfig{}.String())
	require.Equal(t, map[uint64]struct{}{1: {}, 2: {}, 3: {}, 20: {}}, j.IDs())
	require.Empty(t, JointConfig{}.IDs())
}

func TestMapAckIndexer(t *testing.T) {
	m := MapAckIndexer{1: 5}
	idx, ok := m.AckedIndex(1)
	require.True(t, ok)
	require.Equal(t, Index(5), idx)
	_, ok = m.AckedIndex(2)
	require.False(t, ok)
}

// randConfig returns a config of up to max voters drawn from IDs 1..2*max,
// so that two random configs often overlap.
func randConfig(r *rand.Rand, max int) MajorityConfig {
	c := MajorityConfig{}
	for n := r.IntN(max + 1); len(c) < n; {
		c[1+r.Uint64N(uint64(2*max))] = struct{}{}
	}
	return c
}

// TestRandomizedAgainstReference compares CommittedIndex and VoteResult
// with the naive references on random configurations, acks and votes.
func TestRandomizedAgainstReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		cfg := JointConfig{randConfig(r, 11), nil}
		if r.IntN(2) == 0 {
			cfg[1] = randConfig(r, 11)
		}
		acked := MapAckIndexer{}
		votes := map[uint64]bool{}
		for id := range cfg.IDs() {
			if r.IntN(5) > 0 { // some voters are unknown
				// Few distinct values so that ties are common.
				acked[id] = Index(r.Uint64N(6))
			}
			switch r.IntN(3) {
			case 0:
				votes[id] = true
			case 1:
				votes[id] = false
			}
		}
		msg := fmt.Sprintf("case %d: cfg=%s acked=%v votes=%v", i, cfg, acked, votes)
		require.Equal(t, naiveCommitted(cfg[0], acked), cfg[0].CommittedIndex(acked), msg)
		require.Equal(t, naiveJointCommitted(cfg, acked), cfg.CommittedIndex(acked), msg)
		require.Equal(t, naiveVote(cfg[0], votes), cfg[0].VoteResult(votes), msg)
		require.Equal(t, naiveJointVote(cfg, votes), cfg.VoteResult(votes), msg)
	}
}

func makeVoters(n int) (MajorityConfig, MapAckIndexer) {
	c := MajorityConfig{}
	l := MapAckIndexer{}
	for i := range n {
		id := uint64(i + 1)
		c[id] = struct{}{}
		l[id] = Index(100 + 7*uint64(n-i)) // descending, so sorting has work
	}
	return c, l
}

// TestCommittedIndexAllocs pins down that the commit computation, which
// runs on every acknowledgement, is allocation-free for realistic sizes.
func TestCommittedIndexAllocs(t *testing.T) {
	for n := 0; n <= 7; n++ {
		c, l := makeVoters(n)
		allocs := testing.AllocsPerRun(100, func() { _ = c.CommittedIndex(l) })
		require.Zero(t, allocs, "majority of %d voters", n)
		j := JointConfig{c, c}
		allocs = testing.AllocsPerRun(100, func() { _ = j.CommittedIndex(l) })
		require.Zero(t, allocs, "joint of %d voters", n)
	}
	// Above the stack array, a single slice is allocated.
	c, l := makeVoters(9)
	require.Equal(t, 1.0, testing.AllocsPerRun(100, func() { _ = c.CommittedIndex(l) }))
}

func BenchmarkCommittedIndex(b *testing.B) {
	for _, n := range []int{1, 3, 5, 7, 9} {
		c, l := makeVoters(n)
		b.Run(fmt.Sprintf("voters=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = c.CommittedIndex(l)
			}
		})
	}
}

// TestImports keeps quorum a leaf: it imports only the standard library.
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
			require.NotContains(t, strings.Split(path, "/")[0], ".", "%s imports %s", f, path)
		}
	}
}

// MajorityVote decides as soon as the outcome is certain: won at a
// majority of yes, lost once the yes plus the outstanding cannot reach
// one. JointVote needs both halves to win and loses with either.
func TestMajorityAndJointVote(t *testing.T) {
	for _, tc := range []struct {
		voters, yes, no int
		want            VoteResult
	}{
		{0, 0, 0, VoteWon},
		{1, 0, 0, VotePending},
		{1, 1, 0, VoteWon},
		{1, 0, 1, VoteLost},
		{2, 1, 0, VotePending},
		{2, 1, 1, VoteLost},
		{2, 2, 0, VoteWon},
		{3, 2, 0, VoteWon},
		{3, 1, 1, VotePending},
		{3, 0, 2, VoteLost},
		{4, 2, 1, VotePending},
		{4, 2, 2, VoteLost},
		{4, 3, 1, VoteWon},
		{5, 2, 2, VotePending},
		{5, 3, 2, VoteWon},
		{5, 2, 3, VoteLost},
	} {
		require.Equal(t, tc.want, MajorityVote(tc.voters, tc.yes, tc.no), "%+v", tc)
	}
	all := []VoteResult{VotePending, VoteLost, VoteWon}
	for _, a := range all {
		for _, b := range all {
			want := VotePending
			switch {
			case a == VoteLost || b == VoteLost:
				want = VoteLost
			case a == VoteWon && b == VoteWon:
				want = VoteWon
			}
			require.Equal(t, want, JointVote(a, b), "%v %v", a, b)
		}
	}
}
