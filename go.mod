module github.com/raftcore/raft

go 1.24

require (
	github.com/cockroachdb/datadriven v1.0.3
	github.com/gogo/protobuf v1.3.2
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/pmezard/go-difflib v1.0.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
