package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/raftcore/raft/example/kv"
)

// runDemo runs three nodes in this process, each with its own listener,
// data directory, transport and log file, exactly as three processes
// would, and prints commands to try. It returns when interrupted.
func runDemo(cfg kv.Config, firstPort int, base string) error {
	keep := base != ""
	if !keep {
		dir, err := os.MkdirTemp("", "raftkv-demo-")
		if err != nil {
			return err
		}
		base = dir
		defer os.RemoveAll(dir)
	}
	lns, err := demoListeners(firstPort)
	if err != nil {
		return err
	}
	peers := map[uint64]string{}
	for i, ln := range lns {
		peers[uint64(i+1)] = "http://" + ln.Addr().String()
	}

	var nodes []*kv.Node
	var servers []*http.Server
	stopAll := func() {
		for i := len(nodes) - 1; i >= 0; i-- {
			if err := shutdown(servers[i], nodes[i]); err != nil {
				fmt.Fprintf(os.Stderr, "node %d: %v\n", nodes[i].ID(), err)
			}
		}
	}
	for i, ln := range lns {
		id := uint64(i + 1)
		logf, err := os.OpenFile(filepath.Join(base, fmt.Sprintf("node%d.log", id)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			stopAll()
			return err
		}
		defer logf.Close()
		c := cfg
		c.ID, c.Peers, c.DataDir, c.LogOutput = id, peers, filepath.Join(base, fmt.Sprintf("node%d", id)), logf
		n, err := kv.Start(c)
		if err != nil {
			for _, l := range lns[i:] {
				l.Close()
			}
			stopAll()
			return err
		}
		nodes = append(nodes, n)
		servers = append(servers, serve(n, ln))
	}
	defer stopAll()

	fmt.Printf("raftkv demo: three nodes, data and logs in %s\n", base)
	deadline := time.Now().Add(10 * time.Second)
	for nodes[0].Leader() == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if nodes[0].Leader() == 0 {
		return fmt.Errorf("no leader elected within 10s; see the logs in %s", base)
	}
	printDemoHelp(peers, nodes[0].Leader(), base)

	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	lead := nodes[0].Leader()
	watch := time.NewTicker(100 * time.Millisecond)
	defer watch.Stop()
	for {
		select {
		case <-sigc:
			fmt.Println("\nstopping the demo cluster")
			if !keep {
				fmt.Printf("removing %s\n", base)
			}
			return nil
		case <-watch.C:
			for _, n := range nodes {
				select {
				case <-n.Done():
					return fmt.Errorf("node %d stopped: %v", n.ID(), n.Err())
				default:
				}
			}
			if l := nodes[0].Leader(); l != lead && l != 0 {
				lead = l
				fmt.Printf("[demo] leader is now node %d\n", l)
			}
		}
	}
}

// demoListeners listens on three consecutive loopback ports from first,
// or on three free ports if any of those is taken.
func demoListeners(first int) ([]net.Listener, error) {
	var lns []net.Listener
	for i := range 3 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", first+i))
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			fmt.Fprintf(os.Stderr, "raftkv demo: port %d is taken (%v); using free ports instead\n", first+i, err)
			lns = nil
			break
		}
		lns = append(lns, ln)
	}
	for len(lns) < 3 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, l := range lns {
				l.Close()
			}
			return nil, err
		}
		lns = append(lns, ln)
	}
	return lns, nil
}

func printDemoHelp(peers map[uint64]string, lead uint64, base string) {
	u1, u2 := peers[1], peers[2]
	fmt.Printf(`
nodes: %s
leader: node %d

Try, in another terminal:

  curl -i -X PUT -d 'hello' %[3]s/kv/greeting             # write (applied when it returns)
  curl -i %[4]s/kv/greeting                                # linearizable read (ReadIndex)
  curl -i '%[4]s/kv/greeting?stale=true'                   # local read
  curl -i -X DELETE %[3]s/kv/greeting
  curl -s %[3]s/status                                     # raft status, members, transport
  curl -s %[3]s/members
  curl -i -X POST -d '{"id":2}' %[3]s/leader               # transfer leadership to node 2
  head -c 2000000 /dev/zero | curl -i -X PUT --data-binary @- %[3]s/kv/big   # 413: values are limited to 1 MiB

Add a fourth node (from the example/ directory), first as a learner, then promote it:

  go run ./cmd/raftkv --id 4 --listen 127.0.0.1:9004 --join --peers %[5]s --data %[6]s/node4
  curl -i -X POST -d '{"id":4,"url":"http://127.0.0.1:9004","learner":true}' %[3]s/members
  curl -i -X POST -d '{"id":4}' %[3]s/members                # promote to voter
  curl -i -X DELETE %[3]s/members/4                         # remove it again

Logs: %[6]s/node{1,2,3}.log. Press Ctrl-C to stop.
`, formatPeers(peers), lead, u1, u2, formatPeers(peers), base)
}
