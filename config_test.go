package raft

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// validConfig returns a Config that NewRawNode accepts.
func validConfig(t *testing.T) *Config {
	return testConfig(1, newTestStorage(t, []uint64{1, 2, 3}))
}

// Every invalid Config is an error from NewRawNode that names the field.
func TestConfigValidation(t *testing.T) {
	tests := []struct {
		field string
		mod   func(*Config)
	}{
		{"ID", func(c *Config) { c.ID = None }},
		{"HeartbeatTick", func(c *Config) { c.HeartbeatTick = 0 }},
		{"HeartbeatTick", func(c *Config) { c.HeartbeatTick = -1 }},
		{"ElectionTick", func(c *Config) { c.ElectionTick = c.HeartbeatTick }},
		{"ElectionTick", func(c *Config) { c.ElectionTick = 0 }},
		{"ElectionTick", func(c *Config) { c.ElectionTick = 1 << 40 }},
		{"Storage", func(c *Config) { c.Storage = nil }},
		{"MaxInflightMsgs", func(c *Config) { c.MaxInflightMsgs = 0 }},
		{"MaxInflightMsgs", func(c *Config) { c.MaxInflightMsgs = -3 }},
		{"MaxInflightBytes", func(c *Config) { c.MaxSizePerMsg = 1024; c.MaxInflightBytes = 1023 }},
		{"ReadOnlyOption", func(c *Config) { c.ReadOnlyOption = ReadOnlyOption(7) }},
		{"ReadOnlyOption", func(c *Config) { c.ReadOnlyOption = ReadOnlyLeaseBased; c.CheckQuorum = false }},
		{"Applied", func(c *Config) { c.Applied = 2 }}, // commit is 1
	}
	for _, tc := range tests {
		t.Run(tc.field, func(t *testing.T) {
			cfg := validConfig(t)
			tc.mod(cfg)
			rn, err := NewRawNode(cfg)
			require.Error(t, err)
			require.Nil(t, rn)
			require.Contains(t, err.Error(), tc.field)
		})
	}

	// The valid configurations next to the boundaries.
	ok := []func(*Config){
		func(c *Config) {},
		func(c *Config) { c.ElectionTick = c.HeartbeatTick + 1 },
		func(c *Config) { c.MaxSizePerMsg = 1024; c.MaxInflightBytes = 1024 },
		func(c *Config) { c.MaxSizePerMsg = 1024; c.MaxInflightBytes = 0 },
		func(c *Config) { c.ReadOnlyOption = ReadOnlyLeaseBased; c.CheckQuorum = true },
		func(c *Config) { c.Applied = 1 },
		func(c *Config) { c.Logger = nil },
		func(c *Config) { c.MaxSizePerMsg = 0; c.MaxCommittedSizePerReady = 0; c.MaxUncommittedEntriesSize = 0 },
	}
	for i, mod := range ok {
		cfg := validConfig(t)
		mod(cfg)
		_, err := NewRawNode(cfg)
		require.NoError(t, err, "valid config %d", i)
	}
}

// NewRawNode does not modify the caller's Config (defaults are filled in a
// copy).
func TestConfigNotModified(t *testing.T) {
	cfg := validConfig(t)
	cfg.Logger = nil
	before := *cfg
	_, err := NewRawNode(cfg)
	require.NoError(t, err)
	require.Equal(t, before, *cfg)
}

// Zero MaxSizePerMsg means one entry per MsgApp.
func TestConfigZeroMaxSizePerMsg(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2}, func(c *Config) { c.MaxSizePerMsg = 0 })
	makeLeader(t, rn, st)
	for i := 0; i < 5; i++ {
		require.NoError(t, rn.Propose([]byte{byte(i)}))
	}
	drain(t, rn, st)
	// Follower 2 answers the probe of the leader's empty entry; then
	// everything after it is streamed.
	require.NoError(t, rn.Step(pb.Message{From: 2, To: 1, Type: pb.MsgAppResp, Term: rn.raft.Term, Index: 2}))
	msgs, _ := drain(t, rn, st)
	var sent []uint64
	for _, m := range pick(msgs, pb.MsgApp, 2) {
		require.LessOrEqual(t, len(m.Entries), 1, DescribeMessage(m, nil))
		for _, e := range m.Entries {
			sent = append(sent, e.Index)
		}
	}
	require.Equal(t, []uint64{3, 4, 5, 6, 7}, sent)
}

