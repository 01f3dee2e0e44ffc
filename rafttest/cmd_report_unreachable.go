package rafttest

import "github.com/cockroachdb/datadriven"

// handleReportUnreachable implements report-unreachable: the first node
// learns that its last message to the second did not arrive.
//
//	report-unreachable 1 2
func (env *InteractionEnv) handleReportUnreachable(a *cmdArgs, _ datadriven.TestData) error {
	n, to, err := env.fromTo(a)
	if err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}
	n.ReportUnreachable(to)
	return nil
}
