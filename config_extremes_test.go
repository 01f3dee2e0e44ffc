package raft

import (
	"fmt"
	"math"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// TestConfigSizeLimitExtremes runs a three-node cluster under zero, tiny and
// unbounded values of every size limit, alone and combined, and checks
// that nothing wedges: every proposal (up to 300 bytes, larger than the
// tiny limits) commits and is applied everywhere, and a follower restarted
// with Config.Applied > 0 keeps applying new entries.
func TestConfigSizeLimitExtremes(t *testing.T) {
	type limits struct {
		maxSizePerMsg, maxCommittedSizePerReady, maxUncommitted, maxInflightBytes uint64
		maxInflightMsgs                                                           int
	}
	var cases []limits
	for _, v := range []uint64{0, 1, 100, math.MaxUint64} {
		cases = append(cases,
			limits{maxSizePerMsg: v, maxInflightMsgs: 256},
			limits{maxCommittedSizePerReady: v, maxInflightMsgs: 256},
			limits{maxUncommitted: v, maxInflightMsgs: 256},
		)
		if v != 1 && v != 100 { // must be 0 or >= MaxSizePerMsg (0 here)
			cases = append(cases, limits{maxInflightBytes: v, maxInflightMsgs: 256})
		}
		cases = append(cases, limits{maxSizePerMsg: v, maxCommittedSizePerReady: v, maxUncommitted: v, maxInflightBytes: v, maxInflightMsgs: 1})
	}
	cases = append(cases, limits{maxInflightBytes: 1, maxInflightMsgs: 1})
	for _, lim := range cases {
		t.Run(fmt.Sprintf("%+v", lim), func(t *testing.T) {
			set := func(cfg *Config) {
				cfg.MaxSizePerMsg = lim.maxSizePerMsg
				cfg.MaxCommittedSizePerReady = lim.maxCommittedSizePerReady
				cfg.MaxUncommittedEntriesSize = lim.maxUncommitted
				cfg.MaxInflightBytes = lim.maxInflightBytes
				cfg.MaxInflightMsgs = lim.maxInflightMsgs
			}
			c := newTestCluster(t, 3, set)
			require.NoError(t, c.nodes[1].rn.Campaign())
			c.stabilize()
			propose := func(n int, tag string) {
				for i := 0; i < n; i++ {
					data := make([]byte, 1+(i*37)%300)
					copy(data, fmt.Sprintf("%s%d", tag, i))
					// One at a time: a tiny uncommitted budget takes one
					// entry while nothing else is uncommitted.
					require.NoError(t, c.nodes[1].rn.Propose(data))
					c.stabilize()
				}
			}
			propose(10, "a")
			last := c.nodes[1].rn.raft.raftLog.lastIndex()
			for _, id := range c.ids {
				require.Equal(t, last, c.nodes[id].rn.raft.raftLog.applied, "node %d", id)
			}

			// Restart follower 2 with Applied > 0 from its storage.
			n := c.nodes[2]
			applied := n.rn.raft.raftLog.applied
			cfg := testConfig(2, n.st)
			set(cfg)
			cfg.Applied = applied
			rn, err := NewRawNode(cfg)
			require.NoError(t, err)
			n.rn = rn
			propose(5, "b")
			last = c.nodes[1].rn.raft.raftLog.lastIndex()
			require.Equal(t, last, n.rn.raft.raftLog.applied, "the restarted node stopped applying")
			got := n.applied[len(n.applied)-1]
			require.Equal(t, pb.EntryNormal, got.Type)
			require.Equal(t, "b4", string(got.Data[:2]))
		})
	}
}
