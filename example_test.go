package raft_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"time"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// quietLogger keeps the examples' output to what they print.
var quietLogger = &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}

// handleReady does what the Ready contract asks of an application with
// synchronous storage: persist, (send — returned to the caller), apply,
// Advance. apply is called for each committed normal entry with data.
func handleReady(rn *raft.RawNode, storage *raft.MemoryStorage, apply func(pb.Entry)) []pb.Message {
	rd := rn.Ready()
	// 1. Persist hard state, entries and snapshot.
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := storage.SetHardState(rd.HardState); err != nil {
			log.Fatal(err)
		}
	}
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := storage.ApplySnapshot(rd.Snapshot); err != nil {
			log.Fatal(err)
		}
	}
	if err := storage.Append(rd.Entries); err != nil {
		log.Fatal(err)
	}
	// 2. The messages may go out now; the caller sends them.
	// 3. Apply committed entries; configuration changes go to the node.
	for _, e := range rd.CommittedEntries {
		switch e.Type {
		case pb.EntryConfChange:
			var cc pb.ConfChange
			if err := cc.Unmarshal(e.Data); err != nil {
				log.Fatal(err)
			}
			rn.ApplyConfChange(cc)
		case pb.EntryConfChangeV2:
			var cc pb.ConfChangeV2
			if err := cc.Unmarshal(e.Data); err != nil {
				log.Fatal(err)
			}
			rn.ApplyConfChange(cc)
		case pb.EntryNormal:
			if len(e.Data) > 0 {
				apply(e)
			}
		}
	}
	// 4. Tell the node.
	rn.Advance(rd)
	return rd.Messages
}

// A single-node cluster driven by a RawNode: bootstrap, campaign, propose,
// and apply what commits.
func ExampleRawNode() {
	storage := raft.NewMemoryStorage()
	rn, err := raft.NewRawNode(&raft.Config{
		ID:              1,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         storage,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		Logger:          quietLogger,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := rn.Bootstrap([]raft.Peer{{ID: 1}}); err != nil {
		log.Fatal(err)
	}
	apply := func(e pb.Entry) { fmt.Printf("applied %d: %s\n", e.Index, e.Data) }
	loop := func() {
		for rn.HasReady() {
			handleReady(rn, storage, apply)
		}
	}
	loop() // apply the bootstrap configuration

	if err := rn.Campaign(); err != nil {
		log.Fatal(err)
	}
	loop()
	fmt.Println("state:", rn.BasicStatus().RaftState)

	for _, data := range []string{"hello", "world"} {
		if err := rn.Propose([]byte(data)); err != nil {
			log.Fatal(err)
		}
	}
	loop()
	fmt.Println("applied index:", rn.BasicStatus().Applied)
	// Output:
	// state: StateLeader
	// applied 3: hello
	// applied 4: world
	// applied index: 4
}

// Three RawNodes in one process, connected by an in-memory message queue.
func ExampleRawNode_threeNodes() {
	peers := []raft.Peer{{ID: 1}, {ID: 2}, {ID: 3}}
	nodes := map[uint64]*raft.RawNode{}
	stores := map[uint64]*raft.MemoryStorage{}
	applied := map[uint64][]string{}
	for _, p := range peers {
		storage := raft.NewMemoryStorage()
		rn, err := raft.NewRawNode(&raft.Config{
			ID:              p.ID,
			ElectionTick:    10,
			HeartbeatTick:   1,
			Storage:         storage,
			MaxSizePerMsg:   1 << 20,
			MaxInflightMsgs: 256,
			Logger:          quietLogger,
		})
		if err != nil {
			log.Fatal(err)
		}
		if err := rn.Bootstrap(peers); err != nil {
			log.Fatal(err)
		}
		nodes[p.ID], stores[p.ID] = rn, storage
	}

	// run handles every node's Readys and delivers the messages until the
	// cluster is quiet. Real applications send messages over the network;
	// here they are stepped into the recipient directly.
	run := func() {
		for {
			var msgs []pb.Message
			for _, p := range peers {
				id := p.ID
				for nodes[id].HasReady() {
					msgs = append(msgs, handleReady(nodes[id], stores[id], func(e pb.Entry) {
						applied[id] = append(applied[id], string(e.Data))
					})...)
				}
			}
			if len(msgs) == 0 {
				return
			}
			for _, m := range msgs {
				if err := nodes[m.To].Step(m); err != nil {
					log.Fatal(err)
				}
			}
		}
	}
	run()

	if err := nodes[1].Campaign(); err != nil {
		log.Fatal(err)
	}
	run()
	// Proposals may be made at any node: followers forward them.
	if err := nodes[1].Propose([]byte("x=1")); err != nil {
		log.Fatal(err)
	}
	if err := nodes[3].Propose([]byte("y=2")); err != nil {
		log.Fatal(err)
	}
	run()
	for _, p := range peers {
		st := nodes[p.ID].BasicStatus()
		fmt.Printf("node %d: %s, leader %d, applied %v\n", p.ID, st.RaftState, st.Lead, applied[p.ID])
	}
	// Output:
	// node 1: StateLeader, leader 1, applied [x=1 y=2]
	// node 2: StateFollower, leader 1, applied [x=1 y=2]
	// node 3: StateFollower, leader 1, applied [x=1 y=2]
}

// A single-node cluster driven by a Node: the node runs in its own
// goroutine and the application handles Readys from a channel.
func ExampleNode() {
	storage := raft.NewMemoryStorage()
	n := raft.StartNode(&raft.Config{
		ID:              1,
		ElectionTick:    10,
		HeartbeatTick:   1,
		Storage:         storage,
		MaxSizePerMsg:   1 << 20,
		MaxInflightMsgs: 256,
		Logger:          quietLogger,
	}, []raft.Peer{{ID: 1}})
	defer n.Stop()

	committed := make(chan string, 16)
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		ticker := time.NewTicker(10 * time.Millisecond)
		defer ticker.Stop()
		for {
			select {
			case <-ticker.C:
				n.Tick()
			case rd := <-n.Ready():
				if !raft.IsEmptyHardState(rd.HardState) {
					_ = storage.SetHardState(rd.HardState)
				}
				_ = storage.Append(rd.Entries)
				// A single node has no peers: rd.Messages is empty.
				for _, e := range rd.CommittedEntries {
					switch e.Type {
					case pb.EntryConfChange:
						var cc pb.ConfChange
						_ = cc.Unmarshal(e.Data)
						n.ApplyConfChange(cc)
					case pb.EntryNormal:
						if len(e.Data) > 0 {
							committed <- string(e.Data)
						}
					}
				}
				n.Advance()
			case <-stop:
				return
			}
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// With a single voter, the election timeout makes the node campaign by
	// itself; Propose waits until it knows a leader.
	if err := n.Propose(ctx, []byte("hello")); err != nil {
		log.Fatal(err)
	}
	fmt.Println("committed:", <-committed)
	close(stop)
	<-done
	// Output:
	// committed: hello
}
