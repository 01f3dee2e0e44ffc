package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/raftcore/raft/example/kv"
)

// buildBinary compiles cmd/raftkv into a temporary directory of t, with
// the race detector if RAFTKV_E2E_RACE=1.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go tool is needed to build raftkv: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "raftkv")
	args := []string{"build", "-o", bin}
	if os.Getenv("RAFTKV_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	cmd := exec.Command(goTool, append(args, "./cmd/raftkv")...)
	cmd.Dir = ".." // the example module
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/raftkv: %v\n%s", err, out)
	}
	return bin
}

// freeAddrs returns n loopback addresses whose ports were free a moment
// ago (the kernel does not hand out a port it just gave us again soon).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	var lns []net.Listener
	var out []string
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().String())
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}

// proc is one raftkv process (and its restarts).
type proc struct {
	id    uint64
	addr  string
	url   string
	data  string
	trace string
	log   string
	args  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // of the last exit
}

// cluster runs raftkv processes on loopback, each with a data directory,
// an apply trace and a log file under one temporary directory.
type cluster struct {
	t      *testing.T
	bin    string
	dir    string
	common []string // flags every node gets
	procs  map[uint64]*proc
	client *http.Client
}

func newCluster(t *testing.T, bin string, common ...string) *cluster {
	c := &cluster{
		t: t, bin: bin, dir: t.TempDir(), common: common, procs: map[uint64]*proc{},
		client: &http.Client{
			Timeout:   5 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 64, Proxy: nil},
		},
	}
	t.Cleanup(c.killAll)
	t.Cleanup(func() {
		if t.Failed() {
			c.dumpLogs()
		}
	})
	return c
}

// add creates (without starting) node id listening on addr. peers is the
// --peers value; join adds --join.
func (c *cluster) add(id uint64, addr, peers string, join bool) *proc {
	p := &proc{
		id: id, addr: addr, url: "http://" + addr,
		data:  filepath.Join(c.dir, fmt.Sprintf("node%d", id)),
		trace: filepath.Join(c.dir, fmt.Sprintf("trace%d.jsonl", id)),
		log:   filepath.Join(c.dir, fmt.Sprintf("node%d.log", id)),
	}
	p.args = append([]string{
		"--id", fmt.Sprint(id), "--listen", addr, "--data", p.data, "--peers", peers,
		"--apply-trace", p.trace,
	}, c.common...)
	if join {
		p.args = append(p.args, "--join")
	}
	c.procs[id] = p
	return p
}

// start starts p's process and waits until it answers /status.
func (c *cluster) start(p *proc) {
	c.t.Helper()
	logf, err := os.OpenFile(p.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		c.t.Fatal(err)
	}
	fmt.Fprintf(logf, "=== start %s\n", strings.Join(p.args, " "))
	cmd := exec.Command(c.bin, p.args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		c.t.Fatalf("starting node %d: %v", p.id, err)
	}
	exited := make(chan struct{})
	p.mu.Lock()
	p.cmd, p.exited = cmd, exited
	p.mu.Unlock()
	go func() {
		err := cmd.Wait()
		logf.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(exited)
	}()
	c.waitFor(10*time.Second, fmt.Sprintf("node %d to serve /status", p.id), func() bool {
		select {
		case <-exited:
			c.t.Fatalf("node %d exited at start-up: %v", p.id, p.err)
		default:
		}
		_, err := c.status(p)
		return err == nil
	})
}

// kill9 kills p with SIGKILL and waits for it to exit.
func (c *cluster) kill9(p *proc) {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// stop stops p with SIGTERM and checks that it exits cleanly in time.
func (c *cluster) stop(p *proc) {
	c.t.Helper()
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		c.kill9(p)
		c.t.Fatalf("node %d did not stop within 10s of SIGTERM", p.id)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		c.t.Fatalf("node %d exited with %v after SIGTERM", p.id, p.err)
	}
}

// killAll kills every process still running (only those this test
// started, by their process).
func (c *cluster) killAll() {
	for _, p := range c.procs {
		p.mu.Lock()
		cmd, exited := p.cmd, p.exited
		p.mu.Unlock()
		if cmd == nil {
			continue
		}
		select {
		case <-exited:
		default:
			cmd.Process.Kill()
			<-exited
		}
	}
}

func (c *cluster) dumpLogs() {
	for id := uint64(1); id <= uint64(len(c.procs))+1; id++ {
		p := c.procs[id]
		if p == nil {
			continue
		}
		data, _ := os.ReadFile(p.log)
		if len(data) > 6000 {
			data = data[len(data)-6000:]
		}
		c.t.Logf("--- tail of node %d's log:\n%s", id, data)
	}
}

// waitFor polls cond every 20ms until it holds, failing the test after d.
func (c *cluster) waitFor(d time.Duration, what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			c.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// request sends a request and returns the status code and body.
func (c *cluster) request(method, url string, body []byte) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func (c *cluster) status(p *proc) (kv.Status, error) {
	code, body, err := c.request("GET", p.url+"/status", nil)
	if err != nil {
		return kv.Status{}, err
	}
	if code != 200 {
		return kv.Status{}, fmt.Errorf("GET /status: %d %s", code, body)
	}
	var st kv.Status
	err = json.Unmarshal(body, &st)
	return st, err
}

// waitLeader waits until every node of ps reports the same leader, one of
// ps, and returns it.
func (c *cluster) waitLeader(ps ...*proc) *proc {
	c.t.Helper()
	var lead *proc
	c.waitFor(15*time.Second, "a leader all nodes agree on", func() bool {
		var id uint64
		for _, p := range ps {
			st, err := c.status(p)
			if err != nil || st.Leader == 0 || (id != 0 && st.Leader != id) {
				return false
			}
			id = st.Leader
		}
		lead = c.procs[id]
		for _, p := range ps {
			if p == lead {
				return true
			}
		}
		return false
	})
	return lead
}

// waitCaughtUp waits until every node of ps has applied the leader's
// commit index as of now, and returns that index.
func (c *cluster) waitCaughtUp(lead *proc, ps ...*proc) uint64 {
	c.t.Helper()
	st, err := c.status(lead)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, p := range ps {
		c.waitFor(30*time.Second, fmt.Sprintf("node %d to apply %d", p.id, st.Commit), func() bool {
			s, err := c.status(p)
			return err == nil && s.Applied >= st.Commit
		})
	}
	return st.Commit
}

// expectCode sends a request and checks its status and message.
func (c *cluster) expectCode(method, url, body string, code int, want string) {
	c.t.Helper()
	got, msg, err := c.request(method, url, []byte(body))
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, url, err)
	}
	if got != code || !strings.Contains(string(msg), want) {
		c.t.Errorf("%s %s: got %d %q, want %d containing %q", method, url, got, msg, code, want)
	}
}

func readTrace(p *proc) ([]kv.TraceRecord, error) { return kv.ReadTrace(p.trace) }
