package kv

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
)

// TraceRecord is one line of the apply trace (Config.ApplyTrace): what the
// node applied at a log index. Kind is "put", "delete", "noop" (an empty
// entry, such as a new leader's), "conf" (a configuration change; Key
// describes it) or "snapshot" (the state was replaced by a snapshot taken
// at Index).
//
// Key and Value are JSON strings, so bytes that are not valid UTF-8 are
// replaced; the trace is a debugging and testing aid, not a backup.
type TraceRecord struct {
	Index uint64 `json:"index"`
	Term  uint64 `json:"term"`
	Kind  string `json:"kind"`
	ID    uint64 `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Value string `json:"value,omitempty"`
}

// tracer appends TraceRecords to a file, one JSON object per line, each
// with a single write call: a process killed at any point leaves at most a
// torn last line, which ReadTrace skips. The file is never fsynced (a
// machine crash may lose its tail) and is appended to across restarts, so
// entries replayed after a restart appear again with the same index.
type tracer struct {
	f *os.File
}

func openTracer(path string) (*tracer, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("kv: opening apply trace: %w", err)
	}
	return &tracer{f: f}, nil
}

// record writes rec. A nil tracer records nothing.
func (t *tracer) record(rec TraceRecord) error {
	if t == nil {
		return nil
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	_, err = t.f.Write(append(line, '\n'))
	return err
}

func (t *tracer) close() error {
	if t == nil {
		return nil
	}
	return t.f.Close()
}

// ReadTrace reads an apply trace file. A last line without its newline
// (cut short by a crash) is ignored; any other undecodable line is an
// error.
func ReadTrace(path string) ([]TraceRecord, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if i := bytes.LastIndexByte(data, '\n'); i+1 < len(data) {
		data = data[:i+1]
	}
	var out []TraceRecord
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 8<<20)
	for line := 1; sc.Scan(); line++ {
		var rec TraceRecord
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		out = append(out, rec)
	}
	return out, sc.Err()
}
