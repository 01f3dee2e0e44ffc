package raft

import (
	"context"
	"runtime"
	"testing"
	"time"

	pb "github.com/raftcore/raft/raftpb"
	"github.com/stretchr/testify/require"
)

// Tests of Node, the goroutine-and-channels wrapper of RawNode.

// testWait bounds every wait of these tests; they finish long before it
// unless something is broken.
const testWait = 5 * time.Second

// nodeApp is an application loop around a Node: it persists and applies
// every Ready and reports what it applied.
type nodeApp struct {
	t          *testing.T
	n          Node
	st         *MemoryStorage
	committed  chan pb.Entry
	reads      chan ReadState
	confStates chan pb.ConfState
	stop       chan struct{}
	done       chan struct{}
}

// startNodeApp starts a node with the given peers and its application loop.
func startNodeApp(t *testing.T, id uint64, peers []Peer, opt func(*Config)) *nodeApp {
	st := NewMemoryStorage()
	cfg := testConfig(id, st)
	if opt != nil {
		opt(cfg)
	}
	a := &nodeApp{
		t:          t,
		n:          StartNode(cfg, peers),
		st:         st,
		committed:  make(chan pb.Entry, 1024),
		reads:      make(chan ReadState, 16),
		confStates: make(chan pb.ConfState, 16),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	go a.loop()
	return a
}

func (a *nodeApp) loop() {
	defer close(a.done)
	for {
		select {
		case rd := <-a.n.Ready():
			if !IsEmptyHardState(rd.HardState) {
				if err := a.st.SetHardState(rd.HardState); err != nil {
					panic(err)
				}
			}
			if err := a.st.Append(rd.Entries); err != nil {
				panic(err)
			}
			for i := range rd.CommittedEntries {
				e := rd.CommittedEntries[i]
				if e.Type == pb.EntryConfChange || e.Type == pb.EntryConfChangeV2 {
					cc, err := decodeConfChange(&e)
					if err != nil {
						panic(err)
					}
					a.confStates <- *a.n.ApplyConfChange(cc)
				}
				a.committed <- e
			}
			for _, rs := range rd.ReadStates {
				a.reads <- rs
			}
			a.n.Advance()
		case <-a.stop:
			return
		}
	}
}

// shutdown stops the application loop and the node.
func (a *nodeApp) shutdown() {
	close(a.stop)
	<-a.done
	a.n.Stop()
}

// campaignAndWait campaigns and waits until the node leads. A node refuses
// to campaign while committed configuration changes (here: the bootstrap
// entries) are not applied, so it first waits for the application loop to
// apply them.
func (a *nodeApp) campaignAndWait() {
	t := a.t
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	deadline := time.Now().Add(testWait)
	for s := a.n.Status(); s.Applied < s.Commit; s = a.n.Status() {
		require.True(t, time.Now().Before(deadline), "bootstrap entries not applied")
		time.Sleep(time.Millisecond)
	}
	require.NoError(t, a.n.Campaign(ctx))
	for a.n.Status().RaftState != StateLeader {
		require.True(t, time.Now().Before(deadline), "node did not become leader")
		time.Sleep(time.Millisecond)
	}
}

// waitData waits for a committed normal entry with the given data.
func (a *nodeApp) waitData(data string) pb.Entry {
	timeout := time.After(testWait)
	for {
		select {
		case e := <-a.committed:
			if e.Type == pb.EntryNormal && string(e.Data) == data {
				return e
			}
		case <-timeout:
			a.t.Fatalf("entry %q was not committed", data)
		}
	}
}

// A single node proposes through the channel loop and sees its entry
// committed and applied.
func TestNodeProposeAndCommit(t *testing.T) {
	a := startNodeApp(t, 1, []Peer{{ID: 1}}, nil)
	defer a.shutdown()
	a.campaignAndWait()

	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	for _, d := range []string{"a", "b", "c"} {
		require.NoError(t, a.n.Propose(ctx, []byte(d)))
	}
	var idx []uint64
	for _, d := range []string{"a", "b", "c"} {
		idx = append(idx, a.waitData(d).Index)
	}
	require.Less(t, idx[0], idx[1])
	require.Less(t, idx[1], idx[2])
	s := a.n.Status()
	require.GreaterOrEqual(t, s.Commit, idx[2])
	require.Equal(t, uint64(1), s.Lead)
}

// A proposal waits while no leader is known; its context's end returns
// ctx.Err().
func TestNodeProposeContextCancel(t *testing.T) {
	a := startNodeApp(t, 1, []Peer{{ID: 1}, {ID: 2}, {ID: 3}}, nil)
	defer a.shutdown()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, a.n.Propose(ctx, []byte("x")), context.Canceled)

	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	require.ErrorIs(t, a.n.Propose(ctx, []byte("x")), context.DeadlineExceeded)
	require.Less(t, time.Since(start), testWait)

	ctx2, cancel2 := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- a.n.ProposeConfChange(ctx2, pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: 4}) }()
	time.Sleep(5 * time.Millisecond)
	cancel2()
	select {
	case err := <-errc:
		require.ErrorIs(t, err, context.Canceled)
	case <-time.After(testWait):
		t.Fatal("ProposeConfChange did not return after its context was canceled")
	}
}

