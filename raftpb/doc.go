// Package raftpb holds the messages raftcore exchanges and persists: log
// entries, hard state, snapshots, membership configurations and changes, and
// the Message type that carries every protocol message.
//
// raft.pb.go is generated from raft.proto by gogo/protobuf's
// protoc-gen-gogofaster (run raftpb/gen.sh) and is checked in; CI fails when
// it is stale. The encoding is byte-identical to etcd raft v3.6, so a cluster
// can move between the two libraries node by node. Everything else in this
// package is hand-written helpers around the generated types.
package raftpb
