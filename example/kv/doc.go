/*
Package kv is a replicated key-value service on raftcore: a raft.RawNode
driven by one goroutine, the durable log of package wal, the HTTP transport
of package transport, and a map[string][]byte as the state machine.
cmd/raftkv wraps it in a command; this package is the logic, importable
and testable in one process.

	n, err := kv.Start(kv.Config{ID: 1, DataDir: dir, Peers: map[uint64]string{
		1: "http://127.0.0.1:9001", 2: "http://127.0.0.1:9002", 3: "http://127.0.0.1:9003"}})
	...
	http.Serve(ln, n.Handler()) // client API, and the raft transport under /raft/
	...
	n.Stop()

# HTTP API

	PUT    /kv/{key}       body = value; 204 once applied on this node, with
	                       X-Raft-Index; 413 if the value exceeds MaxValueSize
	GET    /kv/{key}       200 with the value, 404 if absent; linearizable
	                       (ReadIndex); ?stale=true reads this node's state
	DELETE /kv/{key}       204 once applied (also when the key was absent)
	GET    /members        {"members":[{"id":1,"url":"http://...","learner":false},...]}
	POST   /members        {"id":4,"url":"http://...","learner":true} adds a learner;
	                       without "learner" a voter; for an existing learner,
	                       {"id":4} promotes it. 200 with the members once applied
	DELETE /members/{id}   removes a member; 200 with the members once applied
	POST   /leader         {"id":2}: leadership transfer; 200 once this node
	                       sees node 2 lead
	GET    /status         JSON: leader, term, commit, applied, snapshot and log
	                       extent, members, raft's Status, transport peers
	POST   /raft/...       the transport's endpoints (between members only)

Errors are one line of plain text:

	400  malformed JSON, unknown JSON field, bad id or url, empty or too long
	     key (MaxKeySize), bad ?stale=
	404  unknown key; unknown member (DELETE /members/{id}, POST /leader)
	405  method not allowed on the path
	409  adding an existing voter or learner, a URL another member uses,
	     removing the last voter, transferring leadership to a learner
	410  this node is not a member (it was removed, or is not yet added)
	413  value (or JSON body) too large
	503  raft could not complete the request in time (no leader, no quorum,
	     a membership change already in progress), or the node is stopping

Writes sent to a follower are proposed there and forwarded by raft to the
leader, so any member accepts them and clients need not find the leader.
The price: a forwarded proposal that is lost on the way (the leader just
crashed) is noticed only by the request's timeout, and the client gets a
503 after RequestTimeout instead of at once. Returning 503 with the
leader's address would save that wait but push the retry logic into every
client; for an example, forwarding is the simpler contract.

# The loop

One goroutine owns the RawNode. It takes ticks, messages from peers
(transport.Handler.Process), delivery reports and requests from HTTP
handlers (as closures run on the loop), drains whatever else is already
queued, and then handles Readys until there are none, following the
numbered contract of package raft exactly:

	2a. wal.Save(rd.HardState, rd.Entries, rd.Snapshot): one write and one
	    fsync for the whole Ready (the snapshot, when there is one, is synced
	    in its own file first). Save fsyncs whenever it writes anything, even
	    when rd.MustSync is false (only the commit index changed): the cost is
	    an extra fsync on a follower that learns of a new commit index without
	    new entries, and it keeps the persisted commit index at or above every
	    applied index, which restarts rely on (see below). A Ready with
	    nothing to persist costs nothing.
	2b. transport.Send(rd.Messages).
	2c. install rd.Snapshot in the store, then apply rd.CommittedEntries;
	    configuration changes are passed to ApplyConfChange.
	2d. answer the reads whose read index is now applied.
	2e. Advance, then snapshot and compact if due.

Because proposals queued while the previous Ready was being written are
all stepped before the next Ready, one fsync carries the entries of many
concurrent clients (group commit through the Ready batch).

A failed Save stops the node (Done is closed, Err says why, raftkv exits
with status 1): after a failed fsync the state of the disk is unknown and
wal refuses further writes.

# Commands and request IDs

A put or delete travels in a normal entry as a Command (see Encode for the
byte layout) with a random 64-bit request ID. The node that proposed it
keeps a waiter under that ID and answers the client when it applies an
entry with that ID and the same bytes; the bytes are compared too, so a
fresh ID colliding with an old entry still in the log (say, after a
restart) cannot answer the wrong client.

The service never proposes a request twice: raft may drop a proposal (no
leader, a lost forwarded message) without telling, and then the request
times out with 503. A client that retries sends a new request, with a new
ID. So every request is applied at most once, and one that failed may have
been applied (once) or not. The state machine does not deduplicate: an
application that needs exactly-once retries would keep, per client, the
last request ID applied, in the replicated state and in snapshots.

# Reads

A linearizable GET calls RawNode.ReadIndex with a random context. Raft
answers with a ReadState holding the leader's commit index, confirmed by a
quorum after the request arrived; the value is read on the loop once the
store has applied that index, so it reflects every write acknowledged
before the read began. A request dropped by raft (no leader yet) is asked
again every election timeout until the request's deadline. ?stale=true
reads the local store at once: fast, possibly behind the leader.

# Snapshots, compaction and restarts

Every SnapshotEvery applied entries, and right after every configuration
change, the store is encoded (Store.Snapshot: the keys and the members'
URLs) and saved with wal.CreateSnapshot at the applied index, with the
configuration then in force. The log is then compacted to CompactSlack
entries below the snapshot (wal deletes whole segments only). The
snapshot after a configuration change is what lets a new member join a
compacted cluster: raft ignores a snapshot whose configuration does not
include the receiver, so the leader's newest snapshot must be newer than
the change that added it.

The store lives in memory only. On restart it is rebuilt in two steps:

 1. restore it from the newest snapshot on disk, taken at index S;
 2. create the RawNode with Config.Applied = S, so that raft hands out
    again, as CommittedEntries, every entry in (S, commit] of the
    persisted log, and apply them as usual.

This is correct because applying is deterministic and the snapshot is
exactly the state after applying 1..S: replaying S+1..commit in order
recreates the state the node had, whatever it had applied before the crash.
Config.Applied must not exceed the persisted commit index: S was an applied
index, and entries are only applied after the Ready that carried their
commit index was saved (or, for a snapshot received from the leader, wal
raises the commit index with it). Entries past the persisted commit are
not lost either: raft learns their fate from the leader. An Applied below
S would re-apply entries on top of the snapshot; idempotent puts would
survive that, but configuration changes would not.

# Membership

A ConfChange's Context is the URL of the member it adds (or promotes), and
bootstrapping gives each initial member its URL the same way, so applying
the log (or a snapshot, which carries the URL map) tells every node where
every member is; the transport's peers follow the applied membership. A
new node started with Join and the peers' addresses waits until a member
proposes its addition (POST /members), then catches up from the leader's
log or snapshot. Raft allows one membership change at a time; a second one
proposed while one is in flight is turned into an empty entry by the
leader, and its request times out with a 503 saying so.

A node that applies its own removal keeps running but answers 410 to
client requests (StepDownOnRemoval makes a removed leader hand over
first); stop it and delete its data directory.

# Apply trace

With Config.ApplyTrace every applied entry is appended to a file as a JSON
line (TraceRecord), including replays after restarts. The end-to-end tests
use the traces of all nodes to prove that no write was applied twice and
that all nodes applied the same entry at each index.
*/
package kv
