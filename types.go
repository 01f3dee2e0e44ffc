package raft

import (
	"errors"
	"fmt"
	"math"

	pb "github.com/raftcore/raft/raftpb"
)

// None is a placeholder node ID used when there is no leader, or no vote.
const None uint64 = 0

// LocalAppendThread is the pseudo node ID addressing the local storage
// append thread. With Config.AsyncStorageWrites, MsgStorageAppend messages
// are sent to it; their Responses are stepped back once the write is durable.
const LocalAppendThread uint64 = math.MaxUint64

// LocalApplyThread is the pseudo node ID addressing the local apply thread.
// With Config.AsyncStorageWrites, MsgStorageApply messages are sent to it;
// their Responses are stepped back once the entries have been applied.
const LocalApplyThread uint64 = math.MaxUint64 - 1

// ErrStopped is returned by methods of a Node that has been stopped.
var ErrStopped = errors.New("raft: stopped")

// ErrProposalDropped is returned when a proposal is ignored under conditions
// in which the caller may want to retry: for example no leader is known,
// the leader is transferring leadership, or a configuration change is
// already pending.
var ErrProposalDropped = errors.New("raft: proposal dropped")

// ErrStepLocalMsg is returned when a local message (such as MsgHup or
// MsgBeat) is passed to Step as if it had arrived from the network.
var ErrStepLocalMsg = errors.New("raft: cannot step raft local message")

// ErrStepPeerNotFound is returned when a response message is stepped whose
// sender is not in the current configuration.
var ErrStepPeerNotFound = errors.New("raft: cannot step as peer not found")

// entryID identifies a log entry by its term and index. By the Log Matching
// property, two logs holding entries with equal IDs agree on every entry up
// to and including that one.
type entryID struct {
	term  uint64
	index uint64
}

// String renders the ID as term/index.
func (id entryID) String() string {
	return fmt.Sprintf("%d/%d", id.term, id.index)
}

// pbEntryID returns the ID of the given entry.
func pbEntryID(e *pb.Entry) entryID {
	return entryID{term: e.Term, index: e.Index}
}

// EntryFormatter renders the Data of a normal entry for humans. It is used by
// the Describe* functions; nil selects the default, a quoted string.
type EntryFormatter func([]byte) string
