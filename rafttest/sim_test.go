package rafttest

import (
	"bytes"
	"flag"
	"fmt"
	"testing"

	"github.com/raftcore/raft"
)

// The simulator's flags:
//
//	go test ./rafttest -run TestSim -sim.seeds=2000 -sim.steps=1000   # more seeds
//	go test ./rafttest -run TestSim -sim.seed=1234 -sim.steps=5000 -v # replay one
var (
	simSeeds = flag.Int("sim.seeds", 400, "number of seeds TestSim runs (seeds 1..N)")
	simSteps = flag.Int("sim.steps", 500, "faulty steps per seed")
	simSeed  = flag.Int64("sim.seed", -1, "run only this seed (with -v, print its trace)")
	simAll   = flag.Bool("sim.all", false, "run every seed even after many failures (to list them)")
)

// knownFailingSeeds are the seeds (at the default -sim.steps) that find a bug
// in the core which is not fixed yet, each mapped to a one-line description
// of the finding (see /tmp/sim-findings.md). TestSim skips them with that
// description; remove them once the bug is fixed. -sim.all lists every
// failing seed; -sim.seed runs a seed regardless of this list.
//
// History: F1 (a leader never resent to a follower whose whole window of
// MsgApps was lost) failed 57 of the first 400 seeds; fixed in the core by
// "Retry appends to a live follower whose whole window was lost".
var knownFailingSeeds = map[uint64]string{}

// simConfigForSeed derives the whole configuration from the seed, so that a
// seed alone replays a run. The low bits of the seed pick the variant: bit 0
// five nodes (else three), bit 1 async storage writes, bit 2 no PreVote and
// CheckQuorum, bit 3 tight flow control (one entry per message, few in
// flight, small apply and uncommitted budgets), bit 4 harsh faults (much
// loss, duplication, delay and crashing).
func simConfigForSeed(seed uint64, steps int) SimConfig {
	cfg := SimConfig{Seed: seed, Steps: steps}
	if seed&1 != 0 {
		cfg.Nodes = 5
	}
	if seed&2 != 0 {
		cfg.AsyncStorageWrites = true
	}
	noPreVote, tight := seed&4 != 0, seed&8 != 0
	cfg.ConfigOptions = func(c *raft.Config) {
		if noPreVote {
			c.PreVote, c.CheckQuorum = false, false
		}
		if tight {
			c.MaxSizePerMsg = 1
			c.MaxInflightMsgs = 2
			c.MaxCommittedSizePerReady = 64
			c.MaxUncommittedEntriesSize = 128
		}
	}
	if seed&16 != 0 {
		f := DefaultSimFaults()
		f.Drop, f.Duplicate, f.MaxDelay = 0.2, 0.1, 8
		f.Crash, f.Partition = 0.03, 0.03
		cfg.Faults = &f
	}
	return cfg
}

func simReplay(seed uint64, steps int) string {
	return fmt.Sprintf("go test ./rafttest -run 'TestSim$' -sim.seed=%d -sim.steps=%d -v", seed, steps)
}

// TestSim runs the fault simulator over many seeds. Each run simulates
// -sim.steps faulty steps, heals the cluster, checks liveness and checks the
// client history for linearizability; the invariants are checked after
// every step (see Sim).
func TestSim(t *testing.T) {
	steps := *simSteps
	if *simSeed >= 0 {
		seed := uint64(*simSeed)
		cfg := simConfigForSeed(seed, steps)
		var trace bytes.Buffer
		if testing.Verbose() {
			cfg.Trace = &trace
		}
		s, err := NewSim(cfg)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Run()
		if testing.Verbose() {
			t.Logf("trace:\n%s", trace.String())
		}
		if err != nil {
			t.Fatalf("%v\nreplay: %s", err, simReplay(seed, steps))
		}
		t.Logf("seed %d: %s", seed, s.Stats())
		return
	}
	var total SimStats
	failures := 0
	for seed := uint64(1); seed <= uint64(*simSeeds); seed++ {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			if finding, ok := knownFailingSeeds[seed]; ok {
				t.Skipf("known core bug, see the finding: %s", finding)
			}
			if failures >= 10 && !*simAll {
				t.Skip("too many failing seeds already")
			}
			s, err := NewSim(simConfigForSeed(seed, steps))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Run(); err != nil {
				failures++
				t.Fatalf("%v\nreplay: %s", err, simReplay(seed, steps))
			}
			st := s.Stats()
			total.Steps += st.Steps
			total.Delivered += st.Delivered
			total.Crashes += st.Crashes
			total.Partitions += st.Partitions
			total.Elections += st.Elections
			total.PutsAcked += st.PutsAcked
			total.ReadsServed += st.ReadsServed
			total.ConfChangesApplied += st.ConfChangesApplied
			total.SnapshotsInstalled += st.SnapshotsInstalled
			total.LeaderChecks += st.LeaderChecks
			total.LivenessTicks = max(total.LivenessTicks, st.LivenessTicks)
		})
	}
	t.Logf("%d seeds: %d steps, %d messages, %d crashes, %d partitions, %d elections, %d acked puts, %d served reads, "+
		"%d conf changes applied, %d snapshots installed, %d leader checks, slowest recovery %d ticks",
		*simSeeds, total.Steps, total.Delivered, total.Crashes, total.Partitions, total.Elections, total.PutsAcked,
		total.ReadsServed, total.ConfChangesApplied, total.SnapshotsInstalled, total.LeaderChecks, total.LivenessTicks)
	// The checks must not be vacuous.
	if *simSeeds >= 50 && (total.PutsAcked == 0 || total.ReadsServed == 0 || total.ConfChangesApplied == 0 ||
		total.SnapshotsInstalled == 0 || total.LeaderChecks == 0 || total.Crashes == 0) {
		t.Errorf("the simulation exercised too little: %+v", total)
	}
}

// TestSimDeterministic runs seeds twice and compares the traces byte for
// byte; different seeds must give different traces.
func TestSimDeterministic(t *testing.T) {
	run := func(seed uint64) string {
		var b bytes.Buffer
		cfg := simConfigForSeed(seed, 300)
		cfg.Trace = &b
		s, err := NewSim(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(); err != nil {
			t.Fatal(err)
		}
		if s.TraceHash() == 0 {
			t.Fatal("no trace hash")
		}
		return b.String()
	}
	seen := map[string]uint64{}
	for seed := uint64(1); seed <= 8; seed++ {
		a, b := run(seed), run(seed)
		if a != b {
			t.Fatalf("seed %d: two runs differ:\n%s", seed, simFirstDiff(a, b))
		}
		if other, ok := seen[a]; ok {
			t.Fatalf("seeds %d and %d gave the same trace", other, seed)
		}
		seen[a] = seed
	}
}

func simFirstDiff(a, b string) string {
	al, bl := bytes.Split([]byte(a), []byte("\n")), bytes.Split([]byte(b), []byte("\n"))
	for i := 0; i < len(al) && i < len(bl); i++ {
		if !bytes.Equal(al[i], bl[i]) {
			return fmt.Sprintf("line %d:\n  %s\n  %s", i+1, al[i], bl[i])
		}
	}
	return fmt.Sprintf("lengths %d and %d", len(al), len(bl))
}

// TestSimConfigErrors checks that NewSim refuses impossible clusters.
func TestSimConfigErrors(t *testing.T) {
	for _, cfg := range []SimConfig{{Nodes: 3, MaxNodes: 2}, {Nodes: 65}, {Nodes: -1}} {
		if _, err := NewSim(cfg); err == nil {
			t.Errorf("NewSim(%+v) succeeded", cfg)
		}
	}
}
