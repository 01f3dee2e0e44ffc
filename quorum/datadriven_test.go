package quorum

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// TestDataDriven runs the golden files in testdata/, one per behaviour.
// Regenerate them with `go test ./quorum -rewrite` and review the diff.
//
// The command language has two commands:
//
//	committed cfg=(1,2,3) [cfgj=(1,2,4)] idx=(5,_,7,9)
//	vote      cfg=(1,2,3) [cfgj=(1,2,4)] votes=(y,n,_,y)
//
// cfg is the incoming (or only) voter set, cfgj, if given, makes the
// configuration joint with cfgj as the outgoing half; cfg=() is empty.
// idx and votes list one value per voter, in the order in which the voters
// first appear in cfg and then cfgj (4 in the examples above): an acked
// index, or a vote y (granted) / n (rejected); "_" leaves the voter out of
// the acked indexes or votes altogether.
//
// committed prints the Describe view of the configuration, whose last line
// is the committed index; vote prints the VoteResult.
//
// The harness checks itself: it recomputes every answer with a naive
// reference (brute-force counting), with the joint halves swapped, with an
// empty or repeated outgoing half for a plain majority config, and with
// extra non-voters in the input. Any disagreement is printed as a line
// starting with "MISMATCH", which must never appear in a golden file
// (TestDataDriven also fails on it).
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out := runCommand(t, d)
			if strings.Contains(out, "MISMATCH") {
				t.Errorf("%s: self-check failed:\n%s", d.Pos, out)
			}
			return out
		})
	})
}

// ddCase is a parsed command.
type ddCase struct {
	joint JointConfig // joint[1] is nil unless cfgj was given
	isJ   bool
	ids   []uint64 // voters in order of first appearance
	vals  []string // one per voter, raw
}

func parseCase(t *testing.T, d *datadriven.TestData, valsKey string) ddCase {
	var c ddCase
	seen := map[uint64]bool{}
	parseSet := func(vals []string) MajorityConfig {
		cfg := MajorityConfig{}
		for _, v := range vals {
			v = strings.TrimSpace(v)
			if v == "" {
				continue
			}
			id, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				d.Fatalf(t, "bad voter ID %q: %v", v, err)
			}
			cfg[id] = struct{}{}
			if !seen[id] {
				seen[id] = true
				c.ids = append(c.ids, id)
			}
		}
		return cfg
	}
	var gotVals bool
	for _, arg := range d.CmdArgs {
		switch arg.Key {
		case "cfg":
			c.joint[0] = parseSet(arg.Vals)
		case "cfgj":
			c.joint[1] = parseSet(arg.Vals)
			c.isJ = true
		case valsKey:
			gotVals = true
			for _, v := range arg.Vals {
				if v = strings.TrimSpace(v); v != "" {
					c.vals = append(c.vals, v)
				}
			}
		default:
			d.Fatalf(t, "unknown argument %q", arg.Key)
		}
	}
	if c.joint[0] == nil {
		d.Fatalf(t, "missing cfg=(...)")
	}
	if !gotVals {
		d.Fatalf(t, "missing %s=(...)", valsKey)
	}
	if len(c.vals) != len(c.ids) {
		d.Fatalf(t, "%s has %d values for %d voters %v", valsKey, len(c.vals), len(c.ids), c.ids)
	}
	return c
}

func runCommand(t *testing.T, d *datadriven.TestData) string {
	switch d.Cmd {
	case "committed":
		return runCommitted(t, d)
	case "vote":
		return runVote(t, d)
	}
	d.Fatalf(t, "unknown command %q", d.Cmd)
	return ""
}

