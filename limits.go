package raft

import (
	"runtime"
	"sync"
	"weak"
)

// limits are the settings a node takes from its Config and never changes:
// timeouts, size limits and options. Nodes with equal settings share one
// limits value (internLimits). A multi-raft host configures its thousands
// of groups alike, so each group carries a pointer instead of 56 bytes.
//
// raft embeds *limits, so r.electionTimeout and r.opts read through it.
// Nothing may write to a limits value once interned.
type limits struct {
	maxMsgSize         uint64
	maxUncommittedSize uint64
	// maxInflight and maxInflightBytes size each peer's flow-control
	// window (Config.MaxInflightMsgs, Config.MaxInflightBytes).
	maxInflight      int
	maxInflightBytes uint64
	heartbeatTimeout int
	electionTimeout  int
	opts             options
}

// limitsCache maps each limits value in use to the shared copy. Entries
// hold the copy weakly: a cleanup removes an entry once no node refers to
// its copy any more, so settings that come and go (tests, reconfigured
// groups) do not accumulate.
var limitsCache sync.Map // limits -> weak.Pointer[limits]

// internLimits returns the shared copy of l, making it if there is none.
func internLimits(l limits) *limits {
	for {
		if v, ok := limitsCache.Load(l); ok {
			if p := v.(weak.Pointer[limits]).Value(); p != nil {
				return p
			}
			// The copy was collected and its cleanup has not yet run:
			// take the entry out of its way and make a new one.
			limitsCache.CompareAndDelete(l, v)
			continue
		}
		p := new(limits)
		*p = l
		wp := weak.Make(p)
		if _, loaded := limitsCache.LoadOrStore(l, wp); loaded {
			continue // another node made one first: share it
		}
		runtime.AddCleanup(p, func(wp weak.Pointer[limits]) {
			// Only our own entry: a newer copy may already have
			// replaced it.
			limitsCache.CompareAndDelete(l, wp)
		}, wp)
		return p
	}
}
