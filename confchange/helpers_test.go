package confchange

import (
	"github.com/raftcore/raft/tracker"
)

// cloneTracker returns a deep copy of tr, for checking later, with
// reflect.DeepEqual, that tr was not modified.
func cloneTracker(tr tracker.ProgressTracker) tracker.ProgressTracker {
	out := tr
	out.Config = tr.Config.Clone()
	if tr.Progress != nil {
		out.Progress = make(tracker.ProgressMap, len(tr.Progress))
		for id, pr := range tr.Progress {
			if pr == nil {
				out.Progress[id] = nil
				continue
			}
			cp := *pr
			if pr.Inflights != nil {
				cp.Inflights = pr.Inflights.Clone()
			}
			out.Progress[id] = &cp
		}
	}
	if tr.Votes != nil {
		out.Votes = make(map[uint64]bool, len(tr.Votes))
		for id, v := range tr.Votes {
			out.Votes[id] = v
		}
	}
	return out
}