// After Stop, every method returns ErrStopped or returns promptly, and
// Status is the zero Status.
func TestNodeStop(t *testing.T) {
	a := startNodeApp(t, 1, []Peer{{ID: 1}}, nil)
	a.campaignAndWait()
	a.shutdown()

	ctx := context.Background()
	errCalls := map[string]func() error{
		"Propose":           func() error { return a.n.Propose(ctx, []byte("x")) },
		"ProposeConfChange": func() error { return a.n.ProposeConfChange(ctx, pb.ConfChange{NodeID: 2}) },
		"Campaign":          func() error { return a.n.Campaign(ctx) },
		"Step":              func() error { return a.n.Step(ctx, pb.Message{Type: pb.MsgApp, From: 2, Term: 9}) },
		"ReadIndex":         func() error { return a.n.ReadIndex(ctx, []byte("r")) },
		"ForgetLeader":      func() error { return a.n.ForgetLeader(ctx) },
	}
	for name, call := range errCalls {
		errc := make(chan error, 1)
		go func() { errc <- call() }()
		select {
		case err := <-errc:
			require.ErrorIs(t, err, ErrStopped, name)
		case <-time.After(testWait):
			t.Fatalf("%s blocks after Stop", name)
		}
	}
	calls := map[string]func(){
		"Tick":               a.n.Tick,
		"Advance":            a.n.Advance,
		"ReportUnreachable":  func() { a.n.ReportUnreachable(2) },
		"ReportSnapshot":     func() { a.n.ReportSnapshot(2, SnapshotFinish) },
		"TransferLeadership": func() { a.n.TransferLeadership(ctx, 1, 2) },
		"ApplyConfChange":    func() { a.n.ApplyConfChange(pb.ConfChange{Type: pb.ConfChangeAddNode, NodeID: 2}) },
		"Stop":               a.n.Stop,
		"Status": func() {
			require.Equal(t, Status{}, a.n.Status())
		},
	}
	for name, call := range calls {
		done := make(chan struct{})
		go func() { defer close(done); call() }()
		select {
		case <-done:
		case <-time.After(testWait):
			t.Fatalf("%s blocks after Stop", name)
		}
	}
	for i := 0; i < 300; i++ {
		a.n.Tick() // more than the tick buffer holds
	}
}

// Starting and stopping nodes leaves no goroutine behind.
func TestNodeNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	for i := 0; i < 5; i++ {
		a := startNodeApp(t, 1, []Peer{{ID: 1}}, nil)
		a.campaignAndWait()
		ctx, cancel := context.WithTimeout(context.Background(), testWait)
		require.NoError(t, a.n.Propose(ctx, []byte("x")))
		a.waitData("x")
		cancel()
		a.shutdown()
	}
	// A node stopped while the application still holds a Ready, without
	// Advance.
	st := NewMemoryStorage()
	n := StartNode(testConfig(1, st), []Peer{{ID: 1}})
	select {
	case <-n.Ready():
	case <-time.After(testWait):
		t.Fatal("no Ready")
	}
	n.Stop()
	// A restarted node, stopped at once.
	RestartNode(testConfig(1, st)).Stop()

	deadline := time.Now().Add(testWait)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
}

// ReadIndex through a Node yields a ReadState with the request's context.
func TestNodeReadIndex(t *testing.T) {
	a := startNodeApp(t, 1, []Peer{{ID: 1}}, nil)
	defer a.shutdown()
	a.campaignAndWait()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	require.NoError(t, a.n.Propose(ctx, []byte("w")))
	w := a.waitData("w")
	require.NoError(t, a.n.ReadIndex(ctx, []byte("r1")))
	select {
	case rs := <-a.reads:
		require.Equal(t, []byte("r1"), rs.RequestCtx)
		require.GreaterOrEqual(t, rs.Index, w.Index)
	case <-time.After(testWait):
		t.Fatal("no ReadState")
	}
}

// ProposeConfChange commits a configuration change; ApplyConfChange
// applies it and returns the new configuration, which Status reflects.
func TestNodeProposeConfChange(t *testing.T) {
	a := startNodeApp(t, 1, []Peer{{ID: 1}}, nil)
	defer a.shutdown()
	// The bootstrap entry was applied as a configuration change.
	select {
	case cs := <-a.confStates:
		require.Equal(t, []uint64{1}, cs.Voters)
	case <-time.After(testWait):
		t.Fatal("bootstrap configuration not applied")
	}
	a.campaignAndWait()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	require.NoError(t, a.n.ProposeConfChange(ctx, pb.ConfChange{Type: pb.ConfChangeAddLearnerNode, NodeID: 2}))
	select {
	case cs := <-a.confStates:
		require.Equal(t, []uint64{1}, cs.Voters)
		require.Equal(t, []uint64{2}, cs.Learners)
	case <-time.After(testWait):
		t.Fatal("configuration change not applied")
	}
	s := a.n.Status()
	require.Contains(t, s.Config.Learners, uint64(2))
	require.Contains(t, s.Progress, uint64(2))
}
