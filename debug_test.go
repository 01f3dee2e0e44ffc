package raft

import (
	"log"
	"os"
)

func init() {
	if os.Getenv("RAFTDEBUG") != "" {
		l := &DefaultLogger{Logger: log.New(os.Stderr, "", 0)}
		l.EnableDebug()
		testLogger = l
	}
}
