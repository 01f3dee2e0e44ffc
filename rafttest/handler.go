package rafttest

import (
	"fmt"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// commandHandler runs one command. It prints into env.Output and returns
// an error for a malformed command; behaviour of the nodes (a dropped
// proposal, say) is printed, not returned.
type commandHandler func(env *InteractionEnv, a *cmdArgs, d datadriven.TestData) error

// commands maps each command name to its handler; each handler lives in
// the file cmd_<name>.go.
var commands map[string]commandHandler

func init() {
	commands = map[string]commandHandler{
		"add-nodes":                       (*InteractionEnv).handleAddNodes,
		"campaign":                        (*InteractionEnv).handleCampaign,
		"compact":                         (*InteractionEnv).handleCompact,
		"deliver-msgs":                    (*InteractionEnv).handleDeliverMsgs,
		"forget-leader":                   (*InteractionEnv).handleForgetLeader,
		"log-level":                       (*InteractionEnv).handleLogLevel,
		"process-append-thread":           (*InteractionEnv).handleProcessAppendThread,
		"process-apply-thread":            (*InteractionEnv).handleProcessApplyThread,
		"process-ready":                   (*InteractionEnv).handleProcessReady,
		"propose":                         (*InteractionEnv).handlePropose,
		"propose-conf-change":             (*InteractionEnv).handleProposeConfChange,
		"raft-log":                        (*InteractionEnv).handleRaftLog,
		"raft-state":                      (*InteractionEnv).handleRaftState,
		"read-index":                      (*InteractionEnv).handleReadIndex,
		"report-snapshot":                 (*InteractionEnv).handleReportSnapshot,
		"report-unreachable":              (*InteractionEnv).handleReportUnreachable,
		"restart":                         (*InteractionEnv).handleRestart,
		"send-snapshot":                   (*InteractionEnv).handleSendSnapshot,
		"set-randomized-election-timeout": (*InteractionEnv).handleSetRandomizedElectionTimeout,
		"stabilize":                       (*InteractionEnv).handleStabilize,
		"status":                          (*InteractionEnv).handleStatus,
		"tick-election":                   (*InteractionEnv).handleTickElection,
		"tick-heartbeat":                  (*InteractionEnv).handleTickHeartbeat,
		"transfer-leadership":             (*InteractionEnv).handleTransferLeadership,
	}
}

// Handle runs one command of a scenario file and returns what it printed.
// A command that is unknown or malformed fails the test with a message
// naming the command and the argument. The commands, with an example each
// (node IDs are 1-based; "<id>..." takes one or more):
//
// Building the cluster:
//
//	add-nodes 3 voters=(1,2,3) learners=(4) index=2 content=x prevote=true
//	    Create 3 nodes. With voters, each starts from a snapshot at index
//	    (default 1, term 1) with that configuration and state content;
//	    without, from empty storage (a node waiting to be added). Options:
//	    async-storage-writes, prevote, checkquorum, step-down-on-removal,
//	    disable-conf-change-validation, disable-proposal-forwarding
//	    (booleans); read-only=safe|lease; max-committed-size-per-ready,
//	    max-inflight, max-inflight-bytes, max-size-per-msg,
//	    max-uncommitted-size, election-tick (default 3), heartbeat-tick
//	    (default 1). Every node's Config.Seed is its ID.
//	restart 2
//	    Crash node 2 and start it again from its Storage: whatever it had
//	    not persisted (unstable entries, pending storage work) and its
//	    state machine are lost; the state machine reloads from the
//	    storage's snapshot and re-applies the committed log.
//
// Driving nodes:
//
//	campaign 1                          node 1 starts an election
//	propose 1 foo                       node 1 proposes an entry "foo"
//	propose-conf-change 1 v1=true       node 1 proposes a ConfChange; the
//	v4                                  changes are the input, in the form
//	                                    v<id> l<id> r<id> u<id>
//	propose-conf-change 1 transition=explicit
//	v4 l5                               (ConfChangeV2; empty input leaves a
//	                                    joint configuration)
//	read-index 1 ctx1                   node 1 requests a linearizable read
//	transfer-leadership from=1 to=2     ask leader 1 to hand over to 2
//	forget-leader 2                     follower 2 forgets its leader
//	report-unreachable 1 2              tell 1 that 2 could not be reached
//	report-snapshot 1 3 status=failure  tell 1 how its snapshot to 3 went
//	                                    (status=finish by default)
//	send-snapshot 1 3                   put a MsgSnap from 1 to 3, with 1's
//	                                    latest applied state, on the network
//	compact 1 5                         node 1 snapshots its state at
//	                                    applied index 5 and drops the log up
//	                                    to it
//	tick-election 1                     tick node 1 ElectionTick times
//	tick-heartbeat 1                    tick node 1 HeartbeatTick times
//	set-randomized-election-timeout 1 timeout=4
//	                                    override node 1's election timeout
//	                                    (needs InteractionOpts hook)
//
// Processing work and messages:
//
//	process-ready 1 2                   handle each node's Ready: persist,
//	                                    send, apply, Advance (with async
//	                                    storage writes: queue storage work)
//	process-append-thread 1             run node 1's pending MsgStorageAppend
//	                                    work and step back the responses
//	process-apply-thread 1              run node 1's pending MsgStorageApply
//	                                    work and step back the responses
//	deliver-msgs 2 3                    step the messages in flight to 2,
//	                                    then those to 3
//	deliver-msgs drop=(3) type=MsgApp   drop the MsgApps in flight to 3
//	stabilize                           repeat all of the above for every
//	stabilize 1 2                       node (or the given ones) until
//	                                    nothing happens
//
// Inspecting:
//
//	raft-state                          role, term and leader of every node
//	status 1                            node 1's status and, if it leads,
//	                                    every peer's progress
//	raft-log 1                          the entries in node 1's Storage
//	log-level debug                     print node log lines at this level
//	                                    or above (none, debug, info, warn,
//	                                    error; default info)
func (env *InteractionEnv) Handle(t *testing.T, d datadriven.TestData) string {
	t.Helper()
	if err := env.handle(d); err != nil {
		t.Fatalf("%s: %v", d.Pos, err)
	}
	return env.takeOutput()
}

// handle dispatches a command and reports malformed ones.
//
// A panic inside a node is printed as the command's last line ("panic:
// ..."), so that a scenario can record a crash of the library as its
// current behaviour; the node is in an undefined state afterwards.
func (env *InteractionEnv) handle(d datadriven.TestData) (err error) {
	env.Output.Reset()
	h, ok := commands[d.Cmd]
	if !ok {
		return fmt.Errorf("unknown command %q", d.Cmd)
	}
	a := newCmdArgs(d)
	defer func() {
		if r := recover(); r != nil {
			env.Output.endLine()
			env.Output.indent = 0
			env.Output.Printf("panic: %v\n", r)
		}
	}()
	return h(env, a, d)
}

// takeOutput returns the command's output ("ok" if it printed nothing) and
// resets it.
func (env *InteractionEnv) takeOutput() string {
	s := env.Output.String()
	env.Output.Reset()
	if s == "" {
		return "ok"
	}
	return s
}
