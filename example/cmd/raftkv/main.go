// Command raftkv runs one member of a replicated key-value service built on
// raftcore, or, with --demo, a three-member cluster in one process.
//
// A three-node cluster on one machine:
//
//	raftkv --id 1 --listen 127.0.0.1:9001 --data /tmp/kv1 \
//	    --peers 1=http://127.0.0.1:9001,2=http://127.0.0.1:9002,3=http://127.0.0.1:9003
//	raftkv --id 2 --listen 127.0.0.1:9002 --data /tmp/kv2 --peers (same list)
//	raftkv --id 3 --listen 127.0.0.1:9003 --data /tmp/kv3 --peers (same list)
//
// A fourth node that joins it:
//
//	raftkv --id 4 --listen 127.0.0.1:9004 --data /tmp/kv4 --join --peers (same list)
//	curl -X POST -d '{"id":4,"url":"http://127.0.0.1:9004","learner":true}' http://127.0.0.1:9001/members
//
// --peers matters only on a node's first start: afterwards the membership
// comes from the node's own log. The HTTP API is described in the kv
// package documentation. SIGINT or SIGTERM stops the node gracefully; the
// process exits with status 1 if the node fails (a disk error, say).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/raftcore/raft/example/kv"
)

func main() {
	var (
		id            = flag.Uint64("id", 0, "this node's raft ID (positive)")
		listen        = flag.String("listen", "", "host:port serving the client API and, under /raft/, the raft transport")
		peers         = flag.String("peers", "", "initial cluster as id=url pairs: 1=http://127.0.0.1:9001,2=... (with --join: where existing members are)")
		join          = flag.Bool("join", false, "start empty and wait to be added to an existing cluster (POST /members on a member)")
		data          = flag.String("data", "", "data directory (write-ahead log and snapshots)")
		snapshotEvery = flag.Uint64("snapshot-every", kv.DefaultSnapshotEvery, "applied entries between snapshots")
		fsync         = flag.Bool("fsync", true, "fsync the log before acknowledging; false is for benchmarks only")
		tick          = flag.Duration("tick", kv.DefaultTickInterval, "duration of a raft tick")
		electionTicks = flag.Int("election-ticks", kv.DefaultElectionTicks, "ticks without a leader before an election")
		heartbeatTick = flag.Int("heartbeat-ticks", kv.DefaultHeartbeatTicks, "ticks between the leader's heartbeats")
		timeout       = flag.Duration("request-timeout", kv.DefaultRequestTimeout, "how long a client request may wait for raft")
		maxValue      = flag.Int("max-value", kv.DefaultMaxValueSize, "largest value accepted by PUT, in bytes")
		segmentSize   = flag.Int64("segment-size", 0, "WAL segment size in bytes (0: the wal default); compaction removes whole segments")
		applyTrace    = flag.String("apply-trace", "", "append every applied entry to this file as JSON lines (testing aid)")
		raftDebug     = flag.Bool("raft-debug", false, "log raft's debug lines")
		demo          = flag.Bool("demo", false, "run a three-node cluster on loopback in this process, with data in a temporary directory")
		demoPort      = flag.Int("demo-port", 9001, "with --demo: the first of three consecutive ports (free ports are picked if they are taken)")
	)
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: raftkv --id N --listen host:port --data dir --peers 1=url,2=url,... [--join]\n       raftkv --demo\n\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() > 0 {
		fatalf("unexpected arguments: %v", flag.Args())
	}
	cfg := kv.Config{
		SnapshotEvery:  *snapshotEvery,
		NoFsync:        !*fsync,
		SegmentSize:    *segmentSize,
		TickInterval:   *tick,
		ElectionTicks:  *electionTicks,
		HeartbeatTicks: *heartbeatTick,
		RequestTimeout: *timeout,
		MaxValueSize:   *maxValue,
		RaftDebug:      *raftDebug,
	}
	if *electionTicks <= *heartbeatTick {
		fatalf("--election-ticks (%d) must be greater than --heartbeat-ticks (%d)", *electionTicks, *heartbeatTick)
	}
	if *demo {
		if err := runDemo(cfg, *demoPort, *data); err != nil {
			fatalf("%v", err)
		}
		return
	}
	if *id == 0 {
		fatalf("--id is required (a positive integer)")
	}
	if *listen == "" || *data == "" {
		fatalf("--listen and --data are required")
	}
	pm, err := parsePeers(*peers)
	if err != nil {
		fatalf("--peers: %v", err)
	}
	cfg.ID, cfg.Peers, cfg.Join, cfg.DataDir, cfg.ApplyTrace = *id, pm, *join, *data, *applyTrace
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fatalf("%v", err)
	}
	n, err := kv.Start(cfg)
	if err != nil {
		ln.Close()
		fatalf("%v", err)
	}
	srv := serve(n, ln)
	log.Printf("raftkv: node %d serving on http://%s", *id, ln.Addr())

	sigc := make(chan os.Signal, 1)
	signal.Notify(sigc, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sigc:
		log.Printf("raftkv: %v: shutting down", s)
	case <-n.Done():
	}
	if err := shutdown(srv, n); err != nil {
		fatalf("node %d failed: %v", *id, err)
	}
}

// serve starts an HTTP server for n on ln.
func serve(n *kv.Node, ln net.Listener) *http.Server {
	srv := &http.Server{Handler: n.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Printf("raftkv: node %d: serving: %v", n.ID(), err)
		}
	}()
	return srv
}

// shutdown stops a node gracefully: it refuses new client requests and
// fails those waiting (Stop), then lets the server finish writing their
// answers and closes it.
func shutdown(srv *http.Server, n *kv.Node) error {
	err := n.Stop()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if serr := srv.Shutdown(ctx); serr != nil {
		srv.Close()
	}
	return err
}

// parsePeers parses "1=http://a:1,2=http://b:2".
func parsePeers(s string) (map[uint64]string, error) {
	out := map[uint64]string{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for _, part := range strings.Split(s, ",") {
		idStr, u, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%q: want id=url", part)
		}
		id, err := strconv.ParseUint(idStr, 10, 64)
		if err != nil || id == 0 {
			return nil, fmt.Errorf("%q: the id must be a positive integer", part)
		}
		if !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
			return nil, fmt.Errorf("%q: the url must start with http:// or https://", part)
		}
		if _, dup := out[id]; dup {
			return nil, fmt.Errorf("id %d appears twice", id)
		}
		out[id] = strings.TrimRight(u, "/")
	}
	return out, nil
}

// formatPeers is the inverse of parsePeers, in ID order.
func formatPeers(m map[uint64]string) string {
	ids := make([]uint64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%d=%s", id, m[id])
	}
	return strings.Join(parts, ",")
}

func fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "raftkv: "+format+"\n", args...)
	os.Exit(1)
}
