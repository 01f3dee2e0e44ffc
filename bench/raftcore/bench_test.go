package bench

// The benchmark bodies. They use only the API that raftcore shares with
// etcd raft (RawNode, MemoryStorage, Ready/Advance, Step) and read or build
// messages only through the shim in lib_test.go, so that ../gen.sh can
// compile the very same code against etcd raft v3.6 and v3.7.
//
// Every benchmark counts one "op" as the unit named in its comment (a
// proposal, a committed entry, a group's tick, a whole catch-up), so ns/op
// and allocs/op read directly as per-unit costs.

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	raft "github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

const (
	payloadSize   = 128
	maxSizePerMsg = 1 << 20
	maxInflight   = 256
)

// config is the configuration every node in these benchmarks runs with,
// identical for all libraries. Limits whose zero value means different
// things in different libraries are set explicitly.
func config(id uint64, st *raft.MemoryStorage) *raft.Config {
	cfg := &raft.Config{
		ID:                       id,
		ElectionTick:             10,
		HeartbeatTick:            1,
		Storage:                  st,
		MaxSizePerMsg:            maxSizePerMsg,
		MaxCommittedSizePerReady: maxSizePerMsg,
		MaxInflightMsgs:          maxInflight,
		Logger:                   quiet{},
	}
	if tune != nil {
		tune(cfg)
	}
	return cfg
}

// tune, if set, adjusts the configuration with options only one library
// has (see tune_test.go of raftcore). Nil in the etcd variants.
var tune func(*raft.Config)

// quiet is a Logger that drops everything but panics.
type quiet struct{}

func (quiet) Debug(...interface{})            {}
func (quiet) Debugf(string, ...interface{})   {}
func (quiet) Info(...interface{})             {}
func (quiet) Infof(string, ...interface{})    {}
func (quiet) Warning(...interface{})          {}
func (quiet) Warningf(string, ...interface{}) {}
func (quiet) Error(...interface{})            {}
func (quiet) Errorf(string, ...interface{})   {}
func (quiet) Fatal(v ...interface{})          { panic(fmt.Sprint(v...)) }
func (quiet) Fatalf(f string, v ...interface{}) {
	panic(fmt.Sprintf(f, v...))
}
func (quiet) Panic(v ...interface{}) { panic(fmt.Sprint(v...)) }
func (quiet) Panicf(f string, v ...interface{}) {
	panic(fmt.Sprintf(f, v...))
}

// fields names the message fields the harness sets; newMsg builds a
// message from them.
type fields struct {
	Type                                   pb.MessageType
	To, From, Term, LogTerm, Index, Commit uint64
	Entries                                []entry
	Context                                []byte
}

// growBytes extends b by n bytes, reallocating only when its capacity is
// short.
func growBytes(b []byte, n int) []byte {
	if cap(b)-len(b) < n {
		nb := make([]byte, len(b), 2*cap(b)+n)
		copy(nb, b)
		b = nb
	}
	return b[:len(b)+n]
}

