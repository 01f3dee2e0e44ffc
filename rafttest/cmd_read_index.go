package rafttest

import (
	"github.com/cockroachdb/datadriven"
)

// handleReadIndex implements read-index: the node requests a linearizable
// read with the given context; the answer is a ReadState in a later Ready.
//
//	read-index 1 ctx1
func (env *InteractionEnv) handleReadIndex(a *cmdArgs, _ datadriven.TestData) error {
	n, rctx, err := env.nodeAndText(a, "a context")
	if err != nil {
		return err
	}
	n.ReadIndex(rctx)
	return nil
}
