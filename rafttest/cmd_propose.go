package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
)

// handlePropose implements propose:
//
//	propose 1 foo
func (env *InteractionEnv) handlePropose(a *cmdArgs, _ datadriven.TestData) error {
	pos := a.positional()
	if err := a.finish(); err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%s: want a node ID and the data, got %d positional arguments", a.cmd, len(pos))
	}
	id, err := parseID(a, pos[0])
	if err != nil {
		return err
	}
	n, err := env.node(id)
	if err != nil {
		return err
	}
	env.printErr(n.Propose([]byte(pos[1])))
	return nil
}
