package rafttest

import (
	"fmt"
	"strings"

	"github.com/cockroachdb/datadriven"
	pb "github.com/raftcore/raft/raftpb"
)

// handleProposeConfChange implements propose-conf-change. The changes are
// the command's input, in the form of pb.ConfChangesFromString:
//
//	propose-conf-change 1 v1=true
//	v4
//
//	propose-conf-change 1 transition=explicit
//	v4 r2
//
// With v1=true the single change is proposed as a ConfChange; otherwise as
// a ConfChangeV2 with the given transition (auto, implicit or explicit;
// default auto). A ConfChangeV2 without changes asks to leave a joint
// configuration.
func (env *InteractionEnv) handleProposeConfChange(a *cmdArgs, d datadriven.TestData) error {
	id, err := a.oneID()
	if err != nil {
		return err
	}
	var v1 bool
	if err := a.boolArg("v1", &v1); err != nil {
		return err
	}
	transition := pb.ConfChangeTransitionAuto
	var tname string
	if ok, err := a.stringArg("transition", &tname); err != nil {
		return err
	} else if ok {
		switch tname {
		case "auto":
		case "implicit":
			transition = pb.ConfChangeTransitionJointImplicit
		case "explicit":
			transition = pb.ConfChangeTransitionJointExplicit
		default:
			return a.errorf("transition", "want auto, implicit or explicit, got %q", tname)
		}
	}
	if err := a.finish(); err != nil {
		return err
	}
	if v1 && tname != "" {
		return fmt.Errorf("%s: a v1 ConfChange has no transition", a.cmd)
	}
	changes, err := pb.ConfChangesFromString(strings.TrimSpace(d.Input))
	if err != nil {
		return fmt.Errorf("%s: input %q: %v", a.cmd, d.Input, err)
	}
	n, err := env.node(id)
	if err != nil {
		return err
	}
	var cc pb.ConfChangeI
	if v1 {
		if len(changes) != 1 {
			return fmt.Errorf("%s: a v1 ConfChange has exactly one change, got %d", a.cmd, len(changes))
		}
		cc = pb.ConfChange{Type: changes[0].Type, NodeID: changes[0].NodeID}
	} else {
		cc = pb.ConfChangeV2{Transition: transition, Changes: changes}
	}
	env.printErr(n.ProposeConfChange(cc))
	return nil
}
