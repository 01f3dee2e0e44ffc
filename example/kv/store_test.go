package kv

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

func TestStoreApply(t *testing.T) {
	s := NewStore()
	s.Apply(Command{Op: OpPut, Key: []byte("a"), Value: []byte("1")})
	s.Apply(Command{Op: OpPut, Key: []byte("b"), Value: []byte("2")})
	s.Apply(Command{Op: OpPut, Key: []byte("a"), Value: []byte("3")})
	s.Apply(Command{Op: OpDelete, Key: []byte("b")})
	s.Apply(Command{Op: OpDelete, Key: []byte("never")})
	if v, ok := s.Get("a"); !ok || string(v) != "3" {
		t.Fatalf("a = %q, %v; want 3", v, ok)
	}
	if _, ok := s.Get("b"); ok {
		t.Fatal("b survived its delete")
	}
	if s.Len() != 1 {
		t.Fatalf("Len = %d, want 1", s.Len())
	}
}

func filledStore() *Store {
	s := NewStore()
	for i := range 100 {
		s.Apply(Command{Op: OpPut, Key: fmt.Appendf(nil, "key-%03d", i), Value: bytes.Repeat([]byte{byte(i)}, i)})
	}
	s.Apply(Command{Op: OpPut, Key: []byte("empty"), Value: []byte{}})
	s.Apply(Command{Op: OpPut, Key: []byte{0, 0xff, '/'}, Value: []byte("binary key")})
	s.SetMember(1, "http://127.0.0.1:9001")
	s.SetMember(3, "http://127.0.0.1:9003")
	return s
}

func TestSnapshotRestore(t *testing.T) {
	s := filledStore()
	data := s.Snapshot()
	if !bytes.Equal(data, s.Snapshot()) {
		t.Fatal("two snapshots of the same state differ")
	}
	r := NewStore()
	r.Apply(Command{Op: OpPut, Key: []byte("stale"), Value: []byte("x")})
	r.SetMember(9, "http://old")
	if err := r.Restore(data); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Get("stale"); ok {
		t.Fatal("Restore kept a key that the snapshot does not have")
	}
	if got := r.Snapshot(); !bytes.Equal(got, data) {
		t.Fatal("restored store snapshots differently")
	}
	if v, ok := r.Get("empty"); !ok || len(v) != 0 {
		t.Fatalf("empty value: %q, %v", v, ok)
	}
	if m := r.Members(); len(m) != 2 || m[3] != "http://127.0.0.1:9003" {
		t.Fatalf("members = %v", m)
	}
	// An empty store round-trips too.
	e := NewStore()
	if err := e.Restore(NewStore().Snapshot()); err != nil || e.Len() != 0 {
		t.Fatalf("empty snapshot: %v, %d keys", err, e.Len())
	}
}

func TestRestoreRejectsDamage(t *testing.T) {
	data := filledStore().Snapshot()
	cases := map[string][]byte{
		"empty":       nil,
		"bad magic":   append([]byte("XKVS"), data[4:]...),
		"bad version": append(append([]byte{}, data[:4]...), append([]byte{2}, data[5:]...)...),
		"truncated":   data[:len(data)-10],
	}
	for i := 5; i < len(data); i += 97 {
		flipped := bytes.Clone(data)
		flipped[i] ^= 0x10
		cases[fmt.Sprintf("bit flip at %d", i)] = flipped
	}
	for name, d := range cases {
		s := filledStore()
		before := s.Snapshot()
		if err := s.Restore(d); !errors.Is(err, ErrBadSnapshot) {
			t.Errorf("%s: got %v, want ErrBadSnapshot", name, err)
		}
		if !bytes.Equal(s.Snapshot(), before) {
			t.Errorf("%s: a failed Restore changed the store", name)
		}
	}
}
