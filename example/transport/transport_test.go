package transport

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// Messages to one peer arrive complete and in the order they were sent,
// across many Send calls and batches.
func TestDeliveredInOrder(t *testing.T) {
	a, b := newNode(t, 1, nil), newNode(t, 2, func(c *Config) { c.MaxBatchBytes = 512 })
	connect(a, b)
	const n = 2000
	for i := uint64(0); i < n; i += 10 {
		var msgs []pb.Message
		for j := i; j < i+10; j++ {
			msgs = append(msgs, app(1, 2, j))
		}
		a.tr.Send(msgs)
	}
	got := b.rec.expectMsgs(t, n)
	for i, m := range got {
		if want := app(1, 2, uint64(i)); m.Index != want.Index || m.From != 1 || m.To != 2 ||
			len(m.Entries) != 1 || !bytes.Equal(m.Entries[0].Data, want.Entries[0].Data) {
			t.Fatalf("message %d: got %s", i, raft.DescribeMessage(m, nil))
		}
	}
	// And the other way round, on the same pair of transports.
	b.tr.Send([]pb.Message{{Type: pb.MsgHeartbeat, From: 2, To: 1, Term: 3}})
	if m := a.rec.expectMsgs(t, 1)[0]; m.Type != pb.MsgHeartbeat || m.From != 2 {
		t.Fatalf("got %s", raft.DescribeMessage(m, nil))
	}
}

// Messages that queue up while a POST is in flight leave together in one
// POST, split only at MaxBatchBytes, without reordering.
func TestBatching(t *testing.T) {
	one := app(1, 2, 0)
	frame := frameSize(one.Size())
	for _, tc := range []struct {
		name     string
		maxBytes int
		wantPOST int64 // the held first POST, then the batches of the other 99
	}{
		{"unbounded", 0, 2},
		{"ten per batch", 10 * frame, 1 + 10},
		{"one per batch", 1, 1 + 99},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := newNode(t, 1, func(c *Config) { c.MaxBatchBytes = tc.maxBytes })
			b := newNode(t, 2, nil)
			connect(a, b)
			entered, release := b.rec.hold()
			a.tr.Send([]pb.Message{app(1, 2, 0)})
			<-entered // the first POST is stuck in Process; the rest queues up
			for i := uint64(1); i < 100; i++ {
				a.tr.Send([]pb.Message{app(1, 2, i)})
			}
			release()
			for i, m := range b.rec.expectMsgs(t, 100) {
				if m.Index != uint64(i) {
					t.Fatalf("message %d has index %d", i, m.Index)
				}
			}
			if got := b.requests.Load(); got != tc.wantPOST {
				t.Fatalf("%d POSTs, want %d", got, tc.wantPOST)
			}
			waitStatus(t, a.tr, func(st PeerStatus) bool {
				return st.Sent == 100 && st.Batches == uint64(tc.wantPOST)
			})
		})
	}
}

// When a peer's queue is full, Send drops the message and the peer is
// reported unreachable; what was queued is still delivered.
func TestQueueFullDrops(t *testing.T) {
	a, b := newNode(t, 1, func(c *Config) { c.QueueSize = 4 }), newNode(t, 2, nil)
	connect(a, b)
	entered, release := b.rec.hold()
	a.tr.Send([]pb.Message{app(1, 2, 0)})
	<-entered // the sender holds message 0; the queue is empty
	var msgs []pb.Message
	for i := uint64(1); i <= 7; i++ {
		msgs = append(msgs, app(1, 2, i))
	}
	a.tr.Send(msgs) // 1-4 fill the queue, 5-7 are dropped
	a.rec.expectUnreachable(t, 2)
	if st := a.tr.Status()[0]; st.Dropped != 3 || st.Queued != 4 {
		t.Fatalf("status %+v, want 3 dropped and 4 queued", st)
	}
	release()
	for i, m := range b.rec.expectMsgs(t, 5) {
		if m.Index != uint64(i) {
			t.Fatalf("message %d has index %d", i, m.Index)
		}
	}
	b.rec.expectNoMsg(t, 50*time.Millisecond)
}

// Messages to a peer the transport does not know are reported at once.
func TestUnknownPeer(t *testing.T) {
	a := newNode(t, 1, nil)
	a.tr.Send([]pb.Message{app(1, 9, 0)})
	a.rec.expectUnreachable(t, 9)
}

