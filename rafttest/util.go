package rafttest

import "fmt"

// oneNode reads the single node ID of a command, checks that no other
// argument was given, and returns the node.
func (env *InteractionEnv) oneNode(a *cmdArgs) (*Node, error) {
	id, err := a.oneID()
	if err != nil {
		return nil, err
	}
	if err := a.finish(); err != nil {
		return nil, err
	}
	return env.node(id)
}

// fromTo reads the two positional node IDs of commands like
// report-unreachable 1 2.
func (env *InteractionEnv) fromTo(a *cmdArgs) (*Node, uint64, error) {
	ids, err := a.positionalIDs()
	if err != nil {
		return nil, 0, err
	}
	if len(ids) != 2 {
		return nil, 0, fmt.Errorf("%s: want two node IDs, got %d", a.cmd, len(ids))
	}
	n, err := env.node(ids[0])
	if err != nil {
		return nil, 0, err
	}
	return n, ids[1], nil
}

// printErr prints an error returned by the node, if any. Such errors are
// behaviour under test (a dropped proposal), not failures of the scenario.
func (env *InteractionEnv) printErr(err error) {
	if err != nil {
		env.Output.Printf("error: %v\n", err)
	}
}

// parseID parses a node ID given as a positional argument.
func parseID(a *cmdArgs, s string) (uint64, error) {
	var id uint64
	if _, err := fmt.Sscan(s, &id); err != nil || id == 0 {
		return 0, a.errorf(s, "want a node ID")
	}
	return id, nil
}

// nodeAndText parses the positional arguments "<id> <text>" shared by
// commands such as propose and read-index; what names the text in errors.
func (env *InteractionEnv) nodeAndText(a *cmdArgs, what string) (*Node, []byte, error) {
	pos := a.positional()
	if err := a.finish(); err != nil {
		return nil, nil, err
	}
	if len(pos) != 2 {
		return nil, nil, fmt.Errorf("%s: want a node ID and %s, got %d positional arguments", a.cmd, what, len(pos))
	}
	id, err := parseID(a, pos[0])
	if err != nil {
		return nil, nil, err
	}
	n, err := env.node(id)
	if err != nil {
		return nil, nil, err
	}
	return n, []byte(pos[1]), nil
}
