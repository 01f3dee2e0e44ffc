package raft

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBootstrapThenCampaignAtOnce: a bootstrapped node knows its
// configuration, so it may campaign before its first Ready is handled.
func TestBootstrapThenCampaignAtOnce(t *testing.T) {
	st := NewMemoryStorage()
	rn, err := NewRawNode(testConfig(1, st))
	require.NoError(t, err)
	require.NoError(t, rn.Bootstrap([]Peer{{ID: 1}}))
	require.NoError(t, rn.Campaign())
	require.Equal(t, StateCandidate, rn.raft.state)
}