// A peer that is down is reported unreachable; once it listens again, the
// sender gets through after its backoff.
func TestPeerDownAndBack(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens on addr now

	a := newNode(t, 1, nil)
	a.tr.AddPeer(2, "http://"+addr+"/raft")
	a.tr.Send([]pb.Message{app(1, 2, 0)})
	a.rec.expectUnreachable(t, 2)
	if st := a.tr.Status()[0]; st.Reachable || st.Failed != 1 {
		t.Fatalf("status %+v, want unreachable with 1 failed", st)
	}

	// Bring peer 2 up at the same address.
	rec := newRecorder()
	tr2 := New(Config{ID: 2, Handler: rec, Logger: quietLogger()})
	defer tr2.Stop()
	srv := httptest.NewUnstartedServer(tr2.Handler())
	srv.Listener.Close()
	if srv.Listener, err = net.Listen("tcp", addr); err != nil {
		t.Skipf("cannot listen on %s again: %v", addr, err)
	}
	srv.Start()
	defer srv.Close()

	// Raft keeps sending (heartbeats); model that until one gets through.
	deadline := time.After(waitTime)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for i := uint64(1); ; i++ {
		a.tr.Send([]pb.Message{app(1, 2, i)})
		select {
		case <-rec.msgs:
			waitStatus(t, a.tr, func(st PeerStatus) bool { return st.Reachable })
			return
		case <-deadline:
			t.Fatal("no delivery after the peer came back")
		case <-tick.C:
		}
	}
}

// A peer answering with an error counts as unreachable too.
func TestProcessErrorReportsUnreachable(t *testing.T) {
	a, b := newNode(t, 1, nil), newNode(t, 2, nil)
	connect(a, b)
	b.rec.failWith(errors.New("node stopped"))
	a.tr.Send([]pb.Message{app(1, 2, 0)})
	a.rec.expectUnreachable(t, 2)
}

// snap returns a MsgSnap from 1 to 2 carrying size bytes of data.
func snap(size int) pb.Message {
	data := make([]byte, size)
	for i := range data {
		data[i] = byte(i * 7)
	}
	return pb.Message{
		Type: pb.MsgSnap, From: 1, To: 2, Term: 4,
		Snapshot: &pb.Snapshot{Data: data, Metadata: pb.SnapshotMetadata{
			Index: 1000, Term: 4, ConfState: pb.ConfState{Voters: []uint64{1, 2, 3}},
		}},
	}
}

// A snapshot is delivered whole and reported finished; while it is being
// stepped, small messages to the same peer still get through.
func TestSnapshotStreamed(t *testing.T) {
	a, b := newNode(t, 1, nil), newNode(t, 2, nil)
	connect(a, b)
	sent := snap(8 << 20)
	entered, release := b.rec.hold()
	a.tr.Send([]pb.Message{sent})
	got := <-entered
	if !bytes.Equal(got.Snapshot.Data, sent.Snapshot.Data) || got.Snapshot.Metadata.Index != 1000 ||
		len(got.Snapshot.Metadata.ConfState.Voters) != 3 || got.Term != 4 {
		t.Fatalf("snapshot arrived changed: %s", raft.DescribeMessage(got, nil))
	}

	// The snapshot's request is held in Process; a heartbeat overtakes it.
	b.rec.open()
	a.tr.Send([]pb.Message{{Type: pb.MsgHeartbeat, From: 1, To: 2, Term: 4}})
	if m := b.rec.expectMsgs(t, 1)[0]; m.Type != pb.MsgHeartbeat {
		t.Fatalf("got %s, want the heartbeat", m.Type)
	}
	select {
	case r := <-a.rec.snapshots:
		t.Fatalf("ReportSnapshot%v before the snapshot was stepped", r)
	default:
	}
	release()
	a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFinish})
	waitStatus(t, a.tr, func(st PeerStatus) bool { return st.SnapshotsSent == 1 })
}

// A snapshot to a dead peer, or one refused by the peer, is reported
// failed.
func TestSnapshotFailure(t *testing.T) {
	t.Run("dead peer", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		l.Close()
		a := newNode(t, 1, nil)
		a.tr.AddPeer(2, "http://"+l.Addr().String()+"/raft")
		a.tr.Send([]pb.Message{snap(1 << 10)})
		a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFailure})
	})
	t.Run("too large for the peer", func(t *testing.T) {
		a := newNode(t, 1, nil)
		b := newNode(t, 2, func(c *Config) { c.MaxSnapshotBodyBytes = 1 << 10 })
		connect(a, b)
		a.tr.Send([]pb.Message{snap(4 << 10)})
		a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFailure})
		b.rec.expectNoMsg(t, 20*time.Millisecond)
	})
	t.Run("one already waiting", func(t *testing.T) {
		a, b := newNode(t, 1, nil), newNode(t, 2, nil)
		connect(a, b)
		entered, release := b.rec.hold()
		defer release()
		a.tr.Send([]pb.Message{snap(16)})
		<-entered                         // first snapshot in flight
		a.tr.Send([]pb.Message{snap(16)}) // waits
		a.tr.Send([]pb.Message{snap(16)}) // dropped
		a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFailure})
		release()
		a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFinish})
		a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFinish})
	})
}

