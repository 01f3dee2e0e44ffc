package raft

import (
	"log"
	"os"
)

// With RAFTDEBUG set, the nodes of the in-package test clusters log to
// stderr at debug level, e.g. `RAFTDEBUG=1 go test -run TestClusterSmoke .`.
// Otherwise they log nowhere.
func init() {
	if os.Getenv("RAFTDEBUG") != "" {
		l := &DefaultLogger{Logger: log.New(os.Stderr, "", 0)}
		l.EnableDebug()
		testLogger = l
	}
}