func runCommitted(t *testing.T, d *datadriven.TestData) string {
	c := parseCase(t, d, "idx")
	acked := MapAckIndexer{}
	for i, v := range c.vals {
		if v == "_" {
			continue
		}
		idx, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			d.Fatalf(t, "bad index %q: %v", v, err)
		}
		acked[c.ids[i]] = Index(idx)
	}

	var buf strings.Builder
	mismatch := func(what string, got, want Index) {
		if got != want {
			fmt.Fprintf(&buf, "MISMATCH %s: %s, want %s\n", what, got, want)
		}
	}
	var got Index
	if c.isJ {
		buf.WriteString(c.joint.Describe(acked))
		got = c.joint.CommittedIndex(acked)
		mismatch("swapped halves", JointConfig{c.joint[1], c.joint[0]}.CommittedIndex(acked), got)
	} else {
		maj := c.joint[0]
		buf.WriteString(maj.Describe(acked))
		got = maj.CommittedIndex(acked)
		mismatch("as joint with nil half", JointConfig{maj, nil}.CommittedIndex(acked), got)
		mismatch("as joint with empty half", JointConfig{maj, MajorityConfig{}}.CommittedIndex(acked), got)
		mismatch("as joint with empty incoming half", JointConfig{MajorityConfig{}, maj}.CommittedIndex(acked), got)
		mismatch("as joint with itself", JointConfig{maj, maj}.CommittedIndex(acked), got)
		if desc := (JointConfig{maj, nil}).Describe(acked); desc != maj.Describe(acked) {
			fmt.Fprintf(&buf, "MISMATCH joint Describe:\n%s", desc)
		}
	}
	mismatch("naive reference", got, naiveJointCommitted(c.joint, acked))
	// Acks of non-voters, however high or low, must not matter.
	extra := MapAckIndexer{}
	for id, idx := range acked {
		extra[id] = idx
	}
	extra[math.MaxUint64-1] = math.MaxUint64 - 1
	extra[math.MaxUint64-2] = 0
	mismatch("with acks of non-voters", c.joint.CommittedIndex(extra), got)
	return buf.String()
}

func runVote(t *testing.T, d *datadriven.TestData) string {
	c := parseCase(t, d, "votes")
	votes := map[uint64]bool{}
	for i, v := range c.vals {
		switch v {
		case "y":
			votes[c.ids[i]] = true
		case "n":
			votes[c.ids[i]] = false
		case "_":
		default:
			d.Fatalf(t, "bad vote %q, want y, n or _", v)
		}
	}

	var buf strings.Builder
	mismatch := func(what string, got, want VoteResult) {
		if got != want {
			fmt.Fprintf(&buf, "MISMATCH %s: %s, want %s\n", what, got, want)
		}
	}
	var got VoteResult
	if c.isJ {
		got = c.joint.VoteResult(votes)
		mismatch("swapped halves", JointConfig{c.joint[1], c.joint[0]}.VoteResult(votes), got)
	} else {
		maj := c.joint[0]
		got = maj.VoteResult(votes)
		mismatch("as joint with nil half", JointConfig{maj, nil}.VoteResult(votes), got)
		mismatch("as joint with empty half", JointConfig{maj, MajorityConfig{}}.VoteResult(votes), got)
		mismatch("as joint with itself", JointConfig{maj, maj}.VoteResult(votes), got)
	}
	mismatch("naive reference", got, naiveJointVote(c.joint, votes))
	extra := map[uint64]bool{math.MaxUint64 - 1: true, math.MaxUint64 - 2: false}
	for id, v := range votes {
		extra[id] = v
	}
	mismatch("with votes of non-voters", c.joint.VoteResult(extra), got)
	fmt.Fprintln(&buf, got)
	return buf.String()
}

// naiveCommitted is the reference for MajorityConfig.CommittedIndex: the
// largest candidate index that more than half of the voters have acked, by
// trying every candidate and counting.
func naiveCommitted(c MajorityConfig, l AckedIndexer) Index {
	if len(c) == 0 {
		return math.MaxUint64
	}
	ackedOf := func(id uint64) Index {
		idx, _ := l.AckedIndex(id)
		return idx
	}
	best := Index(0)
	for cand := range c {
		v := ackedOf(cand)
		n := 0
		for id := range c {
			if ackedOf(id) >= v {
				n++
			}
		}
		if 2*n > len(c) && v > best {
			best = v
		}
	}
	return best
}

func naiveJointCommitted(c JointConfig, l AckedIndexer) Index {
	a, b := naiveCommitted(c[0], l), naiveCommitted(c[1], l)
	if a < b {
		return a
	}
	return b
}

// naiveVote is the reference for MajorityConfig.VoteResult: won with more
// than half yes votes, lost once at least half said no (the rest cannot
// form a majority), pending otherwise.
func naiveVote(c MajorityConfig, votes map[uint64]bool) VoteResult {
	yes, no := 0, 0
	for id := range c {
		if v, ok := votes[id]; ok {
			if v {
				yes++
			} else {
				no++
			}
		}
	}
	switch {
	case 2*yes > len(c) || len(c) == 0:
		return VoteWon
	case 2*no >= len(c):
		return VoteLost
	}
	return VotePending
}

func naiveJointVote(c JointConfig, votes map[uint64]bool) VoteResult {
	a, b := naiveVote(c[0], votes), naiveVote(c[1], votes)
	switch {
	case a == VoteLost || b == VoteLost:
		return VoteLost
	case a == VoteWon && b == VoteWon:
		return VoteWon
	}
	return VotePending
}