// Peers come and go while another goroutine keeps sending to them; run
// with -race.
func TestPeersChangeWhileSending(t *testing.T) {
	a := newNode(t, 1, nil)
	peers := []*node{newNode(t, 2, nil), newNode(t, 3, nil), newNode(t, 4, nil)}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := uint64(0); ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			to := 2 + i%4 // 5 is never a peer
			m := app(1, to, i)
			if i%50 == 0 {
				m = snap(64)
				m.To = to
			}
			a.tr.Send([]pb.Message{m})
			if i%100 == 0 {
				_ = a.tr.Status()
				runtime.Gosched()
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := 0; i < 300; i++ {
			p := peers[i%len(peers)]
			switch i % 3 {
			case 0:
				a.tr.AddPeer(p.id, p.url)
			case 1:
				a.tr.UpdatePeer(p.id, p.url+"/")
			case 2:
				a.tr.RemovePeer(p.id)
			}
			if i%10 == 0 {
				time.Sleep(time.Millisecond)
			}
		}
	}()
	time.Sleep(50 * time.Millisecond)
	close(stop)
	wg.Wait()
	// Whatever the interleaving, a peer added last is served.
	for _, p := range peers {
		a.tr.AddPeer(p.id, p.url)
	}
	for _, p := range peers {
		a.tr.Send([]pb.Message{{Type: pb.MsgHeartbeat, From: 1, To: p.id, Term: 9}})
	}
	for _, p := range peers {
		deadline := time.After(waitTime)
		for found := false; !found; {
			select {
			case m := <-p.rec.msgs:
				found = m.Type == pb.MsgHeartbeat && m.Term == 9
			case <-deadline:
				t.Fatalf("peer %d: no heartbeat", p.id)
			}
		}
	}
	a.tr.Stop()
	a.tr.Send([]pb.Message{app(1, 2, 0)}) // after Stop: dropped, no panic
	a.tr.AddPeer(2, peers[0].url)         // after Stop: ignored
	if len(a.tr.Status()) != 0 {
		t.Fatal("peers after Stop")
	}
}

// Stop ends every goroutine the transports started, including the HTTP
// client's connections, and aborts a POST stuck in a slow peer.
func TestStopLeaksNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	func() {
		a, b := newNode(t, 1, nil), newNode(t, 2, nil)
		connect(a, b)
		a.tr.Send([]pb.Message{app(1, 2, 0), snap(1 << 10)})
		b.rec.expectMsgs(t, 2)
		a.rec.expectSnapshot(t, snapshotReport{2, raft.SnapshotFinish})
		_, release := b.rec.hold()
		defer release()
		a.tr.Send([]pb.Message{app(1, 2, 1)}) // stuck in b's Process
		b.tr.Send([]pb.Message{{Type: pb.MsgAppResp, From: 2, To: 1, Term: 3}})
		a.rec.expectMsgs(t, 1)
		done := make(chan struct{})
		go func() {
			a.close()
			b.close()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(waitTime):
			t.Fatal("Stop hangs")
		}
	}()
	waitGoroutines(t, before)
}

// After Stop, the receiving side refuses requests instead of handing them
// to a raft loop that may be gone.
func TestHandlerAfterStop(t *testing.T) {
	n := newNode(t, 2, nil)
	n.tr.Stop()
	if status, text := post(t, n, "/message", batch(app(1, 2, 0))); status != http.StatusServiceUnavailable {
		t.Fatalf("got %d %s", status, text)
	}
	n.rec.expectNoMsg(t, 0)
}

// Config.Client replaces the transport's own client.
func TestCustomClient(t *testing.T) {
	var calls int
	var mu sync.Mutex
	client := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		calls++
		mu.Unlock()
		return http.DefaultTransport.RoundTrip(r)
	})}
	a, b := newNode(t, 1, func(c *Config) { c.Client = client }), newNode(t, 2, nil)
	connect(a, b)
	a.tr.Send([]pb.Message{app(1, 2, 0)})
	b.rec.expectMsgs(t, 1)
	mu.Lock()
	defer mu.Unlock()
	if calls != 1 {
		t.Fatalf("%d calls through the custom client, want 1", calls)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestNewPanicsOnBadConfig(t *testing.T) {
	for _, cfg := range []Config{{Handler: newRecorder()}, {ID: 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("New(%+v) did not panic", cfg)
				}
			}()
			New(cfg).Stop()
		}()
	}
}

func TestNextBackoff(t *testing.T) {
	var got []string
	var d time.Duration
	for range 7 {
		d = nextBackoff(d, 50*time.Millisecond, time.Second)
		got = append(got, d.String())
	}
	if s := fmt.Sprint(got); s != "[50ms 100ms 200ms 400ms 800ms 1s 1s]" {
		t.Fatal(s)
	}
}
