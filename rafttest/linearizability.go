package rafttest

// This file holds a linearizability checker for histories of reads and
// writes on independent registers (one register per key), after Wing and
// Gong, with Lowe's memoisation of visited configurations.
//
// We wrote our own instead of importing an existing checker: the module may
// depend only on gogo/protobuf, datadriven and testify, and the problem the
// simulator needs solved — one register per key, a few dozen operations per
// key — takes a short search that is easier to review than a dependency. The
// checker has its own tests on hand-made histories (linearizability_test.go).

import (
	"fmt"
	"sort"
	"strings"
)

// LinOpKind says what a client operation did.
type LinOpKind int

const (
	// LinPut writes Value to the key's register.
	LinPut LinOpKind = iota
	// LinGet reads the key's register and returned Value.
	LinGet
)

// String returns "put" or "get".
func (k LinOpKind) String() string {
	switch k {
	case LinPut:
		return "put"
	case LinGet:
		return "get"
	}
	return fmt.Sprintf("LinOpKind(%d)", int(k))
}

// LinOp is one client operation in a history: its invocation and, unless it
// is Pending, its response. Times are logical and totally ordered: two events
// never share a time, and an operation whose Return is smaller than another's
// Call precedes it in real time.
type LinOp struct {
	// ID names the operation in reports. It need not be dense.
	ID uint64
	// Key is the register the operation acts on. Registers are independent:
	// a history is linearizable iff each key's sub-history is.
	Key string
	// Kind is put or get.
	Kind LinOpKind
	// Value is the value written (put) or read (get). The register's
	// initial value is "".
	Value string
	// Call is the time of the invocation.
	Call int64
	// Return is the time of the response; ignored when Pending.
	Return int64
	// Pending marks an operation whose response was never seen (its client
	// gave up, or its node crashed). A pending put may or may not have taken
	// effect, at any time after Call; a pending get constrains nothing and is
	// ignored.
	Pending bool
	// Note is free text shown in reports (for example the node and step).
	Note string
}

// String describes the operation on one line.
func (op LinOp) String() string {
	ret := "pending"
	if !op.Pending {
		ret = fmt.Sprint(op.Return)
	}
	s := fmt.Sprintf("#%d %s(%s)=%q [%d, %s]", op.ID, op.Kind, op.Key, op.Value, op.Call, ret)
	if op.Note != "" {
		s += " " + op.Note
	}
	return s
}

// LinResult is the verdict of CheckLinearizable.
type LinResult struct {
	// OK is true when every key's history is linearizable.
	OK bool
	// Inconclusive is true when the search for some key exceeded its state
	// budget; OK is then false too but nothing was proven.
	Inconclusive bool
	// Key is the first key (in sorted order) that failed.
	Key string
	// Explanation describes the failure: the key's operations and the
	// longest linearization the search found.
	Explanation string
}

// linMaxStates bounds the configurations the search visits per key.
const linMaxStates = 1 << 20

// CheckLinearizable reports whether the history is linearizable with respect
// to a set of independent read/write registers, each starting at "".
//
// The search is Wing & Gong's: repeatedly pick, among the operations not yet
// placed, one that could come next (it was invoked before every unplaced
// completed operation returned) and whose effect the register allows, and
// backtrack on a dead end. Configurations (placed set, register value)
// already shown to be dead ends are remembered (Lowe's optimisation), which
// keeps the search polynomial in practice for the small, mostly sequential
// per-key histories the simulator produces. Keep histories to a few dozen
// operations per key.
func CheckLinearizable(history []LinOp) LinResult {
	byKey := map[string][]LinOp{}
	var keys []string
	for _, op := range history {
		if op.Pending && op.Kind == LinGet {
			continue
		}
		if _, ok := byKey[op.Key]; !ok {
			keys = append(keys, op.Key)
		}
		byKey[op.Key] = append(byKey[op.Key], op)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if res := linCheckRegister(byKey[k]); !res.OK {
			res.Key = k
			return res
		}
	}
	return LinResult{OK: true}
}

