package tracker

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"
)

// contents lists the in-flight messages oldest first as "index:bytes".
func contents(in *Inflights) []string {
	var out []string
	for i := range in.count {
		f := in.buffer[(in.start+i)%len(in.buffer)]
		out = append(out, fmt.Sprintf("%d:%d", f.index, f.bytes))
	}
	return out
}

func TestInflights(t *testing.T) {
	// op is one step on a window: add index (with bytes), or free up to
	// index; after it the window must hold want and report full.
	type op struct {
		add   bool
		index uint64
		bytes uint64
		want  []string
		full  bool
	}
	add := func(index, bytes uint64, full bool, want ...string) op {
		return op{add: true, index: index, bytes: bytes, want: want, full: full}
	}
	free := func(to uint64, full bool, want ...string) op {
		return op{index: to, want: want, full: full}
	}
	for _, tc := range []struct {
		name     string
		size     int
		maxBytes uint64
		ops      []op
	}{{
		name: "fill by count and drain",
		size: 3,
		ops: []op{
			add(1, 10, false, "1:10"),
			add(2, 10, false, "1:10", "2:10"),
			add(5, 10, true, "1:10", "2:10", "5:10"),
			free(0, true, "1:10", "2:10", "5:10"), // below the oldest: no-op
			free(1, false, "2:10", "5:10"),
			free(4, false, "5:10"), // between entries
			free(5, false),
		},
	}, {
		name: "FreeLE beyond the newest empties the window",
		size: 4,
		ops: []op{
			add(3, 1, false, "3:1"),
			add(4, 1, false, "3:1", "4:1"),
			free(100, false),
			free(200, false), // on an empty window
			add(101, 1, false, "101:1"),
		},
	}, {
		name:     "byte limit",
		size:     10,
		maxBytes: 100,
		ops: []op{
			add(1, 40, false, "1:40"),
			add(2, 59, false, "1:40", "2:59"),
			add(3, 1, true, "1:40", "2:59", "3:1"), // exactly at the budget
			free(1, false, "2:59", "3:1"),
			add(4, 500, true, "2:59", "3:1", "4:500"), // one large message may cross it
			free(3, true, "4:500"),
			free(4, false),
		},
	}, {
		name:     "zero-byte messages only count",
		size:     2,
		maxBytes: 1,
		ops: []op{
			add(1, 0, false, "1:0"),
			add(2, 0, true, "1:0", "2:0"),
		},
	}, {
		name: "wrap around the ring",
		size: 4,
		ops: []op{
			add(1, 1, false, "1:1"),
			add(2, 2, false, "1:1", "2:2"),
			add(3, 3, false, "1:1", "2:2", "3:3"),
			add(4, 4, true, "1:1", "2:2", "3:3", "4:4"),
			free(2, false, "3:3", "4:4"),
			add(5, 5, false, "3:3", "4:4", "5:5"), // stored at position 0
			add(6, 6, true, "3:3", "4:4", "5:5", "6:6"),
			free(4, false, "5:5", "6:6"), // the oldest now at position 0
			add(7, 7, false, "5:5", "6:6", "7:7"),
			free(6, false, "7:7"),
			add(8, 8, false, "7:7", "8:8"), // wraps again
			free(8, false),
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			in := NewInflights(tc.size, tc.maxBytes)
			var bytes uint64
			for i, o := range tc.ops {
				if o.add {
					in.Add(o.index, o.bytes)
				} else {
					in.FreeLE(o.index)
				}
				msg := fmt.Sprintf("op %d", i)
				require.Equal(t, o.want, contents(in), msg)
				require.Equal(t, len(o.want), in.Count(), msg)
				require.Equal(t, o.full, in.Full(), msg)
				bytes = 0
				for _, c := range o.want {
					var idx, b uint64
					fmt.Sscanf(c, "%d:%d", &idx, &b)
					bytes += b
				}
				require.Equal(t, bytes, in.bytes, msg)
				require.LessOrEqual(t, len(in.buffer), tc.size, msg)
			}
		})
	}
}

func TestInflightsWrapsInPlace(t *testing.T) {
	in := NewInflights(4, 0)
	for i := uint64(1); i <= 4; i++ {
		in.Add(i, 1)
	}
	in.FreeLE(3)
	in.Add(5, 1)
	in.Add(6, 1)
	// The ring wrapped: the oldest message (4) is at the end of the
	// buffer and the newest ones were written at its front.
	require.Equal(t, 3, in.start)
	require.Equal(t, []inflight{{5, 1}, {6, 1}, {3, 1}, {4, 1}}, in.buffer)
	require.Equal(t, []string{"4:1", "5:1", "6:1"}, contents(in))
}

