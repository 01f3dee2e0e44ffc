package rafttest

import (
	"github.com/cockroachdb/datadriven"
)

// handlePropose implements propose:
//
//	propose 1 foo
func (env *InteractionEnv) handlePropose(a *cmdArgs, _ datadriven.TestData) error {
	n, data, err := env.nodeAndText(a, "the data")
	if err != nil {
		return err
	}
	env.printErr(n.Propose(data))
	return nil
}
