package raft

import (
	"errors"
	"fmt"
	"math"
)

// ReadOnlyOption chooses how ReadIndex requests are confirmed.
type ReadOnlyOption int

const (
	// ReadOnlySafe confirms every read with a round of heartbeats that a
	// quorum acknowledges after the request arrived (Raft thesis §6.4). It
	// depends on nothing but message exchange and is the default.
	ReadOnlySafe ReadOnlyOption = iota
	// ReadOnlyLeaseBased answers reads from the leader's lease: no other
	// leader can be elected while a quorum has acknowledged, within the
	// last election timeout, a heartbeat this leader sent (followers refuse
	// votes for ElectionTick ticks after hearing from a leader, thesis
	// §6.4.1). It saves the heartbeat round per read. The lease is counted
	// from the acknowledged heartbeat's send time and ends ElectionTick
	// ticks later minus a margin of 2 + ceil(ElectionTick/10) ticks, which
	// tolerates tick rates that differ by up to 10% between nodes. Outside
	// its lease (just elected, partitioned, or transferring leadership) the
	// leader confirms reads with a heartbeat round like ReadOnlySafe. It
	// requires CheckQuorum, and every node of the cluster should use it:
	// the followers' stickiness is what the lease relies on.
	ReadOnlyLeaseBased
)

// String returns the option's name.
func (o ReadOnlyOption) String() string {
	switch o {
	case ReadOnlySafe:
		return "ReadOnlySafe"
	case ReadOnlyLeaseBased:
		return "ReadOnlyLeaseBased"
	}
	return fmt.Sprintf("ReadOnlyOption(%d)", int(o))
}

// Config holds the parameters of one raft node. The zero value of every
// optional field has a documented meaning; NewRawNode rejects a Config that
// cannot work with an error naming the field.
type Config struct {
	// ID is this node's identity in the cluster. It must not be zero
	// (None).
	ID uint64

	// ElectionTick is the number of Tick calls a follower waits without
	// hearing from a leader before it campaigns. The actual timeout of
	// each round is drawn at random from [ElectionTick, 2*ElectionTick)
	// so that candidates rarely collide (Raft paper §5.2). It must be
	// greater than HeartbeatTick; ten times is typical.
	ElectionTick int
	// HeartbeatTick is the number of Tick calls between the leader's
	// heartbeats. It must be positive.
	HeartbeatTick int

	// Storage is where the node reads its persisted log, hard state and
	// snapshot. The application writes to it (as directed by Ready) and
	// raft only reads. It must not be nil.
	Storage Storage
	// Applied is the index of the last entry the application had applied
	// before a restart; raft will not hand out entries at or below it
	// again. Zero means "nothing applied beyond the storage's snapshot".
	// It must not exceed the persisted commit index.
	Applied uint64

	// AsyncStorageWrites moves persistence and application off the Ready
	// path: instead of Ready.Entries/HardState/Snapshot and
	// CommittedEntries, the work arrives as MsgStorageAppend and
	// MsgStorageApply messages addressed to LocalAppendThread and
	// LocalApplyThread, and the application steps each message's Responses
	// back once the work is done. Advance must not be called in this mode.
	// This lets the leader replicate while it writes (thesis §10.2.1).
	AsyncStorageWrites bool

	// MaxSizePerMsg bounds the bytes of entries in one MsgApp. A message
	// always carries at least one entry, so zero means one entry per
	// message.
	MaxSizePerMsg uint64
	// MaxCommittedSizePerReady bounds the bytes of committed entries handed
	// to the application at once (across Readys until the application
	// reports them applied). At least one entry is always handed out when
	// none is in flight, so no value can stall the application. Zero means
	// no limit.
	MaxCommittedSizePerReady uint64
	// MaxUncommittedEntriesSize bounds the bytes of entry payloads the
	// leader accepts but has not committed; proposals beyond it fail with
	// ErrProposalDropped. An entry is always accepted when nothing is
	// uncommitted. Zero means no limit.
	MaxUncommittedEntriesSize uint64
	// MaxInflightMsgs bounds the MsgApps in flight to one follower during
	// optimistic replication. It must be positive.
	MaxInflightMsgs int
	// MaxInflightBytes bounds the entry bytes in flight to one follower.
	// Zero means no limit; otherwise it must be at least MaxSizePerMsg.
	MaxInflightBytes uint64

	// CheckQuorum makes a leader step down when it has not heard from a
	// quorum within an election timeout, and makes followers that heard
	// from a leader within the election timeout ignore vote requests
	// (thesis §6.2 and §4.2.3).
	CheckQuorum bool
	// PreVote makes a node first ask whether it could win an election
	// before it increments its term, so that a partitioned node rejoining
	// does not disrupt the cluster (thesis §9.6).
	PreVote bool
	// ReadOnlyOption chooses how ReadIndex is confirmed. ReadOnlyLeaseBased
	// requires CheckQuorum.
	ReadOnlyOption ReadOnlyOption

	// Logger receives the node's log lines. Nil means the package default
	// (see SetLogger), read once, at construction.
	Logger Logger

	// DisableProposalForwarding makes followers drop proposals (with
	// ErrProposalDropped) instead of forwarding them to the leader.
	DisableProposalForwarding bool
	// DisableConfChangeValidation turns off the leader's check that at most
	// one configuration change is pending and that joint configurations are
	// entered and left in order. Only for applications that validate
	// themselves.
	DisableConfChangeValidation bool
	// StepDownOnRemoval makes a leader step down once it applies a
	// configuration in which it is no longer a voter, after sending
	// MsgTimeoutNow to a caught-up voter so that it takes over at once.
	// Without it a removed leader keeps leading, accepting no proposals,
	// until its term ends (the original behaviour): its heartbeats keep the
	// followers from campaigning, so the application should transfer
	// leadership or stop the removed node.
	StepDownOnRemoval bool

	// Seed seeds this node's random source (election timeout jitter).
	// Two nodes with the same Seed and the same inputs produce identical
	// output, byte for byte. Zero derives a seed from the node ID and a
	// process-wide counter, so nodes of one process still get distinct
	// timeouts. This field is a raftcore addition.
	Seed uint64

	// RecycleMessages lets the node reuse the array behind Ready.Messages
	// once that Ready is advanced: Advance hands the array to a pool shared
	// by every node of the process, and a later Ready (of any node) may
	// fill it again. The application must then be done with rd.Messages
	// when it calls Advance; a Message value copied out of it stays valid,
	// and so do the entries and contexts it points to, which are never
	// recycled. This removes the allocation of a message slice per Ready,
	// the main per-Ready cost of an idle or lightly loaded group. It has no
	// effect with AsyncStorageWrites, where there is no Advance. Off by
	// default, because etcd raft lets an application keep rd.Messages.
	// This field is a raftcore addition.
	RecycleMessages bool
}

