package raft

import (
	"encoding/json"
	"fmt"
	"sort"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// BasicStatus is a node's status without peer progress. Obtaining it does
// not allocate.
type BasicStatus struct {
	ID uint64

	pb.HardState
	SoftState

	Applied uint64

	LeadTransferee uint64
}

// Status is a node's status, with the configuration and (on the leader)
// every peer's progress.
type Status struct {
	BasicStatus
	Config   tracker.Config
	Progress map[uint64]tracker.Progress
}

func getBasicStatus(r *raft) BasicStatus {
	return BasicStatus{
		ID:             r.id,
		HardState:      r.hardState(),
		SoftState:      r.softState(),
		Applied:        r.raftLog.applied,
		LeadTransferee: r.leadTransferee,
	}
}

func getStatus(r *raft) Status {
	s := Status{BasicStatus: getBasicStatus(r), Config: r.config()}
	if s.RaftState == StateLeader {
		s.Progress = make(map[uint64]tracker.Progress, len(r.peers))
		for i := range r.peers {
			p := &r.peers[i]
			pr := p.pr
			pr.Inflights = p.pr.Inflights.Clone()
			s.Progress[p.id] = pr
		}
	}
	return s
}

// statusJSON is the JSON shape of Status: IDs in hex like raft's logs,
// progress keyed by hex ID (encoding/json sorts map keys).
type statusJSON struct {
	ID             string                  `json:"id"`
	Term           uint64                  `json:"term"`
	Vote           string                  `json:"vote"`
	Commit         uint64                  `json:"commit"`
	Lead           string                  `json:"lead"`
	RaftState      StateType               `json:"raftState"`
	Applied        uint64                  `json:"applied"`
	Progress       map[string]progressJSON `json:"progress"`
	LeadTransferee string                  `json:"leadtransferee"`
	Config         string                  `json:"config"`
}

type progressJSON struct {
	Match   uint64 `json:"match"`
	Next    uint64 `json:"next"`
	State   string `json:"state"`
	Learner bool   `json:"learner,omitempty"`
}

// MarshalJSON encodes the status for humans and tools. The output is
// deterministic.
func (s Status) MarshalJSON() ([]byte, error) {
	j := statusJSON{
		ID:             fmt.Sprintf("%x", s.ID),
		Term:           s.Term,
		Vote:           fmt.Sprintf("%x", s.Vote),
		Commit:         s.Commit,
		Lead:           fmt.Sprintf("%x", s.Lead),
		RaftState:      s.RaftState,
		Applied:        s.Applied,
		Progress:       map[string]progressJSON{},
		LeadTransferee: fmt.Sprintf("%x", s.LeadTransferee),
		Config:         s.Config.String(),
	}
	for id, pr := range s.Progress {
		j.Progress[fmt.Sprintf("%x", id)] = progressJSON{Match: pr.Match, Next: pr.Next, State: pr.State.String(), Learner: pr.IsLearner}
	}
	return json.Marshal(j)
}

// String returns the status as JSON.
func (s Status) String() string {
	b, err := s.MarshalJSON()
	if err != nil {
		return fmt.Sprintf("<status: %v>", err)
	}
	return string(b)
}

// sortedIDs returns the keys of a progress map in ascending order.
func sortedIDs(m map[uint64]tracker.Progress) []uint64 {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}
