#!/usr/bin/env bash
# Regenerates raft.pb.go from raft.proto.
#
#   raftpb/gen.sh          write raft.pb.go
#   raftpb/gen.sh --check  fail if the checked-in raft.pb.go differs from a fresh generation
#
# It installs what it needs: protoc from Debian's protobuf-compiler (when
# missing) and protoc-gen-gogofaster at the pinned version below.
set -euo pipefail
GOGO_VERSION=v1.3.2

here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! command -v protoc >/dev/null 2>&1; then
  echo "gen.sh: installing protoc (Debian protobuf-compiler)" >&2
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq >/dev/null
  $sudo apt-get install -y -qq protobuf-compiler >/dev/null
fi

bin=$(mktemp -d)
out=$(mktemp -d)
trap 'rm -rf "$bin" "$out"' EXIT
GOBIN=$bin GOFLAGS=-mod=mod go install "github.com/gogo/protobuf/protoc-gen-gogofaster@$GOGO_VERSION"
gogo=$(GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' "github.com/gogo/protobuf@$GOGO_VERSION" 2>/dev/null || true)
if [ -z "$gogo" ] || [ ! -d "$gogo" ]; then
  GOFLAGS=-mod=mod go mod download "github.com/gogo/protobuf@$GOGO_VERSION"
  gogo=$(go env GOMODCACHE)/github.com/gogo/protobuf@$GOGO_VERSION
fi

PATH=$bin:$PATH protoc -I . -I "$gogo" -I "$gogo/protobuf" --gogofaster_out="$out" raft.proto
gen=$(find "$out" -name raft.pb.go)

if [ "${1:-}" = "--check" ]; then
  if ! diff -u raft.pb.go "$gen"; then
    echo "gen.sh: raft.pb.go is stale; run raftpb/gen.sh and commit the result" >&2
    exit 1
  fi
  echo "gen.sh: raft.pb.go matches raft.proto"
else
  cp "$gen" raft.pb.go
fi
