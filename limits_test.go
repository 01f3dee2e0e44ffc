package raft

import (
	"runtime"
	"sync"
	"testing"
	"time"
	"weak"

	"github.com/stretchr/testify/require"
)

// Nodes with equal settings share one limits value; different settings
// get their own; and Config.MaxUncommittedEntriesSize 0 (no limit) is
// stored as noLimit in the shared value as before.
func TestLimitsShared(t *testing.T) {
	a, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, nil)
	b, _ := newTestRaw(t, 2, []uint64{1, 2, 3}, nil)
	c, _ := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.PreVote = !c.PreVote })
	require.Same(t, a.raft.limits, b.raft.limits)
	require.NotSame(t, a.raft.limits, c.raft.limits)
	require.Equal(t, !a.raft.opts.preVote, c.raft.opts.preVote)
	require.Equal(t, uint64(noLimit), a.raft.maxUncommittedSize)
}

// Concurrent constructions with the same settings all end up sharing.
func TestLimitsConcurrent(t *testing.T) {
	l := limits{maxMsgSize: 12345, electionTimeout: 7, heartbeatTimeout: 1}
	var wg sync.WaitGroup
	got := make([]*limits, 16)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = internLimits(l)
		}()
	}
	wg.Wait()
	for _, p := range got {
		require.Same(t, got[0], p)
		require.Equal(t, l, *p)
	}
	runtime.KeepAlive(got)
}

// A shared value that no node uses any more is collected, and its cache
// entry goes with it; asking again makes a new one.
func TestLimitsCollected(t *testing.T) {
	l := limits{maxMsgSize: 54321, electionTimeout: 9, heartbeatTimeout: 2}
	wp := weak.Make(internLimits(l))
	// Cleanups run on their own goroutine after a GC: poll a while.
	for i := 0; ; i++ {
		runtime.GC()
		_, cached := limitsCache.Load(l)
		if wp.Value() == nil && !cached {
			break
		}
		require.Less(t, i, 5000, "unused limits never left the cache")
		time.Sleep(time.Millisecond)
	}
	p := internLimits(l)
	require.Equal(t, l, *p)
	runtime.KeepAlive(p)
}
