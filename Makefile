# The test command named in README.md; .ci/run calls it.
.PHONY: test fuzz-smoke proto bench

test:
	go vet ./...
	go test -race -count=1 ./...
	cd example && go vet ./... && go test -race -count=1 ./...

# Each decoding fuzz target runs briefly. The budget is an execution count,
# not a duration: Go's fuzzer can misreport its own deadline as a failure.
# Longer runs: go test -run '^$$' -fuzz FuzzMessageUnmarshal -fuzztime 10m ./raftpb
FUZZTIME ?= 100000x
fuzz-smoke:
	go test -run '^$$' -fuzz '^FuzzMessageUnmarshal$$' -fuzztime $(FUZZTIME) ./raftpb
	go test -run '^$$' -fuzz '^FuzzConfStateUnmarshal$$' -fuzztime $(FUZZTIME) ./raftpb
	go test -run '^$$' -fuzz '^FuzzConfChangeV2Unmarshal$$' -fuzztime $(FUZZTIME) ./raftpb
	cd example && go test -run '^$$' -fuzz '^FuzzDecodeBatch$$' -fuzztime 20000x ./transport
	cd example && go test -run '^$$' -fuzz '^FuzzRecovery$$' -fuzztime 5000x ./wal

proto:
	raftpb/gen.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...
