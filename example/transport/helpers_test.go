package transport

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// waitTime bounds every wait in these tests; nothing should come close.
const waitTime = 5 * time.Second

// recorder is a Handler that records everything it is given.
type recorder struct {
	msgs        chan pb.Message // processed messages
	unreachable chan uint64
	snapshots   chan snapshotReport

	// gate, when set, makes Process wait for it to be closed (or for the
	// request to end) before returning; entered is signalled first.
	mu      sync.Mutex
	gate    chan struct{}
	entered chan pb.Message
	err     error
}

func newRecorder() *recorder {
	return &recorder{
		msgs:        make(chan pb.Message, 1<<16),
		unreachable: make(chan uint64, 1<<10),
		snapshots:   make(chan snapshotReport, 1<<10),
	}
}

// hold makes the next calls to Process block until the returned function
// is called; each call first announces its message on the returned channel.
func (r *recorder) hold() (entered <-chan pb.Message, release func()) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gate = make(chan struct{})
	r.entered = make(chan pb.Message, 1<<10)
	gate := r.gate
	var once sync.Once
	return r.entered, func() { once.Do(func() { close(gate) }) }
}

// open undoes hold for the calls of Process still to come; calls already
// held stay held until released.
func (r *recorder) open() {
	r.mu.Lock()
	r.gate, r.entered = nil, nil
	r.mu.Unlock()
}

func (r *recorder) failWith(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

func (r *recorder) Process(ctx context.Context, m pb.Message) error {
	r.mu.Lock()
	gate, entered, err := r.gate, r.entered, r.err
	r.mu.Unlock()
	if err != nil {
		return err
	}
	if gate != nil {
		entered <- m
		select {
		case <-gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.msgs <- m
	return nil
}

func (r *recorder) ReportUnreachable(id uint64) {
	select {
	case r.unreachable <- id:
	default:
	}
}

func (r *recorder) ReportSnapshot(id uint64, status raft.SnapshotStatus) {
	select {
	case r.snapshots <- snapshotReport{id, status}:
	default:
	}
}

// expectMsgs receives n messages and fails the test if they take too long.
func (r *recorder) expectMsgs(t testing.TB, n int) []pb.Message {
	t.Helper()
	out := make([]pb.Message, 0, n)
	timeout := time.After(waitTime)
	for len(out) < n {
		select {
		case m := <-r.msgs:
			out = append(out, m)
		case <-timeout:
			t.Fatalf("received %d of %d messages", len(out), n)
		}
	}
	return out
}

// expectNoMsg fails if a message arrives within d.
func (r *recorder) expectNoMsg(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m := <-r.msgs:
		t.Fatalf("unexpected message %s", raft.DescribeMessage(m, nil))
	case <-time.After(d):
	}
}

func (r *recorder) expectUnreachable(t *testing.T, id uint64) {
	t.Helper()
	timeout := time.After(waitTime)
	for {
		select {
		case got := <-r.unreachable:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("no ReportUnreachable(%x)", id)
		}
	}
}

func (r *recorder) expectSnapshot(t *testing.T, want snapshotReport) {
	t.Helper()
	select {
	case got := <-r.snapshots:
		if got != want {
			t.Fatalf("ReportSnapshot%v, want %v", got, want)
		}
	case <-time.After(waitTime):
		t.Fatalf("no ReportSnapshot%v", want)
	}
}

// node is one transport with its recorder and HTTP server.
type node struct {
	id       uint64
	tr       *Transport
	rec      *recorder
	srv      *httptest.Server
	url      string       // base URL of the transport's handler
	requests atomic.Int64 // requests to the message endpoint
}

func quietLogger() raft.Logger {
	return &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}
}

// newNode starts a node; adjust, if not nil, changes its Config first.
// The node is stopped when the test ends.
func newNode(t testing.TB, id uint64, adjust func(*Config)) *node {
	t.Helper()
	n := &node{id: id, rec: newRecorder()}
	cfg := Config{
		ID:              id,
		Handler:         n.rec,
		Logger:          quietLogger(),
		RetryBackoff:    5 * time.Millisecond,
		MaxRetryBackoff: 20 * time.Millisecond,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	n.tr = New(cfg)
	mux := http.NewServeMux()
	h := n.tr.Handler()
	mux.Handle("/raft/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/raft/message" {
			n.requests.Add(1)
		}
		h.ServeHTTP(w, r)
	}))
	n.srv = httptest.NewServer(mux)
	n.url = n.srv.URL + "/raft"
	t.Cleanup(n.close)
	return n
}

func (n *node) close() {
	n.tr.Stop()
	n.srv.Close()
}

// connect makes each node a peer of the others.
func connect(nodes ...*node) {
	for _, a := range nodes {
		for _, b := range nodes {
			if a != b {
				a.tr.AddPeer(b.id, b.url)
			}
		}
	}
}

// app returns a MsgApp from one node to another, told apart by index.
func app(from, to, index uint64) pb.Message {
	return pb.Message{
		Type: pb.MsgApp, From: from, To: to, Term: 3, LogTerm: 3, Index: index, Commit: index,
		Entries: []pb.Entry{{Term: 3, Index: index + 1, Data: []byte("payload")}},
	}
}

// waitGoroutines waits until at most n goroutines run.
func waitGoroutines(t *testing.T, n int) {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for runtime.NumGoroutine() > n {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines, want at most %d:\n%s",
				runtime.NumGoroutine(), n, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitStatus waits until the status of tr's only peer satisfies ok: the
// sender updates its counters after the receiver has stepped the messages.
func waitStatus(t *testing.T, tr *Transport, ok func(PeerStatus) bool) PeerStatus {
	t.Helper()
	deadline := time.Now().Add(waitTime)
	for {
		st := tr.Status()[0]
		if ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
}
