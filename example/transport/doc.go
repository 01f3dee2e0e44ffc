/*
Package transport carries raft messages between the nodes of the example
service over HTTP (net/http), for a raft loop that follows the Ready
contract: it hands the messages of a Ready to Send once the Ready's writes
are durable, steps what the Handler's Process receives, and passes the
transport's ReportUnreachable and ReportSnapshot calls on to raft.

	tr := transport.New(transport.Config{ID: 1, Handler: loop})
	defer tr.Stop()
	mux.Handle("/raft/", tr.Handler())
	tr.AddPeer(2, "http://10.0.0.2:2380/raft")
	tr.AddPeer(3, "http://10.0.0.3:2380/raft")
	...
	// in the raft loop, after persisting rd.HardState, rd.Entries and rd.Snapshot:
	tr.Send(rd.Messages)

Peers can be added, re-addressed and removed while messages flow, typically
when a configuration change is applied.

# Endpoints

A peer's URL is where its Handler is mounted (above, "/raft"). The
transport appends one of two paths and POSTs to it:

	POST <url>/message    a batch of messages, in the order they were sent
	POST <url>/snapshot   one MsgSnap, snapshot data included

Both carry X-Raft-From (the sender's ID, informational) and a Content-Type
of application/x-raftcore-batch or application/x-raftcore-message.

# Framing

A batch body is a sequence of frames and nothing else:

	frame   = length message
	length  = uvarint (encoding/binary), the byte length of message
	message = pb.Message in protobuf encoding (Message.Marshal)

An empty body is an empty batch. A snapshot body is a single pb.Message
in protobuf encoding with no length prefix: the body's length delimits it.
The sender writes the Snapshot field (number 9) last, after fields 10-14,
so that it can stream the snapshot data from the message's own slice
instead of copying it into an encoded message; protobuf decoders accept
fields in any order. The receiver holds the whole body in memory, because
raft steps the snapshot as one message.

# Answers

	204 No Content               every message was stepped (Process returned nil)
	400 Bad Request              the body cannot be decoded, or a message is
	                             addressed to another node ("wrong cluster
	                             member"), has no sender, has an unknown type,
	                             is a node-local type, or is a MsgSnap without
	                             a snapshot; nothing of the request is stepped
	404 Not Found                an unknown path
	405 Method Not Allowed       not a POST
	413 Request Entity Too Large the body exceeds MaxBatchBodyBytes (64 MiB by
	                             default) or MaxSnapshotBodyBytes (1 GiB)
	503 Service Unavailable      Process failed; the messages before it were
	                             stepped, the rest were dropped

Error answers carry a one-line plain-text explanation. The sender treats
every answer other than 2xx as a failed delivery.

# Back-pressure and failures

Send never blocks the raft loop. Each peer has a queue of QueueSize
messages (4096 by default) and one goroutine that drains it: it takes the
first waiting message and every further message already queued, up to
MaxBatchBytes of frames, and POSTs them as one batch. While a POST is in
flight, new messages gather in the queue, so batches grow with load and a
lone heartbeat leaves at once. Messages to one peer are delivered in the
order Send received them; a message is never sent twice.

	event                                   what happens
	queue full                              message dropped, ReportUnreachable(to)
	peer unknown to the transport           message dropped, ReportUnreachable(to)
	POST failed (network, timeout, non-2xx) batch dropped, ReportUnreachable(to),
	                                        the sender pauses: RetryBackoff (50ms),
	                                        doubling up to MaxRetryBackoff (1s),
	                                        reset by the next success
	MsgSnap                                 sent by the peer's snapshot goroutine, so
	                                        it never delays small messages; then
	                                        ReportSnapshot(to, SnapshotFinish) on 2xx,
	                                        ReportSnapshot(to, SnapshotFailure) otherwise
	MsgSnap while another one waits         dropped, ReportSnapshot(to, SnapshotFailure)

Messages queued during a pause stay queued and go out when it ends;
messages arriving while the queue is full are dropped. Raft retransmits
what it needs, so dropping is safe; the reports make the leader probe the
peer instead of streaming to it blindly.

Reports reach the Handler from a goroutine of the transport, never from
inside Send, so a Handler may forward them to the raft loop over a channel
even when that loop is the caller of Send. Unreachable reports for one peer
that pile up before they are delivered are merged into one.

# Stopping

Stop aborts the requests in flight, ends every goroutine of the transport
and closes the idle connections of the transport's own client. The HTTP
server serving Handler belongs to the application and is shut down by it.
*/
package transport
