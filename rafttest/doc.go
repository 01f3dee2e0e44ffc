// Package rafttest runs scenarios against raft nodes: a datadriven
// language that drives a handful of RawNodes, their storage and the
// network between them one step at a time, and prints everything they do.
//
// A scenario file is a sequence of commands, each followed by the output
// it is expected to print:
//
//	# Three voters; node 1 campaigns and wins.
//	add-nodes 3 voters=(1,2,3) index=2
//	----
//	ok
//
//	campaign 1
//	----
//	INFO 1 is starting a new election at term 1
//	...
//
//	stabilize
//	----
//	> 1 handling Ready (must sync)
//	  SoftState: Lead:0 State:StateCandidate
//	  ...
//
// Nodes have IDs 1, 2, 3, ... in the order add-nodes creates them. Nothing
// happens unless a command says so: a node sends messages only when its
// Ready is processed (process-ready), a message arrives only when it is
// delivered (deliver-msgs), time passes only through tick-election and
// tick-heartbeat. stabilize does all of this until the cluster is quiet.
// This makes partitions (deliver-msgs drop=...), reorderings and crashes
// (restart) easy to stage, and the output is the same bytes on every run:
// each node's random source is seeded with its ID.
//
// # Output
//
// Messages are printed one per line in the form of raft.DescribeMessage,
// for example
//
//	1->2 MsgApp Term:2 Log:1/2 Commit:2 Entries:[2/3 "foo"]
//
// and entries in the form of raft.DescribeEntry. A Ready is printed under
// a "> <id> handling Ready" header (with "(must sync)" when its writes must
// be durable), one labelled section per part that is present: SoftState,
// HardState, Snapshot, Entries, CommittedEntries, Messages and ReadStates.
// Applying a configuration change prints the resulting ConfState. Node log
// lines appear where they are emitted, indented with the action that
// caused them and prefixed by their level (log-level chooses which).
//
// # Storage and the state machine
//
// Each node persists to a MemoryStorage. Its state machine is the
// comma-separated data of the normal entries it applied; snapshots (the
// Node's History, compact, send-snapshot) carry that string. With
// async-storage-writes=true, a Ready's storage work is queued on the node
// as MsgStorageAppend and MsgStorageApply messages, which
// process-append-thread and process-apply-thread execute, stepping the
// responses back into the node or putting them on the network.
//
// # Commands
//
// The commands and their arguments are listed, each with an example, in
// the documentation of InteractionEnv.Handle. A command that is unknown or
// given a bad argument fails the test with a message naming both.
//
// # Fault simulation
//
// Sim runs a whole cluster under faults, deterministically from a seed:
// nodes that follow the Ready contract (a crash loses what was not
// persisted), a network that drops, delays, duplicates and reorders
// messages and partitions nodes, crashes and restarts, membership changes,
// compaction with snapshots, leadership transfers, client writes and
// ReadIndex reads, in sync or async storage mode, and a lease-read mode
// with bounded clock drift. After every step it checks the safety
// properties of the Raft paper (election safety, log matching, leader
// completeness, state machine safety), that commit indexes and persisted
// terms and votes never go back, and that acknowledged writes survive;
// after the faults heal, that a leader commits within a bounded number of
// ticks; and at the end, that the client history is linearizable
// (CheckLinearizable). A failure is a *SimError naming the seed, the step,
// the invariant and the last events, so that the run can be replayed:
//
//	s, err := rafttest.NewSim(rafttest.SimConfig{Seed: 42, Steps: 2000})
//	if err != nil { ... }
//	if err := s.Run(); err != nil { ... } // a *SimError
//
// This package's own TestSim runs hundreds of seeds; see its -sim.* flags.
package rafttest
