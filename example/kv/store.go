package kv

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"sync"
)

// Store is the replicated state machine: the key-value map and the
// addresses of the cluster's members (which travel in snapshots, so that a
// node restored from one knows whom to talk to). The raft loop is its only
// writer; HTTP handlers read it concurrently for stale reads.
type Store struct {
	mu      sync.RWMutex
	data    map[string][]byte
	members map[uint64]string // member ID -> base URL
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{data: map[string][]byte{}, members: map[uint64]string{}}
}

// Get returns the value of key and whether it is present. The value must
// not be modified.
func (s *Store) Get(key string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	v, ok := s.data[key]
	return v, ok
}

// Len returns the number of keys.
func (s *Store) Len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.data)
}

// Apply executes a command. The store keeps c.Value (it aliases the raft
// entry, which nobody modifies).
func (s *Store) Apply(c Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch c.Op {
	case OpPut:
		s.data[string(c.Key)] = c.Value
	case OpDelete:
		delete(s.data, string(c.Key))
	}
}

// SetMember records the address of member id.
func (s *Store) SetMember(id uint64, url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[id] = url
}

// RemoveMember forgets member id.
func (s *Store) RemoveMember(id uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.members, id)
}

// Members returns a copy of the member addresses.
func (s *Store) Members() map[uint64]string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make(map[uint64]string, len(s.members))
	for id, u := range s.members {
		out[id] = u
	}
	return out
}

// snapshotMagic starts every encoded snapshot; the byte after it is the
// format version.
const (
	snapshotMagic   = "RKVS"
	snapshotVersion = 1
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Snapshot encodes the whole store. The encoding is deterministic (members
// by ID, keys in byte order), so two nodes with the same state produce the
// same bytes:
//
//	"RKVS" version(1)
//	uvarint members, then per member: uvarint id, uvarint len, url
//	uvarint keys,    then per key:    uvarint len, key, uvarint len, value
//	CRC-32C (Castagnoli) of all the above, 4 bytes little-endian
func (s *Store) Snapshot() []byte {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ids := make([]uint64, 0, len(s.members))
	for id := range s.members {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	keys := make([]string, 0, len(s.data))
	size := len(snapshotMagic) + 1 + 2*binary.MaxVarintLen64 + 4
	for k, v := range s.data {
		keys = append(keys, k)
		size += len(k) + len(v) + 2*binary.MaxVarintLen64
	}
	slices.Sort(keys)

	buf := make([]byte, 0, size)
	buf = append(buf, snapshotMagic...)
	buf = append(buf, snapshotVersion)
	buf = binary.AppendUvarint(buf, uint64(len(ids)))
	for _, id := range ids {
		buf = binary.AppendUvarint(buf, id)
		buf = appendBytes(buf, []byte(s.members[id]))
	}
	buf = binary.AppendUvarint(buf, uint64(len(keys)))
	for _, k := range keys {
		buf = appendBytes(buf, []byte(k))
		buf = appendBytes(buf, s.data[k])
	}
	return binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, castagnoli))
}

func appendBytes(buf, b []byte) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(b)))
	return append(buf, b...)
}

// ErrBadSnapshot is matched (errors.Is) by every error of Restore.
var ErrBadSnapshot = errors.New("kv: malformed snapshot")

// Restore replaces the store's whole state with an encoded snapshot. On
// error the store is unchanged. The restored values alias data.
func (s *Store) Restore(data []byte) error {
	members, kvs, err := decodeSnapshot(data)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members, s.data = members, kvs
	return nil
}

func decodeSnapshot(data []byte) (map[uint64]string, map[string][]byte, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadSnapshot}, args...)...)
	}
	hdr := len(snapshotMagic) + 1
	if len(data) < hdr+4 || !bytes.Equal(data[:len(snapshotMagic)], []byte(snapshotMagic)) {
		return nil, nil, bad("missing header (%d bytes)", len(data))
	}
	if v := data[len(snapshotMagic)]; v != snapshotVersion {
		return nil, nil, bad("unknown version %d", v)
	}
	body, sum := data[:len(data)-4], binary.LittleEndian.Uint32(data[len(data)-4:])
	if got := crc32.Checksum(body, castagnoli); got != sum {
		return nil, nil, bad("checksum %08x, want %08x", got, sum)
	}
	r := reader{buf: body[hdr:]}
	n := r.uvarint()
	members := map[uint64]string{}
	for i := uint64(0); i < n && r.err == nil; i++ {
		id := r.uvarint()
		members[id] = string(r.bytes())
	}
	n = r.uvarint()
	kvs := make(map[string][]byte, min(n, uint64(len(body))))
	for i := uint64(0); i < n && r.err == nil; i++ {
		k := string(r.bytes())
		kvs[k] = r.bytes()
	}
	if r.err != nil {
		return nil, nil, bad("%v", r.err)
	}
	if len(r.buf) != 0 {
		return nil, nil, bad("%d trailing bytes", len(r.buf))
	}
	return members, kvs, nil
}

// reader decodes uvarints and length-prefixed byte strings, remembering
// the first error.
type reader struct {
	buf []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.err = errors.New("truncated or overlong uvarint")
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) bytes() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.buf)) {
		r.err = fmt.Errorf("length %d beyond the %d bytes left", n, len(r.buf))
		return nil
	}
	b := r.buf[:n:n]
	r.buf = r.buf[n:]
	return b
}
