package rafttest

import (
	"fmt"
	"testing"
)

// put and get build operations for hand-made histories; ret < 0 means
// pending.
func linHPut(id uint64, key, v string, call, ret int64) LinOp {
	return LinOp{ID: id, Key: key, Kind: LinPut, Value: v, Call: call, Return: ret, Pending: ret < 0}
}

func linHGet(id uint64, key, v string, call, ret int64) LinOp {
	return LinOp{ID: id, Key: key, Kind: LinGet, Value: v, Call: call, Return: ret, Pending: ret < 0}
}

func TestLinearizability(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
		h    []LinOp
	}{
		{"empty", true, nil},
		{"initial value", true, []LinOp{linHGet(1, "x", "", 1, 2)}},
		{"sequential", true, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHGet(2, "x", "a", 3, 4), linHPut(3, "x", "b", 5, 6), linHGet(4, "x", "b", 7, 8),
		}},
		{"stale read", false, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHPut(2, "x", "b", 3, 4), linHGet(3, "x", "a", 5, 6),
		}},
		{"lost write", false, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHGet(2, "x", "", 3, 4),
		}},
		{"never written", false, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHGet(2, "x", "z", 3, 4),
		}},
		{"read before its write", false, []LinOp{
			linHGet(1, "x", "a", 1, 2), linHPut(2, "x", "a", 3, 4),
		}},
		{"concurrent read sees either", true, []LinOp{
			linHPut(1, "x", "a", 1, 2),
			linHPut(2, "x", "b", 3, 6),
			linHGet(3, "x", "a", 4, 5), // overlaps the put of b: may precede it
			linHGet(4, "x", "b", 7, 8),
		}},
		{"concurrent reads agree on an order", true, []LinOp{
			linHPut(1, "x", "a", 1, 10),
			linHPut(2, "x", "b", 2, 11),
			linHGet(3, "x", "a", 3, 12),
			linHGet(4, "x", "b", 4, 13),
		}},
		{"reads disagree after both writes", false, []LinOp{
			linHPut(1, "x", "a", 1, 3),
			linHPut(2, "x", "b", 2, 4),
			linHGet(3, "x", "b", 5, 6),
			linHGet(4, "x", "a", 7, 8), // both writes done, b read after: a is stale
		}},
		{"pending write may take effect", true, []LinOp{
			linHPut(1, "x", "a", 1, -1), linHGet(2, "x", "a", 5, 6),
		}},
		{"pending write may not take effect", true, []LinOp{
			linHPut(1, "x", "a", 1, -1), linHGet(2, "x", "", 5, 6),
		}},
		{"pending write takes effect once", false, []LinOp{
			linHPut(1, "x", "a", 1, -1), linHPut(2, "x", "b", 2, 3),
			linHGet(3, "x", "a", 4, 5), linHGet(4, "x", "b", 6, 7), linHGet(5, "x", "a", 8, 9),
		}},
		{"pending write not before its call", false, []LinOp{
			linHGet(1, "x", "a", 1, 2), linHPut(2, "x", "a", 3, -1),
		}},
		{"pending read is ignored", true, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHGet(2, "x", "zzz", 3, -1),
		}},
		{"keys are independent", true, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHPut(2, "y", "b", 3, 4), linHGet(3, "x", "a", 5, 6), linHGet(4, "y", "b", 7, 8),
		}},
		{"one bad key fails", false, []LinOp{
			linHPut(1, "x", "a", 1, 2), linHPut(2, "y", "b", 3, 4), linHGet(3, "x", "a", 5, 6), linHGet(4, "y", "", 7, 8),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := CheckLinearizable(tc.h)
			if res.OK != tc.ok {
				t.Fatalf("got OK=%t, want %t\n%s", res.OK, tc.ok, res.Explanation)
			}
			if !res.OK && res.Explanation == "" {
				t.Fatal("failure without explanation")
			}
		})
	}
}

// TestLinearizabilityLarge checks that a long, highly concurrent history is
// decided quickly: memoisation keeps the search small.
func TestLinearizabilityLarge(t *testing.T) {
	var h []LinOp
	var clock int64
	// Waves of 8 concurrent puts, each followed by a read of the last one
	// (whose put, by the time the read starts, linearized last in the wave).
	for w := 0; w < 8; w++ {
		start := clock
		var last string
		for i := 0; i < 8; i++ {
			v := fmt.Sprintf("w%d.%d", w, i)
			h = append(h, linHPut(uint64(len(h)+1), "x", v, start+int64(i)+1, start+100+int64(i)))
			last = v
		}
		clock = start + 108
		h = append(h, linHGet(uint64(len(h)+1), "x", last, clock+1, clock+2))
		clock += 2
	}
	res := CheckLinearizable(h)
	if !res.OK {
		t.Fatalf("want linearizable:\n%s", res.Explanation)
	}
	// A read of a value overwritten by a completed wave is not.
	h = append(h, linHGet(uint64(len(h)+1), "x", "w0.0", clock+1, clock+2))
	if res := CheckLinearizable(h); res.OK || res.Inconclusive {
		t.Fatalf("want a definite violation, got %+v", res)
	}
}