// validate checks c and fills in defaults. It names the offending field.
func (c *Config) validate() error {
	if c.ID == None {
		return errors.New("raft: Config.ID must not be zero (None)")
	}
	if c.HeartbeatTick <= 0 {
		return fmt.Errorf("raft: Config.HeartbeatTick must be positive, got %d", c.HeartbeatTick)
	}
	if c.ElectionTick <= c.HeartbeatTick {
		return fmt.Errorf("raft: Config.ElectionTick (%d) must be greater than HeartbeatTick (%d)", c.ElectionTick, c.HeartbeatTick)
	}
	if c.ElectionTick > math.MaxInt32/2 {
		return fmt.Errorf("raft: Config.ElectionTick %d is too large", c.ElectionTick)
	}
	if c.Storage == nil {
		return errors.New("raft: Config.Storage must not be nil")
	}
	if c.MaxInflightMsgs <= 0 {
		return fmt.Errorf("raft: Config.MaxInflightMsgs must be positive, got %d", c.MaxInflightMsgs)
	}
	if c.MaxInflightBytes != 0 && c.MaxInflightBytes < c.MaxSizePerMsg {
		return fmt.Errorf("raft: Config.MaxInflightBytes (%d) must be zero or at least MaxSizePerMsg (%d)", c.MaxInflightBytes, c.MaxSizePerMsg)
	}
	if c.ReadOnlyOption != ReadOnlySafe && c.ReadOnlyOption != ReadOnlyLeaseBased {
		return fmt.Errorf("raft: Config.ReadOnlyOption %d is unknown", int(c.ReadOnlyOption))
	}
	if c.ReadOnlyOption == ReadOnlyLeaseBased && !c.CheckQuorum {
		return errors.New("raft: Config.ReadOnlyOption ReadOnlyLeaseBased requires CheckQuorum")
	}
	if c.Logger == nil {
		c.Logger = defaultLogger()
	}
	return nil
}