// cpuClock measures the CPU time (user and system, all threads, so the
// garbage collector's work counts) that the process spends while it runs.
// It is reported as cpu-ns/op next to the wall-clock ns/op: on a shared,
// busy machine it is far less disturbed by other processes.
type cpuClock struct {
	total, t0 time.Duration
	running   bool
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reset zeroes the clock and starts it, like b.ResetTimer.
func (c *cpuClock) reset() { c.total, c.t0, c.running = 0, processCPU(), true }

func (c *cpuClock) start() {
	if !c.running {
		c.t0, c.running = processCPU(), true
	}
}

func (c *cpuClock) stop() {
	if c.running {
		c.total += processCPU() - c.t0
		c.running = false
	}
}

// report stops the clock and reports cpu-ns/op for n ops.
func (c *cpuClock) report(b *testing.B, n int) {
	c.stop()
	b.ReportMetric(float64(c.total.Nanoseconds())/float64(n), "cpu-ns/op")
}

// peer is one RawNode with its storage and the index it has applied.
type peer struct {
	id      uint64
	rn      *raft.RawNode
	st      *raft.MemoryStorage
	applied uint64
}

// newPeer starts node id of a group with the given voters. ents, if any,
// are of term 1 and already in its storage, committed and applied.
func newPeer(id uint64, voters []uint64, ents []entry) (*peer, error) {
	st, err := newStorage(voters)
	if err != nil {
		return nil, err
	}
	p := &peer{id: id, st: st, applied: 1}
	cfg := config(id, st)
	if len(ents) > 0 {
		if err := st.Append(ents); err != nil {
			return nil, err
		}
		last := eIndex(&ents[len(ents)-1])
		if err := st.SetHardState(hardState(1, 0, last)); err != nil {
			return nil, err
		}
		cfg.Applied = last
		p.applied = last
	}
	if p.rn, err = raft.NewRawNode(cfg); err != nil {
		return nil, err
	}
	return p, nil
}

// ready takes p's Ready, persists and applies it, hands each message to
// send and advances. The application's work is what MemoryStorage does.
func (p *peer) ready(send func(m *message)) error {
	rd := p.rn.Ready()
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := p.st.SetHardState(rd.HardState); err != nil {
			return err
		}
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := p.st.ApplySnapshot(rd.Snapshot); err != nil {
			return err
		}
	}
	if len(rd.Entries) > 0 {
		if err := p.st.Append(rd.Entries); err != nil {
			return err
		}
	}
	if send != nil {
		for i := range rd.Messages {
			send(&rd.Messages[i])
		}
	}
	if n := len(rd.CommittedEntries); n > 0 {
		p.applied = eIndex(&rd.CommittedEntries[n-1])
	}
	p.rn.Advance(rd)
	return nil
}

// compact drops p's applied entries from its storage.
func (p *peer) compact() error {
	first, _ := p.st.FirstIndex()
	if p.applied < first {
		return nil
	}
	return p.st.Compact(p.applied)
}

func (p *peer) isLeader() bool {
	return p.rn.BasicStatus().RaftState == raft.StateLeader
}

// reply is what a healthy, up-to-date peer answers to m, if anything.
func reply(m *message) (message, bool) {
	f := fields{To: mFrom(m), From: mTo(m), Term: mTerm(m)}
	switch mType(m) {
	case pb.MsgHeartbeat:
		f.Type, f.Context = pb.MsgHeartbeatResp, mContext(m)
	case pb.MsgApp:
		f.Type, f.Index = pb.MsgAppResp, mIndex(m)+uint64(mLen(m))
	case pb.MsgVote:
		f.Type = pb.MsgVoteResp
	default:
		var none message
		return none, false
	}
	return newMsg(f), true
}

// cluster is a group of peers (IDs 1..n) that exchange messages through a
// deterministic in-process network: in each round every peer with a Ready
// handles one, in ID order, and then every message sent in that round is
// delivered in the order it was sent.
type cluster struct {
	peers   []*peer
	marshal bool   // encode every message when sent, decode it on delivery
	cut     uint64 // messages to or from this peer are dropped (0: none)

	q     []message // sent this round (unencoded)
	wire  []byte    // sent this round (encoded, back to back)
	ends  []int     // end offset in wire of each encoded message
	err   error
	sendf func(m *message)
	sent  int // messages sent, for metrics
}

// newCluster starts peers with the given voters; all but peer lagging have
// ents in their logs (see newPeer).
func newCluster(voters []uint64, ents []entry, lagging uint64) (*cluster, error) {
	c := &cluster{}
	for _, id := range voters {
		es := ents
		if id == lagging {
			es = nil
		}
		p, err := newPeer(id, voters, es)
		if err != nil {
			return nil, err
		}
		c.peers = append(c.peers, p)
	}
	c.sendf = c.send
	return c, nil
}

