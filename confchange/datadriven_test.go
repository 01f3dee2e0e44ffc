package confchange

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
	pb "github.com/raftcore/raft/raftpb"
	"github.com/raftcore/raft/tracker"
)

// TestDataDriven runs the scripts in testdata/, one file per rule. Each file
// starts from an empty tracker (MakeProgressTracker(10, 0)) and a last index
// of 0. Commands:
//
//	simple [last-index=N]
//	v1 l2 r3 u4
//
//	  Changer.Simple with the changes of the input, written as in
//	  raftpb.ConfChangesFromString: v = add voter, l = add learner,
//	  r = remove, u = update, each followed by a node ID.
//
//	enter-joint [autoleave=true|false] [last-index=N]
//	v1 l2 r3
//
//	  Changer.EnterJoint with those changes; autoleave defaults to false.
//
//	leave-joint [last-index=N]
//
//	  Changer.LeaveJoint; no input.
//
//	restore [voters=(1,2)] [outgoing=(1,3)] [learners=(4)] [learners-next=(3)] [autoleave=true] [last-index=N]
//
//	  Restore from an empty tracker to the ConfState given by the arguments
//	  (absent lists are empty). Replaces the file's current state.
//
// last-index=N sets Changer.LastIndex, which is where a new peer's Next
// starts, for this and the following commands.
//
// The output is the new configuration (tracker.Config.String) and then one
// line per peer (tracker.ProgressMap.String), and it becomes the state the
// next command starts from. A refused change prints "error: ..." and leaves
// the state alone.
//
// The harness checks itself after every command and prints any disagreement
// into the output, where a golden file would never expect it:
//
//   - "BUG: input mutated": the Changer modified the tracker it was given;
//   - "BUG: restore ...": Restore of the result's ConfState from an empty
//     tracker failed or gave a different configuration or membership.
//
// Regenerate the golden files with go test -run TestDataDriven -rewrite and
// review the diff.
func TestDataDriven(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		tr := tracker.MakeProgressTracker(10, 0)
		var lastIndex uint64
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			if d.HasArg("last-index") {
				d.ScanArgs(t, "last-index", &lastIndex)
			}
			chg := Changer{Tracker: tr, LastIndex: lastIndex}
			before := cloneTracker(tr)

			var cfg tracker.Config
			var prs tracker.ProgressMap
			var err error
			switch d.Cmd {
			case "simple":
				cfg, prs, err = chg.Simple(parseChanges(t, d)...)
			case "enter-joint":
				autoLeave := false
				if d.HasArg("autoleave") {
					d.ScanArgs(t, "autoleave", &autoLeave)
				}
				cfg, prs, err = chg.EnterJoint(autoLeave, parseChanges(t, d)...)
			case "leave-joint":
				if strings.TrimSpace(d.Input) != "" {
					d.Fatalf(t, "leave-joint takes no input")
				}
				cfg, prs, err = chg.LeaveJoint()
			case "restore":
				empty := Changer{Tracker: tracker.MakeProgressTracker(10, 0), LastIndex: lastIndex}
				cfg, prs, err = Restore(empty, confStateArgs(t, d))
			default:
				d.Fatalf(t, "unknown command %q", d.Cmd)
			}

			var out strings.Builder
			if !reflect.DeepEqual(before, tr) {
				fmt.Fprintf(&out, "BUG: input mutated:\nbefore:\n%s\nafter:\n%s\n", snapshotTracker(before), snapshotTracker(tr))
			}
			if err != nil {
				fmt.Fprintf(&out, "error: %v\n", err)
				return out.String()
			}
			tr.Config, tr.Progress = cfg, prs
			out.WriteString(snapshotTracker(tr))
			out.WriteString(checkRestore(tr, lastIndex))
			return out.String()
		})
	})
}

// parseChanges reads the changes in d's input.
func parseChanges(t *testing.T, d *datadriven.TestData) []pb.ConfChangeSingle {
	ccs, err := pb.ConfChangesFromString(d.Input)
	if err != nil {
		d.Fatalf(t, "%v", err)
	}
	return ccs
}

// confStateArgs builds the ConfState given by the restore command's
// arguments.
func confStateArgs(t *testing.T, d *datadriven.TestData) pb.ConfState {
	ids := func(key string) []uint64 {
		arg, ok := d.Arg(key)
		if !ok {
			return nil
		}
		var out []uint64
		for _, v := range arg.Vals {
			id, err := strconv.ParseUint(v, 10, 64)
			if err != nil {
				d.Fatalf(t, "%s: %v", key, err)
			}
			out = append(out, id)
		}
		return out
	}
	cs := pb.ConfState{
		Voters:         ids("voters"),
		VotersOutgoing: ids("outgoing"),
		Learners:       ids("learners"),
		LearnersNext:   ids("learners-next"),
	}
	if d.HasArg("autoleave") {
		d.ScanArgs(t, "autoleave", &cs.AutoLeave)
	}
	for _, arg := range d.CmdArgs {
		switch arg.Key {
		case "voters", "outgoing", "learners", "learners-next", "autoleave", "last-index":
		default:
			d.Fatalf(t, "restore: unknown argument %q", arg.Key)
		}
	}
	return cs
}

// snapshotTracker describes tr's configuration and progress as the golden
// files show them.
func snapshotTracker(tr tracker.ProgressTracker) string {
	var b strings.Builder
	b.WriteString(tr.Config.String())
	b.WriteByte('\n')
	b.WriteString(tr.Progress.String())
	return b.String()
}

// checkRestore restores tr's ConfState into an empty tracker and returns a
// "BUG: ..." line if that fails or gives a different configuration or
// different members, and "" otherwise.
func checkRestore(tr tracker.ProgressTracker, lastIndex uint64) string {
	cs := tr.ConfState()
	empty := Changer{Tracker: tracker.MakeProgressTracker(10, 0), LastIndex: lastIndex}
	cfg, prs, err := Restore(empty, cs)
	if err != nil {
		return fmt.Sprintf("BUG: restore %s: %v\n", describeConfState(cs), err)
	}
	if got, want := cfg.String(), tr.Config.String(); got != want {
		return fmt.Sprintf("BUG: restore %s gave %s, want %s\n", describeConfState(cs), got, want)
	}
	if got, want := membersOf(prs), membersOf(tr.Progress); got != want {
		return fmt.Sprintf("BUG: restore %s gave progress for %s, want %s\n", describeConfState(cs), got, want)
	}
	return ""
}

// membersOf lists the IDs in prs, each marked with "l" if a learner.
func membersOf(prs tracker.ProgressMap) string {
	var parts []string
	for _, id := range sortedIDs(prs) {
		s := strconv.FormatUint(id, 10)
		if prs[id].IsLearner {
			s += "l"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}
