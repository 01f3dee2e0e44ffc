package rafttest

import "github.com/cockroachdb/datadriven"

// handleCampaign implements campaign:
//
//	campaign 1
func (env *InteractionEnv) handleCampaign(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	env.printErr(n.Campaign())
	return nil
}
