# The test command named in README.md; .ci/run calls it.
.PHONY: test fuzz-smoke proto bench

test:
	go vet ./...
	go test -race -count=1 ./...

# Each fuzz target runs briefly; longer runs: go test -fuzz=X -fuzztime=10m ./pkg
FUZZTIME ?= 10s
fuzz-smoke:
	go test -run '^$$' -fuzz '^FuzzMessageUnmarshal$$' -fuzztime $(FUZZTIME) ./raftpb

proto:
	raftpb/gen.sh

bench:
	go test -run '^$$' -bench . -benchmem ./...
