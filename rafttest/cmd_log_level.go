package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
)

// handleLogLevel implements log-level: node log lines below the level are
// not printed from now on.
//
//	log-level debug
//	log-level none
func (env *InteractionEnv) handleLogLevel(a *cmdArgs, _ datadriven.TestData) error {
	pos := a.positional()
	if err := a.finish(); err != nil {
		return err
	}
	if len(pos) != 1 {
		return fmt.Errorf("%s: want one level, got %d arguments", a.cmd, len(pos))
	}
	lvl, err := parseLevel(pos[0])
	if err != nil {
		return a.errorf(pos[0], "%v", err)
	}
	env.logger.level = lvl
	return nil
}