// linSearch is the state of the search over one register's history.
type linSearch struct {
	ops    []LinOp
	values map[string]int // value -> small integer, for memo keys
	memo   map[string]struct{}
	states int
	// completed are the indexes of non-pending operations.
	completed []int
	// best is the longest sequence found, for the report.
	best []int
	path []int
	over bool
}

func linCheckRegister(ops []LinOp) LinResult {
	ops = append([]LinOp(nil), ops...)
	sort.SliceStable(ops, func(i, j int) bool { return ops[i].Call < ops[j].Call })
	s := &linSearch{ops: ops, values: map[string]int{"": 0}, memo: map[string]struct{}{}}
	for i, op := range ops {
		if !op.Pending {
			s.completed = append(s.completed, i)
		}
		if _, ok := s.values[op.Value]; !ok {
			s.values[op.Value] = len(s.values)
		}
	}
	placed := make([]uint64, (len(ops)+63)/64)
	if s.dfs(placed, "") {
		return LinResult{OK: true}
	}
	return LinResult{Inconclusive: s.over, Explanation: s.explain()}
}

func linHas(set []uint64, i int) bool { return set[i/64]&(1<<(i%64)) != 0 }

// dfs reports whether the operations not in placed can be linearized after
// those in placed, starting from register value v.
func (s *linSearch) dfs(placed []uint64, v string) bool {
	// Done when every completed operation is placed; pending puts may be
	// left out (they never took effect).
	minRet := int64(1<<63 - 1)
	done := true
	for _, i := range s.completed {
		if !linHas(placed, i) {
			done = false
			if r := s.ops[i].Return; r < minRet {
				minRet = r
			}
		}
	}
	if done {
		return true
	}
	key := s.memoKey(placed, v)
	if _, seen := s.memo[key]; seen {
		return false
	}
	s.states++
	if s.states > linMaxStates {
		s.over = true
		return false
	}
	s.memo[key] = struct{}{}
	for i := range s.ops {
		op := &s.ops[i]
		if op.Call > minRet {
			break // ops are sorted by Call; none later can come next
		}
		if linHas(placed, i) {
			continue
		}
		next := v
		switch op.Kind {
		case LinPut:
			next = op.Value
		case LinGet:
			if op.Value != v {
				continue
			}
		}
		placed[i/64] |= 1 << (i % 64)
		s.path = append(s.path, i)
		if len(s.path) > len(s.best) {
			s.best = append(s.best[:0], s.path...)
		}
		ok := s.dfs(placed, next)
		s.path = s.path[:len(s.path)-1]
		placed[i/64] &^= 1 << (i % 64)
		if ok || s.over {
			return ok
		}
	}
	return false
}

func (s *linSearch) memoKey(placed []uint64, v string) string {
	var b strings.Builder
	for _, w := range placed {
		fmt.Fprintf(&b, "%x.", w)
	}
	fmt.Fprint(&b, s.values[v])
	return b.String()
}

// explain lists the operations and the longest linearization found.
func (s *linSearch) explain() string {
	var b strings.Builder
	if s.over {
		fmt.Fprintf(&b, "search gave up after %d states\n", linMaxStates)
	}
	b.WriteString("operations (by invocation):\n")
	for _, op := range s.ops {
		fmt.Fprintf(&b, "  %s\n", op)
	}
	b.WriteString("longest linearization found:\n")
	v := ""
	for _, i := range s.best {
		op := s.ops[i]
		if op.Kind == LinPut {
			v = op.Value
		}
		fmt.Fprintf(&b, "  %s -> register %q\n", op, v)
	}
	placed := map[int]bool{}
	for _, i := range s.best {
		placed[i] = true
	}
	b.WriteString("cannot be placed next (completed, not linearized):\n")
	for _, i := range s.completed {
		if !placed[i] {
			fmt.Fprintf(&b, "  %s\n", s.ops[i])
		}
	}
	return b.String()
}
