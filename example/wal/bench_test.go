package wal

import (
	"fmt"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
)

// BenchmarkSave measures append throughput of 128-byte entries in batches
// of 1, 16 and 256 per Save, with an fsync per Save (group commit) and
// without (NoSync). Throughput counts entry data bytes.
func BenchmarkSave(b *testing.B) {
	for _, sync := range []bool{true, false} {
		for _, batch := range []int{1, 16, 256} {
			name := fmt.Sprintf("batch=%d/fsync=%v", batch, sync)
			b.Run(name, func(b *testing.B) {
				s := mustOpen(b, b.TempDir(), Options{NoSync: !sync})
				defer s.Close()
				data := make([]byte, 128)
				ents := make([]pb.Entry, batch)
				next := uint64(1)
				b.SetBytes(int64(batch * len(data)))
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for k := range ents {
						ents[k] = pb.Entry{Index: next, Term: 1, Data: data}
						next++
					}
					if err := s.Save(pb.HardState{Term: 1, Commit: next - 1}, ents, pb.Snapshot{}); err != nil {
						b.Fatal(err)
					}
				}
				b.StopTimer()
				b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "entries/s")
			})
		}
	}
}

// BenchmarkEntries measures reads of 64 entries from the cache and from
// disk.
func BenchmarkEntries(b *testing.B) {
	for _, cached := range []bool{true, false} {
		b.Run(fmt.Sprintf("cached=%v", cached), func(b *testing.B) {
			opts := Options{NoSync: true}
			if !cached {
				opts.CacheSize = -1
			}
			s := mustOpen(b, b.TempDir(), opts)
			defer s.Close()
			data := make([]byte, 128)
			for i := uint64(1); i <= 4096; i += 64 {
				ents := make([]pb.Entry, 64)
				for k := range ents {
					ents[k] = pb.Entry{Index: i + uint64(k), Term: 1, Data: data}
				}
				mustSave(b, s, pb.HardState{}, ents, pb.Snapshot{})
			}
			b.SetBytes(64 * 128)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				lo := 1 + uint64(i*64)%4000
				if _, err := s.Entries(lo, lo+64, 1<<20); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
