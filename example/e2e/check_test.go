package e2e

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftcore/raft/example/kv"
)

// workload writes keys through the live nodes and records every attempt.
// Each attempt carries a value never used before, so the apply traces show
// exactly which attempts were applied, and how often.
type workload struct {
	c    *cluster
	live atomic.Pointer[[]*proc]
	rr   atomic.Uint64
	seq  atomic.Uint64

	acked    atomic.Int64
	failures atomic.Int64

	mu        sync.Mutex
	history   map[string][]string // key -> acknowledged values, in order
	attempted map[string]string   // value -> key, for every attempt
}

func newWorkload(c *cluster, live ...*proc) *workload {
	w := &workload{c: c, history: map[string][]string{}, attempted: map[string]string{}}
	w.setLive(live...)
	return w
}

// setLive chooses the nodes that writes go to.
func (w *workload) setLive(ps ...*proc) {
	ps = slices.Clone(ps)
	w.live.Store(&ps)
}

// write writes key until an attempt is acknowledged (2xx) or the deadline
// passes. A failed attempt is retried with a new value, at the next node:
// it is a new write, and the failed one may or may not be applied.
func (w *workload) write(key, tag string, deadline time.Time) error {
	for time.Now().Before(deadline) {
		live := *w.live.Load()
		p := live[w.rr.Add(1)%uint64(len(live))]
		value := fmt.Sprintf("%s=%s.%d", key, tag, w.seq.Add(1))
		w.mu.Lock()
		w.attempted[value] = key
		w.mu.Unlock()
		code, _, err := w.c.request("PUT", p.url+"/kv/"+url.PathEscape(key), []byte(value))
		if err == nil && code/100 == 2 {
			w.mu.Lock()
			w.history[key] = append(w.history[key], value)
			w.mu.Unlock()
			w.acked.Add(1)
			return nil
		}
		w.failures.Add(1)
		time.Sleep(time.Duration(10+rand.IntN(30)) * time.Millisecond)
	}
	return fmt.Errorf("no acknowledged write of %s before the deadline", key)
}

// run starts workers goroutines writing keys key-0000 ... key-(nkeys-1),
// each worker owning the keys equal to its number modulo workers (so the
// order of one key's writes is the order of their acknowledgements), then
// overwriting every third of its keys. It returns a channel that yields
// the first error, or nil, when all are done.
func (w *workload) run(workers, nkeys int, deadline time.Time) <-chan error {
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	for wk := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tag := fmt.Sprintf("w%d", wk)
			for pass, step := range []int{workers, 3 * workers} {
				for i := wk; i < nkeys; i += step {
					if err := w.write(fmt.Sprintf("key-%04d", i), fmt.Sprintf("%s.p%d", tag, pass), deadline); err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	done := make(chan error, 1)
	go func() {
		wg.Wait()
		close(errc)
		done <- <-errc
	}()
	return done
}

// checkTraces reads the apply traces of every node that ever ran and
// checks them against the workload's history:
//
//  1. Nodes agree: whatever two nodes (or one node before and after a
//     restart) applied at the same index is the same entry.
//  2. Nothing is missing: together the traces cover every index from 1
//     to the highest applied.
//  3. Every write is applied at most once: no value appears at two
//     indexes (values are unique per attempt, so a duplicate would be an
//     attempt applied twice); nothing appears that was never attempted.
//  4. Every acknowledged write was applied, and one key's acknowledged
//     writes were applied in the order they were acknowledged.
//  5. The final value of a key (its last write in log order) is its last
//     acknowledged value, or an unacknowledged attempt applied after it.
//
// It returns the final value of every key written.
func checkTraces(t testing.TB, c *cluster, w *workload) map[string]string {
	t.Helper()
	byIndex := map[uint64]kv.TraceRecord{}
	var maxIndex uint64
	for _, p := range c.procs {
		recs, err := kv.ReadTrace(p.trace)
		if err != nil {
			t.Fatalf("node %d's trace: %v", p.id, err)
		}
		for _, r := range recs {
			if r.Kind == "snapshot" {
				continue
			}
			if prev, ok := byIndex[r.Index]; ok && prev != r {
				t.Errorf("index %d: node %d applied %+v, but %+v was applied there too", r.Index, p.id, r, prev)
			}
			byIndex[r.Index] = r
			maxIndex = max(maxIndex, r.Index)
		}
	}
	for i := uint64(1); i <= maxIndex; i++ {
		if _, ok := byIndex[i]; !ok {
			t.Errorf("no node's trace has index %d (of 1..%d)", i, maxIndex)
		}
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	valueAt := map[string]uint64{}
	final := map[string]string{}
	finalAt := map[string]uint64{}
	for i := uint64(1); i <= maxIndex; i++ {
		r, ok := byIndex[i]
		if !ok || r.Kind != "put" {
			continue
		}
		if first, dup := valueAt[r.Value]; dup {
			t.Errorf("value %q applied twice: at %d and %d", r.Value, first, i)
		}
		valueAt[r.Value] = i
		if key, ok := w.attempted[r.Value]; !ok || key != r.Key {
			t.Errorf("index %d: %q=%q was never attempted", i, r.Key, r.Value)
		}
		final[r.Key], finalAt[r.Key] = r.Value, i
	}

	var unackedFinal, unackedApplied int
	for key, vals := range w.history {
		var last uint64
		for _, v := range vals {
			i, ok := valueAt[v]
			if !ok {
				t.Errorf("acknowledged write %q of %s was never applied", v, key)
				continue
			}
			if i <= last {
				t.Errorf("%s: acknowledged write %q applied at %d, before an earlier acknowledged one at %d", key, v, i, last)
			}
			last = i
		}
		if fv := final[key]; fv != vals[len(vals)-1] {
			if finalAt[key] < last {
				t.Errorf("%s: final value %q (at %d) is older than the last acknowledged write (at %d)", key, fv, finalAt[key], last)
			}
			unackedFinal++
		}
	}
	acked := map[string]bool{}
	for _, vals := range w.history {
		for _, v := range vals {
			acked[v] = true
		}
	}
	for v := range valueAt {
		if !acked[v] {
			unackedApplied++
		}
	}
	t.Logf("traces: %d indexes, %d puts applied, %d acknowledged writes, %d failed attempts, %d unacknowledged attempts applied (once each), %d keys whose final value is unacknowledged",
		maxIndex, len(valueAt), len(acked), w.failures.Load(), unackedApplied, unackedFinal)
	return final
}

// checkReads reads every key of want from p (stale or linearizable) and
// compares.
func checkReads(t *testing.T, c *cluster, p *proc, want map[string]string, stale bool) {
	t.Helper()
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	q := ""
	if stale {
		q = "?stale=true"
	}
	var mu sync.Mutex
	var bad []string
	var wg sync.WaitGroup
	work := make(chan string)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range work {
				code, body, err := c.request("GET", p.url+"/kv/"+url.PathEscape(k)+q, nil)
				if err != nil || code != 200 || string(body) != want[k] {
					mu.Lock()
					bad = append(bad, fmt.Sprintf("%s: got %d %q (err %v), want %q", k, code, body, err, want[k]))
					mu.Unlock()
				}
			}
		}()
	}
	for _, k := range keys {
		work <- k
	}
	close(work)
	wg.Wait()
	if len(bad) > 0 {
		slices.Sort(bad)
		t.Errorf("node %d (stale=%v): %d of %d keys wrong, e.g. %v", p.id, stale, len(bad), len(keys), bad[:min(5, len(bad))])
	}
}