func (c *cluster) send(m *message) {
	if c.cut != 0 && (mTo(m) == c.cut || mFrom(m) == c.cut) {
		return
	}
	c.sent++
	if !c.marshal {
		c.q = append(c.q, *m)
		return
	}
	var err error
	if c.wire, err = marshalAppend(c.wire, m); err != nil && c.err == nil {
		c.err = err
	}
	c.ends = append(c.ends, len(c.wire))
}

// deliver steps every message sent in the last round into its recipient.
// It reports whether there were any.
func (c *cluster) deliver() (bool, error) {
	if !c.marshal {
		if len(c.q) == 0 {
			return false, nil
		}
		for i := range c.q {
			if err := c.peers[mTo(&c.q[i])-1].rn.Step(c.q[i]); err != nil {
				return false, err
			}
		}
		clear(c.q)
		c.q = c.q[:0]
		return true, nil
	}
	if len(c.ends) == 0 {
		return false, nil
	}
	start := 0
	for _, end := range c.ends {
		m, err := unmarshal(c.wire[start:end])
		if err != nil {
			return false, err
		}
		if err := c.peers[mTo(&m)-1].rn.Step(m); err != nil {
			return false, err
		}
		start = end
	}
	c.wire, c.ends = c.wire[:0], c.ends[:0]
	return true, nil
}

// stabilize runs rounds until no peer has a Ready and no message is in
// flight.
func (c *cluster) stabilize() error {
	for {
		busy := false
		for _, p := range c.peers {
			if p.rn.HasReady() {
				busy = true
				if err := p.ready(c.sendf); err != nil {
					return err
				}
			}
		}
		if c.err != nil {
			return c.err
		}
		delivered, err := c.deliver()
		if err != nil {
			return err
		}
		if !busy && !delivered {
			return nil
		}
	}
}

// elect makes peer 1 the leader and settles the cluster.
func (c *cluster) elect() error {
	if err := c.peers[0].rn.Campaign(); err != nil {
		return err
	}
	if err := c.stabilize(); err != nil {
		return err
	}
	if !c.peers[0].isLeader() {
		return errors.New("peer 1 did not become leader")
	}
	return nil
}

func voterIDs(n int) []uint64 {
	ids := make([]uint64, n)
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	return ids
}

// BenchmarkSingleVoter measures one proposal's trip through a single-voter
// node: Propose(128 B), Ready, append to MemoryStorage, Advance, until it
// is committed and applied. batch is the number of proposals per Ready.
// One op is one proposal.
func BenchmarkSingleVoter(b *testing.B) {
	for _, batch := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", batch), func(b *testing.B) {
			p, err := newPeer(1, []uint64{1}, nil)
			if err != nil {
				b.Fatal(err)
			}
			if err := p.rn.Campaign(); err != nil {
				b.Fatal(err)
			}
			for p.rn.HasReady() {
				if err := p.ready(nil); err != nil {
					b.Fatal(err)
				}
			}
			if !p.isLeader() {
				b.Fatal("not leader")
			}
			start := p.applied
			data := make([]byte, payloadSize)
			b.ReportAllocs()
			b.ResetTimer()
			readys := 0
			var cpu cpuClock
			cpu.reset()
			for done := 0; done < b.N; {
				k := min(batch, b.N-done)
				for i := 0; i < k; i++ {
					if err := p.rn.Propose(data); err != nil {
						b.Fatal(err)
					}
				}
				for p.rn.HasReady() {
					readys++
					if err := p.ready(nil); err != nil {
						b.Fatal(err)
					}
				}
				done += k
				if done%8192 < k {
					if err := p.compact(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.StopTimer()
			cpu.report(b, b.N)
			if got := p.applied - start; got != uint64(b.N) {
				b.Fatalf("applied %d entries, want %d", got, b.N)
			}
			b.ReportMetric(float64(readys)/float64(b.N), "readys/op")
		})
	}
}

