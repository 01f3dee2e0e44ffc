package rafttest

import (
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"
)

// parseCommand turns one directive line into TestData, the way a scenario
// file would.
func parseCommand(t *testing.T, line, input string) datadriven.TestData {
	t.Helper()
	var out datadriven.TestData
	file := line + "\n"
	if input != "" {
		file += input + "\n"
	}
	file += "----\n"
	datadriven.RunTestFromString(t, file, func(t *testing.T, d *datadriven.TestData) string {
		out = *d
		return d.Expected
	})
	return out
}

// TestHandleErrors checks that malformed commands are refused with an
// error naming the command and, where there is one, the argument.
func TestHandleErrors(t *testing.T) {
	for _, tc := range []struct {
		line, input string
		want        []string
	}{
		{line: "no-such-command", want: []string{`unknown command "no-such-command"`}},
		{line: "add-nodes", want: []string{"add-nodes", "number of nodes"}},
		{line: "add-nodes 3 voters=(1,2,3) prevot=true", want: []string{"add-nodes", "prevot", "unknown argument"}},
		{line: "add-nodes 3 voters=(1,2,3) prevote=maybe", want: []string{"add-nodes", `"prevote"`, "true or false"}},
		{line: "add-nodes 3 voters=(1,x)", want: []string{"add-nodes", `"voters"`}},
		{line: "add-nodes 1 voters=(1) read-only=fast", want: []string{"add-nodes", `"read-only"`}},
		{line: "add-nodes 1 voters=(1) read-only=lease", want: []string{"add-nodes", "CheckQuorum"}},
		{line: "campaign 9", want: []string{"no node with ID 9"}},
		{line: "campaign", want: []string{"campaign", "one node ID"}},
		{line: "campaign one", want: []string{"campaign", `"one"`, "node ID"}},
		{line: "deliver-msgs", want: []string{"deliver-msgs"}},
		{line: "deliver-msgs type=MsgNope 1", want: []string{"deliver-msgs", `"type"`, "MsgNope"}},
		{line: "log-level loud", want: []string{"log-level", `"loud"`}},
		{line: "propose 1", want: []string{"propose", "data"}},
		{line: "propose-conf-change 1 transition=sideways", input: "v2", want: []string{"propose-conf-change", `"transition"`}},
		{line: "propose-conf-change 1", input: "x2", want: []string{"propose-conf-change", "input"}},
		{line: "propose-conf-change 1 v1=true", input: "v2 v3", want: []string{"propose-conf-change", "exactly one"}},
		{line: "set-randomized-election-timeout 1 timeout=3", want: []string{"set-randomized-election-timeout", "SetRandomizedElectionTimeout"}},
		{line: "set-randomized-election-timeout 1", want: []string{"set-randomized-election-timeout", `"timeout"`}},
		{line: "transfer-leadership from=1", want: []string{"transfer-leadership", "to="}},
		{line: "report-snapshot 1 2 status=meh", want: []string{"report-snapshot", `"status"`}},
		{line: "compact 1 7", want: []string{"compact", "index 7"}},
		{line: "stabilize 1 extra=1", want: []string{"stabilize", "extra", "unknown argument"}},
		{line: "raft-state 1", want: []string{"raft-state", `"1"`, "unknown argument"}},
	} {
		t.Run(tc.line, func(t *testing.T) {
			env := NewInteractionEnv(nil)
			setup := parseCommand(t, "add-nodes 2 voters=(1,2)", "")
			if err := env.handle(setup); err != nil {
				t.Fatal(err)
			}
			err := env.handle(parseCommand(t, tc.line, tc.input))
			if err == nil {
				t.Fatalf("no error; output:\n%s", env.Output)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestScenarios runs the package's own scenarios, which exercise every
// command (without a hook for election timeouts).
func TestScenarios(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		env := NewInteractionEnv(nil)
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			return env.Handle(t, *d)
		})
	})
}
