package raft

import (
	"sync"

	pb "github.com/raftcore/raft/raftpb"
)

// Recycling of the arrays behind Ready.Messages (Config.RecycleMessages).
//
// An array travels through msgArrays inside a msgArray carrier, so that
// putting it back costs no allocation. A node that takes an array keeps
// the carrier (raft.msgsCarrier) and uses it to return the array of the
// Ready it handed out; carriers thus circulate with the arrays.

// maxRecycledMsgs bounds the arrays kept for reuse: a rare Ready with many
// messages (a catch-up burst) should not pin its array in the pool.
const maxRecycledMsgs = 1024

// msgArray carries a message array through msgArrays.
type msgArray struct{ msgs []pb.Message }

// msgArrays holds message arrays that no Ready refers to any more, shared
// by all nodes of the process.
var msgArrays sync.Pool

// newMsgs returns an empty slice for the messages of the next Ready: a
// recycled array when RecycleMessages allows, else a new one with room for
// n messages.
func (r *raft) newMsgs(n int) []pb.Message {
	// A carrier already held waits for the array of a Ready not yet
	// advanced; it cannot carry a second one.
	if r.opts.recycleMessages && r.msgsCarrier == nil {
		if c, _ := msgArrays.Get().(*msgArray); c != nil {
			msgs := c.msgs
			c.msgs = nil
			r.msgsCarrier = c
			return msgs
		}
	}
	return make([]pb.Message, 0, n)
}

// lendMsgs records the messages of an accepted Ready, to take their array
// back when that Ready is advanced.
func (r *raft) lendMsgs(msgs []pb.Message) {
	if !r.opts.recycleMessages || cap(msgs) == 0 {
		return
	}
	if r.msgsCarrier == nil {
		r.msgsCarrier = new(msgArray)
	}
	r.msgsCarrier.msgs = msgs
}

// recycleMsgs returns the array of an advanced Ready's messages to the
// pool, if it is the array lent last. An application that advances some
// other Ready (or the same one twice) recycles nothing.
func (r *raft) recycleMsgs(advanced []pb.Message) {
	c := r.msgsCarrier
	if c == nil || cap(c.msgs) == 0 || cap(advanced) == 0 || &c.msgs[:1][0] != &advanced[:1][0] {
		return
	}
	r.msgsCarrier = nil
	if cap(c.msgs) > maxRecycledMsgs {
		c.msgs = nil
		return
	}
	// Drop every reference to entries, snapshots and contexts, so that the
	// pool keeps no memory of the log alive.
	clear(c.msgs[:cap(c.msgs)])
	c.msgs = c.msgs[:0]
	msgArrays.Put(c)
}
