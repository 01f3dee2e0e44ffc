package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
)

// handleSetRandomizedElectionTimeout implements
// set-randomized-election-timeout, through the hook in InteractionOpts:
//
//	set-randomized-election-timeout 1 timeout=4
func (env *InteractionEnv) handleSetRandomizedElectionTimeout(a *cmdArgs, _ datadriven.TestData) error {
	id, err := a.oneID()
	if err != nil {
		return err
	}
	timeout := -1
	if err := a.intArg("timeout", &timeout); err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	if timeout <= 0 {
		return a.errorf("timeout", "want timeout=<n> with n > 0")
	}
	n, err := env.node(id)
	if err != nil {
		return err
	}
	if env.Options.SetRandomizedElectionTimeout == nil {
		return fmt.Errorf("%s: InteractionOpts.SetRandomizedElectionTimeout is not set", a.cmd)
	}
	env.Options.SetRandomizedElectionTimeout(n.RawNode, timeout)
	return nil
}
