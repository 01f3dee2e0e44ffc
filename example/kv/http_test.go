package kv

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// testNode is a single-member cluster served by httptest.
type testNode struct {
	*Node
	srv *httptest.Server
	url string
}

func startTestNode(t *testing.T, dir string, mod func(*Config)) *testNode {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	cfg := Config{
		ID: 1, Peers: map[uint64]string{1: url}, DataDir: dir,
		TickInterval: 5 * time.Millisecond, RequestTimeout: 2 * time.Second,
		LogOutput: io.Discard, NoFsync: true,
	}
	if mod != nil {
		mod(&cfg)
	}
	n, err := Start(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(n.Handler())
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	tn := &testNode{Node: n, srv: srv, url: url}
	t.Cleanup(tn.stop)
	deadline := time.Now().Add(5 * time.Second)
	for n.Leader() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("single node did not elect itself within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	return tn
}

func (tn *testNode) stop() {
	tn.Node.Stop()
	tn.srv.Close()
}

// do sends a request and returns the status and body.
func (tn *testNode) do(t *testing.T, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, tn.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// expect checks a request's status and that its body contains want.
func (tn *testNode) expect(t *testing.T, method, path, body string, code int, want string) {
	t.Helper()
	got, msg := tn.do(t, method, path, body)
	if got != code || !strings.Contains(msg, want) {
		t.Errorf("%s %s %.40q: got %d %q, want %d containing %q", method, path, body, got, msg, code, want)
	}
}

func TestKVRequests(t *testing.T) {
	tn := startTestNode(t, t.TempDir(), nil)
	tn.expect(t, "GET", "/kv/a", "", 404, `key "a" not found`)
	tn.expect(t, "PUT", "/kv/a", "one", 204, "")
	tn.expect(t, "GET", "/kv/a", "", 200, "one")
	tn.expect(t, "GET", "/kv/a?stale=true", "", 200, "one")
	tn.expect(t, "GET", "/kv/a?stale=false", "", 200, "one")
	tn.expect(t, "PUT", "/kv/dir/sub%2Fkey", "nested", 204, "")
	tn.expect(t, "GET", "/kv/dir/sub%2Fkey", "", 200, "nested")
	tn.expect(t, "PUT", "/kv/empty", "", 204, "")
	tn.expect(t, "GET", "/kv/empty", "", 200, "")
	tn.expect(t, "DELETE", "/kv/a", "", 204, "")
	tn.expect(t, "GET", "/kv/a", "", 404, "not found")
	tn.expect(t, "DELETE", "/kv/a", "", 204, "")
}

func TestKVValidation(t *testing.T) {
	tn := startTestNode(t, t.TempDir(), func(c *Config) { c.MaxValueSize = 1000 })
	tn.expect(t, "PUT", "/kv/big", strings.Repeat("x", 1001), 413, "value of 1001 bytes exceeds the limit of 1000 bytes")
	tn.expect(t, "PUT", "/kv/fits", strings.Repeat("x", 1000), 204, "")
	tn.expect(t, "PUT", "/kv/", "v", 400, "empty key")
	tn.expect(t, "GET", "/kv/", "", 400, "empty key")
	tn.expect(t, "PUT", "/kv/"+strings.Repeat("k", MaxKeySize+1), "v", 400, "exceeds the limit of 4096 bytes")
	tn.expect(t, "GET", "/kv/x?stale=maybe", "", 400, `bad stale="maybe"`)
	tn.expect(t, "POST", "/kv/x", "", 405, "")

	// Without a Content-Length the limit is found while reading.
	req, _ := http.NewRequest("PUT", tn.url+"/kv/chunked", io.MultiReader(strings.NewReader(strings.Repeat("y", 1500))))
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 413 || !strings.Contains(string(msg), "more than 1000 bytes exceeds the limit") {
		t.Errorf("chunked oversized PUT: %d %q", resp.StatusCode, msg)
	}
	if _, ok := tn.Store().Get("big"); ok {
		t.Error("an oversized value was stored")
	}
}

func TestMembershipValidation(t *testing.T) {
	tn := startTestNode(t, t.TempDir(), nil)
	for _, c := range []struct {
		method, path, body string
		code               int
		want               string
	}{
		{"POST", "/members", `{"id":2,`, 400, "malformed JSON"},
		{"POST", "/members", `not json`, 400, "malformed JSON"},
		{"POST", "/members", `{"id":"two","url":"http://x:1"}`, 400, "malformed JSON"},
		{"POST", "/members", `{"id":-1,"url":"http://x:1"}`, 400, "malformed JSON"},
		{"POST", "/members", `{"id":2,"url":"http://x:1","voter":true}`, 400, `unknown field "voter"`},
		{"POST", "/members", `{"id":2,"url":"http://x:1"} {}`, 400, "trailing data"},
		{"POST", "/members", `{"id":0,"url":"http://x:1"}`, 400, "id must be a positive integer"},
		{"POST", "/members", `{"url":"http://x:1"}`, 400, "id must be a positive integer"},
		{"POST", "/members", `{"id":2}`, 400, "url is required to add member 2"},
		{"POST", "/members", `{"id":2,"url":"ftp://x:1"}`, 400, "bad url"},
		{"POST", "/members", `{"id":2,"url":"http://x:1/path"}`, 400, "bad url"},
		{"POST", "/members", `{"id":1,"url":"http://x:1"}`, 409, "member 1 is already a voter"},
		{"POST", "/members", `{"id":2,"url":"` + tn.url + `"}`, 409, "already used by member 1"},
		{"POST", "/members", `{"id":2,"url":"http://x:1/` + strings.Repeat("x", maxJSONBody) + `"}`, 413, "exceeds"},
		{"DELETE", "/members/abc", "", 400, `bad member id "abc"`},
		{"DELETE", "/members/0", "", 400, "bad member id"},
		{"DELETE", "/members/99", "", 404, "unknown member 99"},
		{"DELETE", "/members/1", "", 409, "last voter"},
		{"POST", "/leader", `{"id":`, 400, "malformed JSON"},
		{"POST", "/leader", `{}`, 400, "id must be a positive integer"},
		{"POST", "/leader", `{"id":7}`, 404, "unknown member 7"},
		{"POST", "/leader", `{"id":1}`, 200, `"leader": 1`},
	} {
		tn.expect(t, c.method, c.path, c.body, c.code, c.want)
	}

	// A learner commits without a quorum change, even if it never answers.
	tn.expect(t, "POST", "/members", `{"id":2,"url":"http://127.0.0.1:1","learner":true}`, 200, `"learner": true`)
	tn.expect(t, "POST", "/members", `{"id":2,"url":"http://127.0.0.1:1","learner":true}`, 409, "already a learner")
	tn.expect(t, "POST", "/leader", `{"id":2}`, 409, "learner and cannot lead")
	tn.expect(t, "GET", "/members", "", 200, `"url": "http://127.0.0.1:1"`)
	tn.expect(t, "DELETE", "/members/2", "", 200, `"members"`)
	if ms := tn.Members(); len(ms) != 1 || ms[0].ID != 1 {
		t.Errorf("members after removal: %+v", ms)
	}
}

func TestStatus(t *testing.T) {
	tn := startTestNode(t, t.TempDir(), nil)
	tn.expect(t, "PUT", "/kv/a", "1", 204, "")
	code, body := tn.do(t, "GET", "/status", "")
	var st Status
	if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
		t.Fatalf("status: %d %v\n%s", code, err, body)
	}
	if st.ID != 1 || st.Leader != 1 || st.State != "StateLeader" || st.Applied < 2 || st.Keys != 1 || !st.Member ||
		len(st.Members) != 1 || !strings.Contains(body, `"raftState": "StateLeader"`) {
		t.Errorf("unexpected status:\n%s", body)
	}
}

// TestRestartFromSnapshot writes enough to snapshot and compact several
// times, restarts the node on the same directory and checks the state:
// restored from the newest snapshot plus the log after it.
func TestRestartFromSnapshot(t *testing.T) {
	dir := t.TempDir()
	trace := dir + "/trace"
	mod := func(c *Config) {
		c.SnapshotEvery, c.CompactSlack, c.SegmentSize, c.ApplyTrace = 10, 3, 512, trace
	}
	tn := startTestNode(t, dir+"/data", mod)
	for i := range 47 {
		tn.expect(t, "PUT", fmt.Sprintf("/kv/k%d", i%20), fmt.Sprintf("v%d", i), 204, "")
	}
	tn.expect(t, "DELETE", "/kv/k3", "", 204, "")
	ctx := context.Background()
	before, err := tn.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.SnapshotIndex == 0 || before.FirstIndex <= 1 {
		t.Fatalf("no snapshot or compaction happened: %+v", before)
	}
	want := tn.Store().Snapshot()
	if err := tn.Node.Stop(); err != nil {
		t.Fatal(err)
	}
	tn.expect(t, "GET", "/kv/k1?stale=true", "", 503, "shutting down")
	tn.srv.Close()

	tn = startTestNode(t, dir+"/data", mod)
	deadline := time.Now().Add(5 * time.Second)
	for tn.Applied() < before.Applied && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := tn.Store().Snapshot(); tn.Applied() < before.Applied || string(got) != string(want) {
		t.Fatalf("after restart: applied %d (want >= %d), state equal: %v", tn.Applied(), before.Applied, string(got) == string(want))
	}
	tn.expect(t, "GET", "/kv/k19", "", 200, "v39")
	tn.expect(t, "GET", "/kv/k3", "", 404, "")

	recs, err := ReadTrace(trace)
	if err != nil {
		t.Fatal(err)
	}
	var snaps int
	for _, r := range recs {
		if r.Kind == "snapshot" {
			snaps++
			if r.Index != before.SnapshotIndex {
				t.Errorf("restored the snapshot at %d, want the newest at %d", r.Index, before.SnapshotIndex)
			}
		}
	}
	if snaps != 1 {
		t.Errorf("trace shows %d snapshot restores, want 1", snaps)
	}
}