// Zero MaxCommittedSizePerReady means no limit: everything committed comes
// in one Ready.
func TestConfigZeroMaxCommittedSizePerReady(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1}, func(c *Config) { c.MaxCommittedSizePerReady = 0 })
	require.NoError(t, rn.Campaign())
	drain(t, rn, st)
	for i := 0; i < 50; i++ {
		require.NoError(t, rn.Propose(make([]byte, 1<<14)))
	}
	rd := persist(t, rn, st) // persists the entries; the self-ack commits
	require.Empty(t, rd.CommittedEntries)
	rd = persist(t, rn, st)
	require.Len(t, rd.CommittedEntries, 50)
	require.False(t, rn.HasReady())
}

// Zero MaxUncommittedEntriesSize means no limit.
func TestConfigZeroMaxUncommittedEntriesSize(t *testing.T) {
	rn, st := newTestRaw(t, 1, []uint64{1, 2, 3}, func(c *Config) { c.MaxUncommittedEntriesSize = 0 })
	makeLeader(t, rn, st)
	for i := 0; i < 64; i++ {
		require.NoError(t, rn.Propose(make([]byte, 1<<20)))
	}
	require.Equal(t, uint64(2+64), rn.raft.raftLog.lastIndex())
}

// A node restarted with Applied > 0 hands out only the committed entries
// after Applied, and keeps applying new ones, also with MaxSizePerMsg 0
// (which must not be mistaken for a zero page size anywhere).
func TestConfigRestartWithAppliedAndZeroMaxSizePerMsg(t *testing.T) {
	st := newTestStorage(t, []uint64{1})
	var ents []pb.Entry
	for i := uint64(2); i <= 6; i++ {
		ents = append(ents, pb.Entry{Index: i, Term: 1, Data: []byte(fmt.Sprint("old", i))})
	}
	// A configuration change among the unapplied entries: the node must
	// scan them before it may campaign.
	ccData, err := (&pb.ConfChange{Type: pb.ConfChangeAddLearnerNode, NodeID: 2}).Marshal()
	require.NoError(t, err)
	ents = append(ents, pb.Entry{Index: 7, Term: 1, Type: pb.EntryConfChange, Data: ccData})
	require.NoError(t, st.Append(ents))
	require.NoError(t, st.SetHardState(pb.HardState{Term: 1, Vote: 1, Commit: 7}))

	cfg := testConfig(1, st)
	cfg.Applied = 4
	cfg.MaxSizePerMsg = 0
	rn, err := NewRawNode(cfg)
	require.NoError(t, err)
	require.Equal(t, uint64(4), rn.BasicStatus().Applied)

	rd := persist(t, rn, st)
	var idx []uint64
	for _, e := range rd.CommittedEntries {
		idx = append(idx, e.Index)
	}
	require.Equal(t, []uint64{5, 6, 7}, idx, "entries at or below Applied were handed out again")
	drain(t, rn, st)
	require.Equal(t, []uint64{2}, rn.raft.confState().Learners)

	require.NoError(t, rn.Campaign())
	drain(t, rn, st)
	require.Equal(t, StateLeader, rn.raft.state)
	var applied []string
	for i := 0; i < 3; i++ {
		require.NoError(t, rn.Propose([]byte(fmt.Sprint("new", i))))
		_, committed := drain(t, rn, st)
		applied = append(applied, entryData(committed)...)
	}
	require.Equal(t, []string{"new0", "new1", "new2"}, applied)
	require.Equal(t, rn.raft.raftLog.lastIndex(), rn.BasicStatus().Applied)
}

// Applied beyond the persisted commit index is an error naming Applied.
func TestConfigAppliedBeyondCommit(t *testing.T) {
	st := newTestStorage(t, []uint64{1})
	require.NoError(t, st.Append([]pb.Entry{{Index: 2, Term: 1}, {Index: 3, Term: 1}}))
	require.NoError(t, st.SetHardState(pb.HardState{Term: 1, Commit: 2}))
	cfg := testConfig(1, st)
	cfg.Applied = 3
	_, err := NewRawNode(cfg)
	require.Error(t, err)
	require.Contains(t, err.Error(), "Applied")
	cfg.Applied = 2
	_, err = NewRawNode(cfg)
	require.NoError(t, err)
}
