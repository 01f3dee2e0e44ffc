package e2e

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWriteThroughput measures PUTs to the leader of a three-node cluster
// on loopback, with fsync on and off, with one client (latency) and with
// 16 concurrent clients (throughput: the loop batches their proposals into
// one fsync per Ready). Run with -v to see the numbers; set
// RAFTKV_BENCH_DURATION (a Go duration, default 2s) to measure longer.
func TestWriteThroughput(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: builds raftkv and runs clusters of real processes; skipped with -short")
	}
	d := 2 * time.Second
	if s := os.Getenv("RAFTKV_BENCH_DURATION"); s != "" {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			t.Fatalf("RAFTKV_BENCH_DURATION: %v", err)
		}
	}
	bin := buildBinary(t)
	for _, fsync := range []bool{true, false} {
		t.Run(fmt.Sprintf("fsync=%v", fsync), func(t *testing.T) {
			c := newCluster(t, bin, "--fsync="+fmt.Sprint(fsync), "--tick", "20ms", "--election-ticks", "10")
			addrs := freeAddrs(t, 3)
			var ps []*proc
			for i := range 3 {
				p := c.add(uint64(i+1), addrs[i], peerList(addrs), false)
				c.start(p)
				ps = append(ps, p)
			}
			lead := c.waitLeader(ps...)
			for _, clients := range []int{1, 16} {
				n, errs, lat := measureWrites(c, lead, clients, d)
				if n == 0 {
					t.Fatalf("no write succeeded (%d errors)", errs)
				}
				t.Logf("3 nodes, fsync=%v, %2d clients, 128-byte values: %6.0f writes/s, latency p50 %v p99 %v max %v (%d writes, %d errors)",
					fsync, clients, float64(n)/d.Seconds(), pct(lat, 50), pct(lat, 99), pct(lat, 100), n, errs)
			}
		})
	}
}

// measureWrites runs clients goroutines writing to lead for d and returns
// the number of acknowledged writes, of failures, and the sorted
// latencies of the acknowledged ones.
func measureWrites(c *cluster, lead *proc, clients int, d time.Duration) (int, int, []time.Duration) {
	value := []byte(strings.Repeat("v", 128))
	var mu sync.Mutex
	var lat []time.Duration
	var errs int
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			bad := 0
			for i := 0; time.Now().Before(end); i++ {
				t0 := time.Now()
				code, _, err := c.request("PUT", fmt.Sprintf("%s/kv/bench-%d-%d", lead.url, cl, i), value)
				if err != nil || code != 204 {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	return len(lat), errs, lat
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(10 * time.Microsecond)
}
