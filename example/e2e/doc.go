// Package e2e tests the raftkv service end to end, with real processes:
// the tests build cmd/raftkv, start nodes on loopback ports, and talk to
// them over HTTP only. They are skipped with -short.
//
// TestCluster, in three phases (about a minute on a slow two-core machine):
//
//  1. Three nodes; eight clients write 1,000 keys (then overwrite a third
//     of them) through all nodes, retrying failed attempts with new
//     values. After 300 acknowledged writes the leader is killed with
//     SIGKILL; the writes go on through the other two; after 700 the
//     killed node is restarted. Then, once every node has applied the
//     leader's commit index: the apply traces of all nodes are checked
//     (same entry at the same index everywhere, no index missing, no
//     value applied twice, every acknowledged write applied, in order),
//     and every key is read from every node with ?stale=true and, through
//     ReadIndex, from a follower and the leader.
//  2. A fourth node starts with --join and is added as a learner (the
//     log is compacted by then, so it installs a snapshot), then promoted;
//     the leader is removed and must answer 410 afterwards; more writes, a
//     leadership transfer, and bad requests that must get a 4xx with a
//     clear message (unknown member, malformed JSON, oversized value).
//  3. The whole cluster stops (one node with SIGKILL, the others with
//     SIGTERM, which must exit cleanly) and restarts from disk; the data
//     is checked again.
//
// TestWriteThroughput measures the write throughput and latency of a
// three-node cluster on loopback with fsync on and off (run with -v to see
// the numbers).
//
// Every node writes an apply trace (--apply-trace) and a log; on failure
// the tail of each log is printed.
package e2e
