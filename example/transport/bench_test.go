package transport

import (
	"fmt"
	"testing"
	"time"

	pb "github.com/raftcore/raft/raftpb"
)

// BenchmarkSendDeliver measures messages per second from Send on one
// transport to Process on another, over loopback HTTP. Each MsgApp
// carries one entry of the given size. The sender keeps at most window
// messages outstanding so that nothing is dropped; window=1 measures the
// round trip of a lone message.
func BenchmarkSendDeliver(b *testing.B) {
	for _, c := range []struct{ size, window int }{
		{16, 2048}, {256, 2048}, {4096, 2048}, {256, 1},
	} {
		size, window := c.size, c.window
		b.Run(fmt.Sprintf("entry=%dB/window=%d", size, window), func(b *testing.B) {
			src := newNode(b, 1, func(c *Config) { c.QueueSize = 2 * window })
			dst := newNode(b, 2, nil)
			connect(src, dst)
			data := make([]byte, size)
			msg := pb.Message{Type: pb.MsgApp, From: 1, To: 2, Term: 1,
				Entries: []pb.Entry{{Term: 1, Data: data}}}
			batch := make([]pb.Message, 64)
			b.SetBytes(int64(msg.Size()))
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			sent, got := 0, 0
			for got < b.N {
				for sent < b.N && sent-got < window {
					k := min(len(batch), b.N-sent, window-(sent-got))
					for i := range k {
						batch[i] = msg
						batch[i].Index = uint64(sent + i)
					}
					src.tr.Send(batch[:k])
					sent += k
				}
				dst.rec.expectMsgs(b, 1)
				got++
				for drained := false; !drained; {
					select {
					case <-dst.rec.msgs:
						got++
					default:
						drained = true
					}
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			if st := src.tr.Status()[0]; st.Dropped != 0 {
				b.Fatalf("dropped %d messages", st.Dropped)
			}
			b.ReportMetric(float64(b.N)/float64(dst.requests.Load()), "msgs/POST")
		})
	}
}
