package rafttest

import (
	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
)

// handleReportSnapshot implements report-snapshot: the first node (the
// leader) learns how its snapshot to the second went.
//
//	report-snapshot 1 3
//	report-snapshot 1 3 status=failure
func (env *InteractionEnv) handleReportSnapshot(a *cmdArgs, _ datadriven.TestData) error {
	n, to, err := env.fromTo(a)
	if err != nil {
		return err
	}
	status := raft.SnapshotFinish
	var s string
	if ok, err := a.stringArg("status", &s); err != nil {
		return err
	} else if ok {
		switch s {
		case "finish":
		case "failure":
			status = raft.SnapshotFailure
		default:
			return a.errorf("status", "want finish or failure, got %q", s)
		}
	}
	if err := a.finish(); err != nil {
		return err
	}
	n.ReportSnapshot(to, status)
	return nil
}