func TestInflightsGrowsLazily(t *testing.T) {
	in := NewInflights(10, 0)
	require.Empty(t, in.buffer, "an idle window holds no buffer")
	var lens []int
	for i := uint64(1); i <= 10; i++ {
		in.Add(i, 1)
		lens = append(lens, len(in.buffer))
	}
	require.Equal(t, []int{1, 2, 4, 4, 8, 8, 8, 8, 10, 10}, lens)

	// Growing while the ring is wrapped keeps the order.
	in = NewInflights(8, 0)
	for i := uint64(1); i <= 4; i++ {
		in.Add(i, 1)
	}
	in.FreeLE(2)
	in.Add(5, 1)
	in.Add(6, 1) // buffer of 4 is full and wrapped
	require.Equal(t, 4, len(in.buffer))
	in.Add(7, 1)
	require.Equal(t, 8, len(in.buffer))
	require.Equal(t, 0, in.start)
	require.Equal(t, []string{"3:1", "4:1", "5:1", "6:1", "7:1"}, contents(in))
}

func TestInflightsAddFullPanics(t *testing.T) {
	in := NewInflights(1, 0)
	in.Add(1, 0)
	require.PanicsWithValue(t,
		"tracker: Inflights.Add(2) on a full window (count=1/1, bytes=0/0)",
		func() { in.Add(2, 0) })

	in = NewInflights(5, 10)
	in.Add(1, 10)
	require.Panics(t, func() { in.Add(2, 0) })

	require.True(t, NewInflights(0, 0).Full(), "a window of size 0 is always full")
}

func TestInflightsReset(t *testing.T) {
	in := NewInflights(3, 100)
	in.Add(1, 50)
	in.Add(2, 50)
	in.FreeLE(1)
	in.reset()
	require.Zero(t, in.Count())
	require.Zero(t, in.bytes)
	require.False(t, in.Full())
	in.Add(1, 10) // indexes may start over after a reset
	require.Equal(t, []string{"1:10"}, contents(in))
}

func TestInflightsClone(t *testing.T) {
	in := NewInflights(4, 100)
	in.Add(1, 10)
	in.Add(2, 20)
	c := in.Clone()
	require.Equal(t, in, c)

	c.FreeLE(1)
	c.Add(3, 30)
	c.Add(4, 40)
	require.Equal(t, []string{"1:10", "2:20"}, contents(in), "the original is unaffected")
	require.Equal(t, uint64(30), in.bytes)
	require.Equal(t, []string{"2:20", "3:30", "4:40"}, contents(c))

	in.Add(5, 1)
	require.Equal(t, []string{"2:20", "3:30", "4:40"}, contents(c), "the clone is unaffected")

	empty := NewInflights(2, 0).Clone()
	empty.Add(1, 1)
	require.Equal(t, 1, empty.Count())
}

// TestInflightsNoAllocs pins down that a grown window costs nothing per
// message: Add and FreeLE run on every MsgApp and MsgAppResp.
func TestInflightsNoAllocs(t *testing.T) {
	in := NewInflights(16, 1<<20)
	next := uint64(1)
	cycle := func() {
		for range 10 {
			in.Add(next, 100)
			next++
		}
		in.FreeLE(next - 3) // keep a few in flight, so the ring wraps
		in.FreeLE(next)
	}
	cycle() // grow the buffer
	require.Zero(t, testing.AllocsPerRun(100, cycle))
}

func BenchmarkInflights(b *testing.B) {
	for _, size := range []int{16, 256} {
		b.Run(fmt.Sprintf("size=%d", size), func(b *testing.B) {
			in := NewInflights(size, 0)
			next := uint64(1)
			b.ReportAllocs()
			for b.Loop() {
				// Fill half the window, then acknowledge all but one
				// message, so the ring keeps wrapping.
				for range size / 2 {
					in.Add(next, 1024)
					next++
				}
				in.FreeLE(next - 2)
			}
		})
	}
}

func TestInflightsFreeFirstOne(t *testing.T) {
	in := NewInflights(3, 0)
	in.FreeFirstOne() // empty: no-op
	in.Add(5, 10)
	in.Add(7, 10)
	in.Add(9, 10)
	require.True(t, in.Full())
	in.FreeFirstOne()
	require.False(t, in.Full())
	require.Equal(t, 2, in.Count())
	in.FreeLE(7)
	require.Equal(t, 1, in.Count())
}

// A nil window is an empty one: everything but Add works on it.
func TestInflightsNil(t *testing.T) {
	var in *Inflights
	require.False(t, in.Full())
	require.Zero(t, in.Count())
	require.Nil(t, in.Clone())
	in.FreeLE(10)
	in.FreeFirstOne()
	in.reset()
	require.Panics(t, func() { in.Add(1, 1) })
}
