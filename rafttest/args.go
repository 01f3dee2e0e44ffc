package rafttest

import (
	"fmt"
	"strconv"

	"github.com/cockroachdb/datadriven"
)

// cmdArgs reads the arguments of one command. Every getter marks what it
// reads; finish reports the arguments no getter asked for, so that a typo
// fails the test instead of being ignored.
type cmdArgs struct {
	cmd  string
	list []datadriven.CmdArg
	used []bool
}

func newCmdArgs(d datadriven.TestData) *cmdArgs {
	return &cmdArgs{cmd: d.Cmd, list: d.CmdArgs, used: make([]bool, len(d.CmdArgs))}
}

// errorf returns an error naming the command and the argument.
func (a *cmdArgs) errorf(arg, format string, args ...interface{}) error {
	return fmt.Errorf("%s: argument %q: %s", a.cmd, arg, fmt.Sprintf(format, args...))
}

// keyed returns the values of key=..., if present.
func (a *cmdArgs) keyed(key string) ([]string, bool) {
	for i, arg := range a.list {
		if arg.Key == key && len(arg.Vals) > 0 {
			a.used[i] = true
			return arg.Vals, true
		}
	}
	return nil, false
}

// single returns the one value of key=..., if present.
func (a *cmdArgs) single(key string) (string, bool, error) {
	vals, ok := a.keyed(key)
	if !ok {
		return "", false, nil
	}
	if len(vals) != 1 {
		return "", false, a.errorf(key, "want one value, got %d", len(vals))
	}
	return vals[0], true, nil
}

// uint64Arg sets *dst from key=<n>, if present.
func (a *cmdArgs) uint64Arg(key string, dst *uint64) error {
	s, ok, err := a.single(key)
	if !ok || err != nil {
		return err
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return a.errorf(key, "want a non-negative integer, got %q", s)
	}
	*dst = v
	return nil
}

// intArg sets *dst from key=<n>, if present.
func (a *cmdArgs) intArg(key string, dst *int) error {
	s, ok, err := a.single(key)
	if !ok || err != nil {
		return err
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return a.errorf(key, "want an integer, got %q", s)
	}
	*dst = v
	return nil
}

// boolArg sets *dst from key=<true|false>, if present.
func (a *cmdArgs) boolArg(key string, dst *bool) error {
	s, ok, err := a.single(key)
	if !ok || err != nil {
		return err
	}
	v, err := strconv.ParseBool(s)
	if err != nil {
		return a.errorf(key, "want true or false, got %q", s)
	}
	*dst = v
	return nil
}

// stringArg sets *dst from key=<s>, if present, and reports whether it was.
func (a *cmdArgs) stringArg(key string, dst *string) (bool, error) {
	s, ok, err := a.single(key)
	if !ok || err != nil {
		return false, err
	}
	*dst = s
	return true, nil
}

// idsArg returns the node IDs of key=(1,2,3), if present.
func (a *cmdArgs) idsArg(key string) ([]uint64, error) {
	vals, ok := a.keyed(key)
	if !ok {
		return nil, nil
	}
	ids := make([]uint64, len(vals))
	for i, s := range vals {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil || id == 0 {
			return nil, a.errorf(key, "want node IDs, got %q", s)
		}
		ids[i] = id
	}
	return ids, nil
}

// positional returns the arguments without "=", in order.
func (a *cmdArgs) positional() []string {
	var out []string
	for i, arg := range a.list {
		if len(arg.Vals) == 0 {
			a.used[i] = true
			out = append(out, arg.Key)
		}
	}
	return out
}

// positionalIDs returns the positional arguments as node IDs.
func (a *cmdArgs) positionalIDs() ([]uint64, error) {
	var ids []uint64
	for _, s := range a.positional() {
		id, err := strconv.ParseUint(s, 10, 64)
		if err != nil || id == 0 {
			return nil, a.errorf(s, "want a node ID")
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// oneID returns the single positional node ID.
func (a *cmdArgs) oneID() (uint64, error) {
	ids, err := a.positionalIDs()
	if err != nil {
		return 0, err
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("%s: want exactly one node ID, got %d", a.cmd, len(ids))
	}
	return ids[0], nil
}

// someIDs returns at least one positional node ID.
func (a *cmdArgs) someIDs() ([]uint64, error) {
	ids, err := a.positionalIDs()
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("%s: want at least one node ID", a.cmd)
	}
	return ids, nil
}

// finish fails on any argument that no getter read.
func (a *cmdArgs) finish() error {
	for i, arg := range a.list {
		if !a.used[i] {
			return a.errorf(arg.String(), "unknown argument")
		}
	}
	return nil
}
