/*
Package raft implements the Raft consensus protocol (Ongaro and Ousterhout's
paper, and Ongaro's thesis) as a pure, deterministic state machine.

raft does no IO. It never touches a disk, a socket or a clock: the
application feeds it ticks (Tick) and messages (Step), asks for proposals and
reads, and receives the resulting work in Ready batches. The application
owns persistence, transport and the replicated state machine. This makes
the library usable in any event loop, testable with no timing, and cheap
enough to run thousands of groups in one process.

# Getting started

A node is created with NewRawNode from a Config. Its Storage holds what was
persisted before (MemoryStorage serves tests and small programs). A brand-new
cluster's members are declared once with RawNode.Bootstrap, or by writing an
initial snapshot whose ConfState lists them.

	storage := raft.NewMemoryStorage()
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              1,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         storage,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
	})
	...
	err = rn.Bootstrap([]raft.Peer{{ID: 1}, {ID: 2}, {ID: 3}})

Node wraps a RawNode in a goroutine and exposes channels; see StartNode.

# The application's loop

The application repeats:

 1. Call Tick at a fixed interval (the unit of ElectionTick and
    HeartbeatTick), and Step every message that arrives from a peer.
 2. If HasReady, take rd := Ready() and:
    a. persist rd.HardState (if not empty), rd.Entries (replacing any
    conflicting suffix already stored) and rd.Snapshot (if not empty); when
    rd.MustSync is set, these writes must be durable (fsync) before going on;
    b. send rd.Messages — only after step a, since they may acknowledge what
    it wrote; report failures with ReportUnreachable and snapshot outcomes
    with ReportSnapshot;
    c. apply rd.Snapshot, then rd.CommittedEntries, in order, to the state
    machine; for configuration change entries, decode them and call
    ApplyConfChange;
    d. serve rd.ReadStates once the state machine has applied up to their
    Index;
    e. call Advance(rd).

A host that is done with rd.Messages once it calls Advance (its transport
copies each Message, as the example service's does) should set
Config.RecycleMessages: the array behind rd.Messages then goes back to a
pool shared by all nodes of the process, which removes the allocation of a
message slice per Ready and the GC work it causes: about a third of an idle
group's cost per tick.

With Config.AsyncStorageWrites, steps 2a and 2c instead arrive as messages in
rd.Messages addressed to LocalAppendThread (MsgStorageAppend) and
LocalApplyThread (MsgStorageApply). The application performs each message's
work in order on the respective thread and then Steps the message's
Responses back (delivering those addressed to peers over the network). Advance
is not called. This lets a leader replicate entries while it writes them
(thesis §10.2.1).

  - MsgStorageAppend: persist the hard state in Term, Vote and Commit (when
    any is non-zero), the Snapshot (if set) and the Entries, durably, then
    step the Responses.
  - MsgStorageApply: apply the Snapshot (if set; it is sent only once it is
    durable) and then the Entries to the state machine, then step the
    Responses.

A snapshot never overtakes configuration changes: while committed entries
are out for applying, a node postpones installing a snapshot (the leader
resends it later), so applying those entries cannot move the configuration
backwards.

# Messages

Messages marked local never cross the network; RawNode.Step refuses them
with ErrStepLocalMsg unless they are storage responses.

	type                  direction                       purpose
	MsgHup                local                           start an election
	MsgBeat               local                           leader: send heartbeats
	MsgProp               app -> leader (forwarded)       propose entries
	MsgApp                leader -> follower              append entries, commit index
	MsgAppResp            follower -> leader              accept (index) or reject (hint)
	MsgVote               candidate -> voter              request a vote
	MsgVoteResp           voter -> candidate              grant or reject
	MsgPreVote            pre-candidate -> voter          could I win? (no term change)
	MsgPreVoteResp        voter -> pre-candidate          grant or reject
	MsgSnap               leader -> follower              install a snapshot
	MsgHeartbeat          leader -> peer                  liveness, safe commit, read round
	MsgHeartbeatResp      peer -> leader                  echo of the read round
	MsgUnreachable        local                           a peer could not be reached
	MsgSnapStatus         local                           snapshot delivered or failed
	MsgCheckQuorum        local                           leader: check quorum activity
	MsgTransferLeader     app -> leader (forwarded)       hand leadership to a peer
	MsgTimeoutNow         leader -> transferee            campaign now
	MsgReadIndex          app -> leader (forwarded)       linearizable read request
	MsgReadIndexResp      leader -> follower              read index for a forwarded read
	MsgForgetLeader       app -> follower                 forget the current leader
	MsgStorageAppend(Resp) local                          async append work and its answer
	MsgStorageApply(Resp)  local                          async apply work and its answer

# Safety choices

  - A node's vote and its acknowledgement of entries are only counted once
    they are durable: such responses wait for the append (in sync mode they
    leave with the Ready whose writes they depend on).
  - A leader commits by counting replicas only entries of its own term
    (Raft paper §5.4.2); a new leader appends an empty entry to get there.
  - ReadIndex waits until the leader has committed an entry of its term, and
    every request gets its own confirmation round: requests with equal
    context bytes are never answered from each other's rounds.
  - Bad input is an error or a logged drop, never a crash: unknown message
    types, responses from non-members, stale terms, out-of-range indexes,
    an append that would overwrite committed entries, a heartbeat whose
    commit index lies beyond the log. Panics are reserved for violations of
    the node's own invariants and are documented where they can occur.

# Determinism

Given the same Config (including Seed), the same Storage contents and the
same sequence of calls, a node produces byte-identical Readys. Messages to
peers are emitted in ascending peer ID order; no map iteration order leaks
into output.
*/
package raft
