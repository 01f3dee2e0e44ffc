package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

// nodeFlags are the flags of every node in the tests: fast ticks so that
// elections take a fraction of a second, short request timeouts so that
// clients retry soon, and small snapshots and WAL segments so that
// compaction happens and a new member needs a snapshot.
var nodeFlags = []string{
	"--tick", "20ms", "--election-ticks", "10", "--heartbeat-ticks", "1",
	"--request-timeout", "2s", "--snapshot-every", "100", "--segment-size", "16384",
}

func peerList(addrs []string) string {
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = fmt.Sprintf("%d=http://%s", i+1, a)
	}
	return strings.Join(parts, ",")
}

// TestCluster runs the service as real processes through crashes,
// membership changes and a full restart, checking after each phase that
// every acknowledged write is present on every node and that no write was
// applied twice. See the package documentation for the phases.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("e2e: builds raftkv and runs clusters of real processes (about a minute); skipped with -short")
	}
	start := time.Now()
	c := newCluster(t, buildBinary(t), nodeFlags...)
	addrs := freeAddrs(t, 4)
	peers := peerList(addrs[:3])
	var ps []*proc
	for i := range 3 {
		p := c.add(uint64(i+1), addrs[i], peers, false)
		c.start(p)
		ps = append(ps, p)
	}
	lead := c.waitLeader(ps...)
	t.Logf("%v: three nodes up, leader %d", time.Since(start).Round(time.Millisecond), lead.id)

	// Phase 1: 1,000 keys from 8 clients; kill -9 the leader mid-writes,
	// restart it while the writes go on.
	w := newWorkload(c, ps...)
	done := w.run(8, 1000, time.Now().Add(90*time.Second))
	c.waitFor(60*time.Second, "300 acknowledged writes", func() bool { return w.acked.Load() >= 300 })
	victim := c.waitLeader(ps...)
	var others []*proc
	for _, p := range ps {
		if p != victim {
			others = append(others, p)
		}
	}
	w.setLive(others...)
	c.kill9(victim)
	t.Logf("%v: killed the leader, node %d, with SIGKILL after %d acknowledged writes",
		time.Since(start).Round(time.Millisecond), victim.id, w.acked.Load())
	// The writes go on through the others; some of those in flight fail.
	c.waitFor(60*time.Second, "writes to continue without the old leader", func() bool { return w.acked.Load() >= 700 })
	c.start(victim)
	w.setLive(ps...)
	t.Logf("%v: restarted node %d after %d acknowledged writes", time.Since(start).Round(time.Millisecond), victim.id, w.acked.Load())
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(100 * time.Second):
		t.Fatal("the writers did not finish within 100s")
	}
	lead = c.waitLeader(ps...)
	commit := c.waitCaughtUp(lead, ps...)
	t.Logf("%v: %d writes acknowledged, %d attempts failed; all nodes applied %d",
		time.Since(start).Round(time.Millisecond), w.acked.Load(), w.failures.Load(), commit)
	final := checkTraces(t, c, w)
	if len(final) != 1000 {
		t.Errorf("%d keys written, want 1000", len(final))
	}
	for _, p := range ps {
		checkReads(t, c, p, final, true)
	}
	follower := others[0]
	if follower == lead {
		follower = others[1]
	}
	checkReads(t, c, follower, final, false) // ReadIndex through the leader
	checkReads(t, c, lead, final, false)
	if t.Failed() {
		return
	}

	// Phase 2: a fourth node joins as a learner (from a snapshot: the log
	// is compacted), is promoted, and the leader is removed.
	p4 := c.add(4, addrs[3], peers, true)
	c.start(p4)
	c.expectCode("POST", ps[0].url+"/members", fmt.Sprintf(`{"id":4,"url":%q,"learner":true}`, p4.url), 200, `"learner": true`)
	c.waitCaughtUp(c.waitLeader(ps...), p4)
	st4, err := c.status(p4)
	if err != nil {
		t.Fatal(err)
	}
	if !st4.Member || len(st4.Members) != 4 || !st4.Members[3].Learner {
		t.Errorf("node 4 after joining: member=%v members=%+v", st4.Member, st4.Members)
	}
	if stl, _ := c.status(lead); stl.FirstIndex > 1 {
		if !traceHasSnapshot(t, p4) {
			t.Errorf("node 4 joined after compaction (first index %d) but installed no snapshot", stl.FirstIndex)
		}
		t.Logf("node 4 caught up from a snapshot (the leader's log starts at %d)", stl.FirstIndex)
	}
	checkReads(t, c, p4, final, true)

	code, body, err := c.request("POST", ps[1].url+"/members", []byte(`{"id":4}`))
	if err != nil || code != 200 {
		t.Fatalf("promoting node 4: %d %s %v", code, body, err)
	}
	var resp struct{ Members []struct{ ID uint64 } }
	if err := json.Unmarshal(body, &resp); err != nil || strings.Contains(string(body), `"learner": true`) || len(resp.Members) != 4 {
		t.Errorf("after promoting node 4: %s", body)
	}
	all := append(append([]*proc{}, ps...), p4)
	lead = c.waitLeader(all...)
	var rest []*proc
	for _, p := range all {
		if p != lead {
			rest = append(rest, p)
		}
	}
	c.expectCode("DELETE", fmt.Sprintf("%s/members/%d", rest[0].url, lead.id), "", 200, `"members"`)
	removed := lead
	lead = c.waitLeader(rest...)
	t.Logf("%v: node 4 joined and was promoted; removed the leader, node %d; node %d leads",
		time.Since(start).Round(time.Millisecond), removed.id, lead.id)
	c.waitFor(10*time.Second, "the removed node to refuse writes", func() bool {
		code, _, err := c.request("PUT", removed.url+"/kv/x", []byte("y"))
		return err == nil && code == 410
	})
	c.stop(removed)

	w.setLive(rest...)
	for i := range 50 {
		if err := w.write(fmt.Sprintf("post-%02d", i), "post", time.Now().Add(20*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	target := rest[0]
	if target == lead {
		target = rest[1]
	}
	c.expectCode("POST", rest[2].url+"/leader", fmt.Sprintf(`{"id":%d}`, target.id), 200, fmt.Sprintf(`"leader": %d`, target.id))
	if l := c.waitLeader(rest...); l != target {
		t.Errorf("leader is %d after transferring to %d", l.id, target.id)
	}

	// Bad requests get a 4xx with a message saying what is wrong.
	u := rest[0].url
	c.expectCode("DELETE", u+"/members/99", "", 404, "unknown member 99")
	c.expectCode("DELETE", fmt.Sprintf("%s/members/%d", u, removed.id), "", 404, fmt.Sprintf("unknown member %d", removed.id))
	c.expectCode("DELETE", u+"/members/abc", "", 400, `bad member id "abc"`)
	c.expectCode("POST", u+"/members", `{"id":5,"url":`, 400, "malformed JSON")
	c.expectCode("POST", u+"/members", `{"id":"five"}`, 400, "malformed JSON")
	c.expectCode("POST", u+"/members", `{"id":4}`, 409, "already a voter")
	c.expectCode("POST", u+"/leader", `{"id":99}`, 404, "unknown member 99")
	c.expectCode("POST", u+"/leader", `[1]`, 400, "malformed JSON")
	c.expectCode("PUT", u+"/kv/big", strings.Repeat("x", 1<<20+1), 413, "value of 1048577 bytes exceeds the limit of 1048576 bytes")
	c.expectCode("GET", u+"/kv/no-such-key", "", 404, "not found")

	c.waitCaughtUp(lead, rest...)
	final = checkTraces(t, c, w)
	for _, p := range rest {
		checkReads(t, c, p, final, true)
	}
	if t.Failed() {
		return
	}

	// Phase 3: the whole cluster stops (one node crashes, the others shut
	// down gracefully) and restarts from its data directories.
	c.kill9(rest[0])
	for _, p := range rest[1:] {
		c.stop(p)
	}
	for _, p := range rest {
		c.start(p)
	}
	lead = c.waitLeader(rest...)
	c.waitCaughtUp(lead, rest...)
	t.Logf("%v: whole cluster restarted from disk, leader %d", time.Since(start).Round(time.Millisecond), lead.id)
	after := checkTraces(t, c, w)
	if len(after) != len(final) {
		t.Errorf("%d keys after the restart, %d before", len(after), len(final))
	}
	for k, v := range final {
		if after[k] != v {
			t.Errorf("%s = %q after the restart, %q before", k, after[k], v)
		}
	}
	for _, p := range rest {
		checkReads(t, c, p, final, true)
	}
	checkReads(t, c, rest[0], final, false)
	if err := w.write("after-restart", "final", time.Now().Add(10*time.Second)); err != nil {
		t.Fatal(err)
	}
	t.Logf("%v: done", time.Since(start).Round(time.Millisecond))
}

// traceHasSnapshot reports whether p installed a snapshot.
func traceHasSnapshot(t *testing.T, p *proc) bool {
	recs, err := readTrace(p)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if r.Kind == "snapshot" {
			return true
		}
	}
	return false
}
