package bench

// Options only raftcore has, chosen by environment so that one test binary
// measures both its default and its tuned configuration. This file is not
// copied to the etcd variants.

import (
	"os"

	raft "github.com/raftcore/raft"
)

func init() {
	if os.Getenv("BENCH_RECYCLE") == "1" {
		// The application is done with rd.Messages at Advance, as every
		// benchmark body here is.
		tune = func(c *raft.Config) { c.RecycleMessages = true }
	}
}
