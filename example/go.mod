module github.com/raftcore/raft/example

go 1.24

require github.com/raftcore/raft v0.0.0

require github.com/gogo/protobuf v1.3.2 // indirect

replace github.com/raftcore/raft => ../
