package rafttest

import (
	"fmt"
	"math"
	"strconv"

	"github.com/cockroachdb/datadriven"
	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// Defaults of the nodes that add-nodes creates. Short timeouts keep the
// scenarios short.
const (
	defaultElectionTick  = 3
	defaultHeartbeatTick = 1
	defaultMaxInflight   = 256
)

// handleAddNodes implements add-nodes:
//
//	add-nodes 3 voters=(1,2,3) learners=(4) index=2 content=x checkquorum=true
func (env *InteractionEnv) handleAddNodes(a *cmdArgs, _ datadriven.TestData) error {
	pos := a.positional()
	if len(pos) != 1 {
		return fmt.Errorf("%s: want the number of nodes, got %d positional arguments", a.cmd, len(pos))
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil || n <= 0 {
		return a.errorf(pos[0], "want a positive number of nodes")
	}
	voters, err := a.idsArg("voters")
	if err != nil {
		return err
	}
	learners, err := a.idsArg("learners")
	if err != nil {
		return err
	}
	index := uint64(1)
	if err := a.uint64Arg("index", &index); err != nil {
		return err
	}
	var content string
	if _, err := a.stringArg("content", &content); err != nil {
		return err
	}
	if len(voters) == 0 && (len(learners) > 0 || content != "") {
		return fmt.Errorf("%s: learners and content need voters (a bootstrap snapshot)", a.cmd)
	}
	if len(voters) > 0 && index == 0 {
		return a.errorf("index", "a bootstrap snapshot needs an index of at least 1")
	}
	tmpl, err := configFromArgs(a)
	if err != nil {
		return err
	}
	if err := a.finish(); err != nil {
		return err
	}

	for i := 0; i < n; i++ {
		id := uint64(len(env.Nodes) + 1)
		s := raft.NewMemoryStorage()
		var snap pb.Snapshot
		if len(voters) > 0 {
			snap = pb.Snapshot{
				Data: []byte(content),
				Metadata: pb.SnapshotMetadata{
					ConfState: pb.ConfState{Voters: voters, Learners: learners},
					Index:     index,
					Term:      1,
				},
			}
			if err := s.ApplySnapshot(snap); err != nil {
				return fmt.Errorf("%s: node %d: %v", a.cmd, id, err)
			}
			if err := s.SetHardState(pb.HardState{Term: 1, Commit: index}); err != nil {
				return fmt.Errorf("%s: node %d: %v", a.cmd, id, err)
			}
		}
		cfg := tmpl
		cfg.ID = id
		cfg.Seed = id
		cfg.Storage = s
		cfg.Logger = env.logger
		if env.Options.OnConfig != nil {
			env.Options.OnConfig(&cfg)
		}
		rn, err := raft.NewRawNode(&cfg)
		if err != nil {
			return fmt.Errorf("%s: node %d: %v", a.cmd, id, err)
		}
		node := Node{RawNode: rn, Storage: s, Config: &cfg}
		if len(voters) > 0 {
			node.sm.restore(snap)
			node.History = append(node.History, snap)
		}
		env.Nodes = append(env.Nodes, node)
	}
	return nil
}

// configFromArgs builds the Config template of add-nodes from its options.
func configFromArgs(a *cmdArgs) (raft.Config, error) {
	cfg := raft.Config{
		ElectionTick:    defaultElectionTick,
		HeartbeatTick:   defaultHeartbeatTick,
		MaxSizePerMsg:   math.MaxUint64,
		MaxInflightMsgs: defaultMaxInflight,
	}
	bools := []struct {
		key string
		dst *bool
	}{
		{"async-storage-writes", &cfg.AsyncStorageWrites},
		{"prevote", &cfg.PreVote},
		{"checkquorum", &cfg.CheckQuorum},
		{"step-down-on-removal", &cfg.StepDownOnRemoval},
		{"disable-conf-change-validation", &cfg.DisableConfChangeValidation},
		{"disable-proposal-forwarding", &cfg.DisableProposalForwarding},
	}
	for _, b := range bools {
		if err := a.boolArg(b.key, b.dst); err != nil {
			return cfg, err
		}
	}
	uints := []struct {
		key string
		dst *uint64
	}{
		{"max-committed-size-per-ready", &cfg.MaxCommittedSizePerReady},
		{"max-inflight-bytes", &cfg.MaxInflightBytes},
		{"max-size-per-msg", &cfg.MaxSizePerMsg},
		{"max-uncommitted-size", &cfg.MaxUncommittedEntriesSize},
	}
	for _, u := range uints {
		if err := a.uint64Arg(u.key, u.dst); err != nil {
			return cfg, err
		}
	}
	ints := []struct {
		key string
		dst *int
	}{
		{"max-inflight", &cfg.MaxInflightMsgs},
		{"election-tick", &cfg.ElectionTick},
		{"heartbeat-tick", &cfg.HeartbeatTick},
	}
	for _, i := range ints {
		if err := a.intArg(i.key, i.dst); err != nil {
			return cfg, err
		}
	}
	var ro string
	if ok, err := a.stringArg("read-only", &ro); err != nil {
		return cfg, err
	} else if ok {
		switch ro {
		case "safe":
			cfg.ReadOnlyOption = raft.ReadOnlySafe
		case "lease":
			cfg.ReadOnlyOption = raft.ReadOnlyLeaseBased
		default:
			return cfg, a.errorf("read-only", "want safe or lease, got %q", ro)
		}
	}
	return cfg, nil
}
