package raft

import (
	"github.com/raftcore/raft/confchange"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// applyConfChange applies a committed configuration change and returns the
// configuration now in force.
//
// Every node applies the same log in the same order, so a change that the
// configuration rules refuse (for example one that would remove every
// voter) is refused identically everywhere: it is logged and has no effect,
// rather than crashing the node.
func (r *raft) applyConfChange(cc pb.ConfChangeV2) pb.ConfState {
	cfg, prs, err := r.changeConfig(cc)
	if err != nil {
		r.logger().Errorf("%x ignores configuration change %s: %v", r.id, pb.ConfChangesToString(cc.Changes), err)
		return r.confState()
	}
	return r.switchToConfig(cfg, prs)
}

// changeConfig computes the configuration that cc makes of the current
// one, without installing it.
func (r *raft) changeConfig(cc pb.ConfChangeV2) (tracker.Config, tracker.ProgressMap, error) {
	changer := confchange.Changer{Tracker: r.tracker(), LastIndex: r.raftLog.lastIndex()}
	if cc.LeaveJoint() {
		return changer.LeaveJoint()
	}
	if autoLeave, ok := cc.EnterJoint(); ok {
		return changer.EnterJoint(autoLeave, cc.Changes...)
	}
	return changer.Simple(cc.Changes...)
}

// lastConfChangeIndex returns the index of the last configuration change
// entry in [lo, hi), or 0 if there is none. If the log cannot be read it
// returns hi-1, the conservative answer.
func (r *raft) lastConfChangeIndex(lo, hi uint64) uint64 {
	if lo >= hi {
		return 0
	}
	var last uint64
	err := r.raftLog.scan(lo, hi, r.scanPageSize(), func(ents []pb.Entry) error {
		for i := range ents {
			if ents[i].Type == pb.EntryConfChange || ents[i].Type == pb.EntryConfChangeV2 {
				last = ents[i].Index
			}
		}
		return nil
	})
	if err != nil {
		r.logger().Errorf("%x error scanning entries [%d, %d) for configuration changes: %v", r.id, lo, hi, err)
		return hi - 1
	}
	return last
}

// scanPageSize bounds the memory of log scans.
func (r *raft) scanPageSize() uint64 {
	if r.maxMsgSize == 0 || r.maxMsgSize > 1<<20 {
		return 1 << 20
	}
	return r.maxMsgSize
}

// switchToConfig installs a new configuration and does what it implies: a
// leader that is no longer a voter may step down, the commit index may move
// because the quorum changed, and new peers get their first appends.
func (r *raft) switchToConfig(cfg tracker.Config, prs tracker.ProgressMap) pb.ConfState {
	r.setConfig(cfg, prs)
	r.dropIdleWindows()
	r.logger().Infof("%x switched to configuration %s", r.id, r.cfgString())
	cs := r.confState()
	pr := r.progress(r.id)
	ok := pr != nil
	r.isLearner = ok && pr.IsLearner

	if (!ok || r.isLearner) && (r.state == StateCandidate || r.state == StatePreCandidate) {
		// A campaign can outlive the node's membership: committed entries
		// are applied while it runs, and one of them may remove this node
		// (or make it a learner). Winning would make a leader that is not
		// a voter and tracks no progress of its own; give it up.
		r.logger().Infof("%x is no longer a voter of %s; abandons its campaign", r.id, r.cfgString())
		r.becomeFollower(r.Term, None)
	}
	if (!ok || r.isLearner) && r.state == StateLeader {
		// This leader is no longer a voter. It has replicated the change
		// to a quorum of the new configuration (that committed it).
		if r.opts.stepDownOnRemoval {
			// Hand over, so the cluster elects at once instead of sitting
			// leaderless for an election timeout. Without a voter that
			// holds our whole log, stepping down could wedge the cluster:
			// the remaining voters may lack committed entries (or not know
			// they are committed) that only removed nodes, which never
			// campaign, still hold. So lead on until one catches up.
			if r.maybeHandOverOnRemoval() {
				return cs
			}
			r.logger().Infof("%x removed from the configuration; leads on until a voter of %s catches up", r.id, r.cfgString())
			r.stepDownPending = true
		}
		// Compatible behaviour: lead on until the term ends, accepting no
		// proposals (handlePropose) so that nothing new depends on us.
	}
	if r.state != StateLeader || len(cs.Voters) == 0 {
		return cs
	}
	if r.maybeCommit() {
		// The new quorum may already hold more entries.
		r.onCommit()
		r.bcastAppend()
	} else {
		for i := range r.peers {
			p := &r.peers[i]
			if p.id != r.id {
				r.maybeSendAppend(p.id, false)
			}
		}
	}
	if r.leadTransferee != None && !r.isVoter(r.leadTransferee) {
		r.abortLeaderTransfer()
	}
	return cs
}

// maybeHandOverOnRemoval hands leadership to a caught-up voter and steps
// down, reporting whether it did.
func (r *raft) maybeHandOverOnRemoval() bool {
	to := r.caughtUpVoter()
	if to == None {
		return false
	}
	r.logger().Infof("%x removed from the configuration; sends MsgTimeoutNow to %x and steps down", r.id, to)
	r.sendTimeoutNow(to)
	r.becomeFollower(r.Term, None)
	return true
}

// caughtUpVoter returns the lowest-ID voter of the incoming configuration,
// other than this node, whose log is known to match the leader's entirely,
// or None.
func (r *raft) caughtUpVoter() uint64 {
	last := r.raftLog.lastIndex()
	for i := range r.peers {
		p := &r.peers[i]
		if p.id == r.id || p.pr.IsLearner || p.pr.Match != last {
			continue
		}
		if p.in {
			return p.id
		}
	}
	return None
}