// BenchmarkCommit measures committing 128-byte entries in three- and
// five-voter in-memory clusters, proposing batch entries at the leader and
// then running the network until every peer has applied them; with
// marshal, every message is encoded when sent and decoded on delivery. One
// op is one committed (and everywhere applied) entry.
func BenchmarkCommit(b *testing.B) {
	for _, voters := range []int{3, 5} {
		for _, batch := range []int{1, 64} {
			for _, marshal := range []bool{false, true} {
				name := fmt.Sprintf("voters=%d/batch=%d/marshal=%t", voters, batch, marshal)
				b.Run(name, func(b *testing.B) { benchCommit(b, voters, batch, marshal) })
			}
		}
	}
}

func benchCommit(b *testing.B, voters, batch int, marshal bool) {
	c, err := newCluster(voterIDs(voters), nil, 0)
	if err != nil {
		b.Fatal(err)
	}
	c.marshal = marshal
	if err := c.elect(); err != nil {
		b.Fatal(err)
	}
	leader := c.peers[0]
	start := leader.applied
	data := make([]byte, payloadSize)
	c.sent = 0
	var cpu cpuClock
	b.ReportAllocs()
	b.ResetTimer()
	cpu.reset()
	for done := 0; done < b.N; {
		k := min(batch, b.N-done)
		for i := 0; i < k; i++ {
			if err := leader.rn.Propose(data); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.stabilize(); err != nil {
			b.Fatal(err)
		}
		done += k
		if done%8192 < k {
			for _, p := range c.peers {
				if err := p.compact(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.StopTimer()
	cpu.report(b, b.N)
	for _, p := range c.peers {
		if got := p.applied - start; got != uint64(b.N) {
			b.Fatalf("peer %d applied %d entries, want %d", p.id, got, b.N)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "entries/s")
	b.ReportMetric(float64(c.sent)/float64(b.N), "msgs/op")
}

// BenchmarkIdleGroups measures 10,000 idle three-voter groups led by this
// node, whose peers answer heartbeats: one op is one group's Tick with the
// Ready handling of the heartbeats it sends and the stepping of the
// answers. heapB/group is the live heap per group (RawNode and its
// MemoryStorage) after three rounds of ticks, measured after a GC; with
// BENCH_IDLE_HEAPPROFILE=file a heap profile is written at that point.
func BenchmarkIdleGroups(b *testing.B) {
	const groups = 10000
	var replies []message
	send := func(m *message) {
		if r, ok := reply(m); ok {
			replies = append(replies, r)
		}
	}
	// step runs p's Readys, answering for its peers, until it has none.
	step := func(p *peer) error {
		for p.rn.HasReady() {
			if err := p.ready(send); err != nil {
				return err
			}
			for i := range replies {
				if err := p.rn.Step(replies[i]); err != nil {
					return err
				}
			}
			clear(replies)
			replies = replies[:0]
		}
		return nil
	}
	heap0 := liveHeap()
	gs := make([]*peer, groups)
	for g := range gs {
		p, err := newPeer(1, []uint64{1, 2, 3}, nil)
		if err != nil {
			b.Fatal(err)
		}
		if err := p.rn.Campaign(); err != nil {
			b.Fatal(err)
		}
		if err := step(p); err != nil {
			b.Fatal(err)
		}
		if !p.isLeader() {
			b.Fatal("not leader")
		}
		gs[g] = p
	}
	for r := 0; r < 3; r++ {
		for _, p := range gs {
			p.rn.Tick()
			if err := step(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	heap := liveHeap() - heap0
	if path := os.Getenv("BENCH_IDLE_HEAPPROFILE"); path != "" {
		// What the idle groups hold, for go tool pprof -sample_index=inuse_space
		// (run with -test.memprofilerate=1 for exact numbers).
		if err := writeHeapProfile(path); err != nil {
			b.Fatal(err)
		}
	}
	var cpu cpuClock
	b.ReportAllocs()
	b.ResetTimer()
	cpu.reset()
	for i := 0; i < b.N; i++ {
		p := gs[i%groups]
		p.rn.Tick()
		if err := step(p); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu.report(b, b.N)
	b.ReportMetric(float64(heap)/groups, "heapB/group")
	runtime.KeepAlive(gs)
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// liveHeap is the heap in use after a full collection.
func liveHeap() int64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// BenchmarkCatchUp measures a follower catching up 50,000 entries of 128 B
// with MaxSizePerMsg 1 MiB and MaxInflightMsgs 256. Peers 1 and 2 of a
// three-voter group have the entries committed; peer 3 has none and is cut
// off while peer 1 is elected. The clock starts when peer 3 is reconnected
// and the leader ticks (a heartbeat), and stops when the network is quiet:
// peer 3 has stored and applied every entry and the leader knows it. One op
// is one whole catch-up.
func BenchmarkCatchUp(b *testing.B) {
	const behind = 50000
	data := make([]byte, payloadSize)
	ents := make([]entry, behind)
	for i := range ents {
		ents[i] = newEntry(1, uint64(i+2), data)
	}
	// Two untimed rounds first: the first catch-ups of a process run on a
	// cold heap and take several times longer.
	var cpu cpuClock
	for i := 0; i < 2; i++ {
		catchUp(b, &cpu, ents)
	}
	msgs := 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu.reset()
	for i := 0; i < b.N; i++ {
		msgs += catchUp(b, &cpu, ents)
	}
	b.StopTimer()
	cpu.report(b, b.N)
	b.ReportMetric(float64(msgs)/float64(b.N), "msgs/op")
}

// catchUp runs one catch-up of ents, timing only the catch-up itself, and
// returns the number of messages it took. The timers must be running.
func catchUp(b *testing.B, cpu *cpuClock, ents []entry) int {
	b.StopTimer()
	cpu.stop()
	c, err := newCluster([]uint64{1, 2, 3}, ents, 3)
	if err != nil {
		b.Fatal(err)
	}
	c.cut = 3
	if err := c.elect(); err != nil {
		b.Fatal(err)
	}
	leader, lag := c.peers[0], c.peers[2]
	c.cut, c.sent = 0, 0
	runtime.GC()
	b.StartTimer()
	cpu.start()

	leader.rn.Tick()
	if err := c.stabilize(); err != nil {
		b.Fatal(err)
	}

	b.StopTimer()
	cpu.stop()
	last, _ := leader.st.LastIndex()
	if got, _ := lag.st.LastIndex(); got != last || lag.applied != last || last < uint64(len(ents))+2 {
		b.Fatalf("follower has %d entries and applied %d, leader has %d", got, lag.applied, last)
	}
	b.StartTimer()
	cpu.start()
	return c.sent
}

// msgApp64 is a MsgApp carrying 64 entries of 128 B.
func msgApp64() message {
	data := make([]byte, payloadSize)
	ents := make([]entry, 64)
	for i := range ents {
		ents[i] = newEntry(7, uint64(1001+i), data)
	}
	return newMsg(fields{
		Type: pb.MsgApp, To: 2, From: 1, Term: 7, LogTerm: 7, Index: 1000, Commit: 990,
		Entries: ents,
	})
}

// BenchmarkMsgApp64 measures encoding (into a new buffer, as Marshal does)
// and decoding of a MsgApp with 64 entries of 128 B. One op is one message.
func BenchmarkMsgApp64(b *testing.B) {
	m := msgApp64()
	wire, err := marshal(&m)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal", func(b *testing.B) {
		var cpu cpuClock
		b.ReportAllocs()
		cpu.reset()
		for i := 0; i < b.N; i++ {
			if _, err := marshal(&m); err != nil {
				b.Fatal(err)
			}
		}
		cpu.report(b, b.N)
	})
	b.Run("unmarshal", func(b *testing.B) {
		var cpu cpuClock
		b.ReportAllocs()
		cpu.reset()
		for i := 0; i < b.N; i++ {
			got, err := unmarshal(wire)
			if err != nil {
				b.Fatal(err)
			}
			if mLen(&got) != 64 {
				b.Fatal("lost entries")
			}
		}
		cpu.report(b, b.N)
	})
}
