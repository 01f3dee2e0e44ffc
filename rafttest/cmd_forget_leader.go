package rafttest

import "github.com/cockroachdb/datadriven"

// handleForgetLeader implements forget-leader:
//
//	forget-leader 2
func (env *InteractionEnv) handleForgetLeader(a *cmdArgs, _ datadriven.TestData) error {
	n, err := env.oneNode(a)
	if err != nil {
		return err
	}
	env.printErr(n.ForgetLeader())
	return nil
}
