package rafttest

import (
	"fmt"
	"strconv"
	"strings"
)

// simOpState is the simulator's view of a client operation.
type simOpState struct {
	node        uint64
	incarnation int
	forgotten   bool // refused at once, or a read whose answer never came
	// step is the step the operation was invoked in.
	step int
	// For a read that reached a leader in lease mode (made there, or
	// forwarded to it): the leader, its incarnation and term, the step the
	// read reached it, and the highest term any leader had been elected in
	// by then.
	leaseNode               uint64
	leaseIncarnation        int
	leaseTerm, leaseMaxTerm uint64
	leaseStep               int
}

// simHistory records the client operations of a run.
type simHistory struct {
	keys   []string
	count  []int
	all    []LinOp // all[i].ID == i+1
	state  []simOpState
	lastID uint64
}

func (h *simHistory) init(keys int) {
	for i := 0; i < keys; i++ {
		h.keys = append(h.keys, "k"+strconv.Itoa(i))
	}
	h.count = make([]int, keys)
}

// pickKey draws a key that still has room for operations.
func (h *simHistory) pickKey(s *Sim) (string, bool) {
	var cands []int
	for i, c := range h.count {
		if c < s.cfg.MaxOpsPerKey {
			cands = append(cands, i)
		}
	}
	if len(cands) == 0 {
		return "", false
	}
	i := cands[s.rng.IntN(len(cands))]
	h.count[i]++
	return h.keys[i], true
}

// reserveID returns an operation ID that is not part of the history (for
// the liveness probe).
func (h *simHistory) reserveID() uint64 {
	h.lastID++
	h.all = append(h.all, LinOp{ID: h.lastID})
	h.state = append(h.state, simOpState{forgotten: true})
	return h.lastID
}

// invoke records the invocation of an operation at node n.
func (h *simHistory) invoke(s *Sim, n *simNode, key string, kind LinOpKind, value string) *LinOp {
	h.lastID++
	s.clock++
	h.all = append(h.all, LinOp{
		ID: h.lastID, Key: key, Kind: kind, Value: value, Call: s.clock, Pending: true,
		Note: fmt.Sprintf("node=%d step=%d", n.id, s.step),
	})
	h.state = append(h.state, simOpState{node: n.id, incarnation: n.incarnation, step: s.step})
	return &h.all[len(h.all)-1]
}

func (h *simHistory) get(id uint64) (*LinOp, *simOpState) {
	if id == 0 || id > uint64(len(h.all)) {
		return nil, nil
	}
	return &h.all[id-1], &h.state[id-1]
}

// forget removes an operation that certainly had no effect.
func (h *simHistory) forget(id uint64) {
	if _, st := h.get(id); st != nil {
		st.forgotten = true
	}
}

// putApplied records the response of a put applied at the node that
// proposed it (in the same incarnation). It reports whether this was the
// put's acknowledgement.
func (h *simHistory) putApplied(s *Sim, n *simNode, id uint64) bool {
	op, st := h.get(id)
	if op == nil || st.forgotten || !op.Pending || op.Kind != LinPut || st.node != n.id || st.incarnation != n.incarnation {
		return false
	}
	s.clock++
	op.Pending = false
	op.Return = s.clock
	op.Note += fmt.Sprintf(" acked@%d", s.step)
	return true
}

// lookup returns the read whose ReadIndex context ctx is, or nil.
func (h *simHistory) lookup(ctx []byte) (*LinOp, *simOpState) {
	id, err := strconv.ParseUint(strings.TrimPrefix(string(ctx), "r"), 10, 64)
	if err != nil {
		return nil, nil
	}
	return h.get(id)
}

// readServed answers a read with the node's state machine.
func (h *simHistory) readServed(s *Sim, n *simNode, ctx []byte) {
	op, st := h.lookup(ctx)
	if op == nil || st.forgotten || !op.Pending || op.Kind != LinGet || st.node != n.id || st.incarnation != n.incarnation {
		return
	}
	s.clock++
	op.Pending = false
	op.Return = s.clock
	op.Value = n.kv.data[op.Key]
	op.Note += fmt.Sprintf(" served@%d applied=%d", s.step, n.kv.applied)
	s.stats.ReadsServed++
	s.tracef("read #%d %s at node %d = %q", op.ID, op.Key, n.id, op.Value)
}

// nodeDown abandons the pending operations of a crashed node: its puts stay
// pending (they may still take effect), its reads are dropped.
func (h *simHistory) nodeDown(id uint64) {
	for i := range h.all {
		if h.state[i].node == id && h.all[i].Pending && h.all[i].Kind == LinGet {
			h.state[i].forgotten = true
		}
	}
}

// ops returns the history for the linearizability check.
func (h *simHistory) ops() []LinOp {
	var out []LinOp
	for i, op := range h.all {
		if !h.state[i].forgotten {
			out = append(out, op)
		}
	}
	return out
}
