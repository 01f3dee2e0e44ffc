package rafttest

import "github.com/cockroachdb/datadriven"

// handleTickHeartbeat implements tick-heartbeat: the node is ticked
// HeartbeatTick times, which makes a leader send heartbeats.
//
//	tick-heartbeat 1
func (env *InteractionEnv) handleTickHeartbeat(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	for i := 0; i < n.Config.HeartbeatTick; i++ {
		n.Tick()
	}
	return nil
}
