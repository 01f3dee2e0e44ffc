package raftpb

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Equivalent returns nil when cs and other describe the same configuration:
// the same voters, outgoing voters, learners and learners-next, in any order,
// and the same AutoLeave. Otherwise the error shows both, sorted. Neither
// input is modified.
//
// A nil and an empty list are the same. A node ID listed twice is not the
// same as listed once: a well-formed ConfState never repeats an ID, and
// Equivalent exists to catch the bugs that would.
func (cs ConfState) Equivalent(other ConfState) error {
	a, b := cs.sorted(), other.sorted()
	if slices.Equal(a.Voters, b.Voters) &&
		slices.Equal(a.VotersOutgoing, b.VotersOutgoing) &&
		slices.Equal(a.Learners, b.Learners) &&
		slices.Equal(a.LearnersNext, b.LearnersNext) &&
		a.AutoLeave == b.AutoLeave {
		return nil
	}
	return fmt.Errorf("raftpb: conf states differ:\n  %s\n  %s", a.describe(), b.describe())
}

// sorted returns a copy of cs whose lists are sorted copies of cs's.
func (cs ConfState) sorted() ConfState {
	sortedCopy := func(ids []uint64) []uint64 {
		out := slices.Clone(ids)
		slices.Sort(out)
		return out
	}
	return ConfState{
		Voters:         sortedCopy(cs.Voters),
		Learners:       sortedCopy(cs.Learners),
		VotersOutgoing: sortedCopy(cs.VotersOutgoing),
		LearnersNext:   sortedCopy(cs.LearnersNext),
		AutoLeave:      cs.AutoLeave,
	}
}

// describe writes cs on one line, lists in their given order, for example
// "voters=(1 2 3)&&(1 2 5) learners=(4) learners_next=(5) autoleave=true".
func (cs ConfState) describe() string {
	list := func(ids []uint64) string {
		parts := make([]string, len(ids))
		for i, id := range ids {
			parts[i] = strconv.FormatUint(id, 10)
		}
		return "(" + strings.Join(parts, " ") + ")"
	}
	var b strings.Builder
	b.WriteString("voters=" + list(cs.Voters))
	if len(cs.VotersOutgoing) > 0 {
		b.WriteString("&&" + list(cs.VotersOutgoing))
	}
	b.WriteString(" learners=" + list(cs.Learners))
	b.WriteString(" learners_next=" + list(cs.LearnersNext))
	b.WriteString(" autoleave=" + strconv.FormatBool(cs.AutoLeave))
	return b.String()
}
