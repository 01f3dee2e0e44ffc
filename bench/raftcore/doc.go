// Package bench drives a Raft library through the API that raftcore shares
// with etcd raft. The code is written once, in bench/raftcore (against
// raftcore); bench/gen.sh generates the copies in bench/etcd36 (etcd raft
// v3.6.0) and bench/etcd37 (v3.7.0, whose message shim lib_test.go is
// hand-written), so the three test binaries run identical workloads.
// bench/compare.sh runs them side by side; bench/README.md explains the
// benchmarks.
//
// Files:
//   - bench_test.go: the benchmark bodies (RawNode, MemoryStorage,
//     Ready/Advance, Step only).
//   - lib_test.go: the few helpers that depend on how messages are
//     represented (gogo value types in raftcore and etcd v3.6; protobuf-go
//     pointers in etcd v3.7).
package bench

//go:generate ../gen.sh
