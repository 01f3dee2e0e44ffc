package raft_test

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
	"github.com/raftcore/raft/rafttest"
)

// TestInteraction runs every scenario in testdata/*.txt, each in a fresh
// environment. Regenerate the expected output with
//
//	go test -run TestInteraction . -rewrite
//
// and review the diff: it is the change in behaviour.
func TestInteraction(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if !strings.HasSuffix(path, ".txt") {
			t.Skipf("%s is not a scenario", path)
		}
		env := newInteractionEnv()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return env.Handle(t, *d)
		})
	})
}

// TestInteractionDeterministic runs one scenario twice, in two
// environments, and requires byte-identical output: no map order, clock or
// unseeded randomness may reach it.
func TestInteractionDeterministic(t *testing.T) {
	const path = "testdata/async_storage_writes_stale_append.txt"
	run := func() string {
		var all strings.Builder
		env := newInteractionEnv()
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			out := env.Handle(t, *d)
			all.WriteString(d.Pos)
			all.WriteString("\n")
			all.WriteString(out)
			return out
		})
		return all.String()
	}
	first, second := run(), run()
	if first != second {
		t.Fatalf("two runs of %s differ:\n--- first\n%s\n--- second\n%s", path, first, second)
	}
}

func newInteractionEnv() *rafttest.InteractionEnv {
	return rafttest.NewInteractionEnv(&rafttest.InteractionOpts{
		SetRandomizedElectionTimeout: raft.SetRandomizedElectionTimeoutForTest,
	})
}
