package rafttest

import (
	"fmt"

	"github.com/cockroachdb/datadriven"
)

// handleReadIndex implements read-index: the node requests a linearizable
// read with the given context; the answer is a ReadState in a later Ready.
//
//	read-index 1 ctx1
func (env *InteractionEnv) handleReadIndex(a *cmdArgs, _ datadriven.TestData) error {
	pos := a.positional()
	if err := a.finish(); err != nil {
		return err
	}
	if len(pos) != 2 {
		return fmt.Errorf("%s: want a node ID and a context, got %d positional arguments", a.cmd, len(pos))
	}
	id, err := parseID(a, pos[0])
	if err != nil {
		return err
	}
	n, err := env.node(id)
	if err != nil {
		return err
	}
	n.ReadIndex([]byte(pos[1]))
	return nil
}
