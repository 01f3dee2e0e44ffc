package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/raftcore/raft/example/kv"
)

// errorRecorder collects Errorf calls instead of failing the test.
type errorRecorder struct {
	testing.TB
	errs []string
}

func (r *errorRecorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestCheckTracesDetects checks the checker: each damaged set of traces
// or history must be reported, and the good one must pass. It starts no
// processes.
func TestCheckTracesDetects(t *testing.T) {
	put := func(i uint64, k, v string) kv.TraceRecord {
		return kv.TraceRecord{Index: i, Term: 2, Kind: "put", Key: k, Value: v}
	}
	n1 := []kv.TraceRecord{{Index: 1, Term: 1, Kind: "conf"}, {Index: 2, Term: 2, Kind: "noop"}, put(3, "a", "a1"), put(4, "a", "a2")}
	n2 := []kv.TraceRecord{{Index: 1, Term: 1, Kind: "conf"}, {Index: 4, Kind: "snapshot"}, put(5, "b", "b1")}
	with := func(recs []kv.TraceRecord, more ...kv.TraceRecord) []kv.TraceRecord {
		return append(append([]kv.TraceRecord{}, recs...), more...)
	}
	history := map[string][]string{"a": {"a1", "a2"}, "b": {"b1"}}
	for name, c := range map[string]struct {
		traces  [][]kv.TraceRecord
		history map[string][]string
		want    string
	}{
		"good":            {[][]kv.TraceRecord{n1, n2}, history, ""},
		"nodes disagree":  {[][]kv.TraceRecord{n1, with(n2, put(3, "a", "a2"))}, history, "was applied there too"},
		"gap":             {[][]kv.TraceRecord{n1[:2], n2}, history, "no node's trace has index 3"},
		"applied twice":   {[][]kv.TraceRecord{n1, with(n2, put(6, "a", "a2"))}, history, "applied twice"},
		"never attempted": {[][]kv.TraceRecord{n1, with(n2, put(6, "b", "zz"))}, history, "never attempted"},
		"acked missing":   {[][]kv.TraceRecord{n1, n2}, map[string][]string{"a": {"a1", "a2", "a3"}, "b": {"b1"}}, "was never applied"},
		"out of order":    {[][]kv.TraceRecord{n1, n2}, map[string][]string{"a": {"a2", "a1"}, "b": {"b1"}}, "before an earlier acknowledged one"},
		"lost update":     {[][]kv.TraceRecord{n1, with(n2, put(6, "a", "a0"))}, map[string][]string{"a": {"a1", "a2"}, "b": {"b1"}}, ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			cl := &cluster{procs: map[uint64]*proc{}}
			for i, recs := range c.traces {
				p := &proc{id: uint64(i + 1), trace: filepath.Join(dir, fmt.Sprintf("trace%d", i))}
				var buf strings.Builder
				for _, r := range recs {
					line, _ := json.Marshal(r)
					buf.Write(append(line, '\n'))
				}
				if err := os.WriteFile(p.trace, []byte(buf.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				cl.procs[p.id] = p
			}
			w := &workload{history: c.history, attempted: map[string]string{}}
			for k, vals := range c.history {
				for _, v := range vals {
					w.attempted[v] = k
				}
			}
			w.attempted["a0"] = "a" // attempted, never acknowledged
			rec := &errorRecorder{TB: t}
			checkTraces(rec, cl, w)
			got := strings.Join(rec.errs, "\n")
			if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
				t.Errorf("checker reported %q, want a report containing %q", got, c.want)
			}
		})
	}
}
