package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Record types. The type byte is covered by the checksum, so a flipped type
// is caught like any other damage.
const (
	recSegmentHeader byte = 1 // first record of every segment file
	recEntry         byte = 2 // one raftpb.Entry
	recHardState     byte = 3 // one raftpb.HardState; the last one wins
	recSnapshot      byte = 4 // the only record of a snapshot file
)

// frameHeaderSize is the size of a record's framing: length (4 bytes),
// type (1 byte) and checksum (4 bytes), all little-endian.
const frameHeaderSize = 4 + 1 + 4

// maxPayload bounds a record's payload; the length field is 32 bits.
const maxPayload = math.MaxUint32

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// typeCRC[t] is the CRC-32C of the single byte t, the start of every
// record's checksum (precomputed so that checksumming allocates nothing).
var typeCRC = func() (t [256]uint32) {
	for i := range t {
		t[i] = crc32.Update(0, castagnoli, []byte{byte(i)})
	}
	return t
}()

// checksum is the CRC-32C of the type byte followed by the payload.
func checksum(typ byte, payload []byte) uint32 {
	return crc32.Update(typeCRC[typ], castagnoli, payload)
}

func knownRecordType(typ byte) bool {
	return typ >= recSegmentHeader && typ <= recSnapshot
}

// appendRecord appends the framed record to buf.
func appendRecord(buf []byte, typ byte, payload []byte) []byte {
	var h [frameHeaderSize]byte
	binary.LittleEndian.PutUint32(h[0:4], uint32(len(payload)))
	h[4] = typ
	binary.LittleEndian.PutUint32(h[5:9], checksum(typ, payload))
	buf = append(buf, h[:]...)
	return append(buf, payload...)
}

// marshaler is what the raftpb messages we store have in common.
type marshaler interface {
	Size() int
	MarshalToSizedBuffer([]byte) (int, error)
}

// appendMessageRecord frames a protobuf message without an intermediate
// allocation: the payload is marshaled straight into buf.
func appendMessageRecord(buf []byte, typ byte, m marshaler) ([]byte, error) {
	n := m.Size()
	if uint64(n) > maxPayload {
		return buf, fmt.Errorf("wal: record of %d bytes exceeds the limit of %d", n, uint64(maxPayload))
	}
	start := len(buf)
	buf = append(buf, make([]byte, frameHeaderSize+n)...)
	payload := buf[start+frameHeaderSize:]
	if _, err := m.MarshalToSizedBuffer(payload); err != nil {
		return buf[:start], err
	}
	binary.LittleEndian.PutUint32(buf[start:], uint32(n))
	buf[start+4] = typ
	binary.LittleEndian.PutUint32(buf[start+5:], checksum(typ, payload))
	return buf, nil
}

// errBadFrame is the reason a frame failed to decode; decodeFrame's callers
// turn it into a torn tail or a CorruptError depending on where it is.
var errBadFrame = errors.New("bad record frame")

// decodeFrame decodes the record that starts at buf[0]. It fails when the
// framing is cut short, the length runs past the buffer, the type is unknown
// or the checksum does not match. n is the record's total size.
func decodeFrame(buf []byte) (typ byte, payload []byte, n int, err error) {
	if len(buf) < frameHeaderSize {
		return 0, nil, 0, fmt.Errorf("%w: %d bytes left, a record header needs %d", errBadFrame, len(buf), frameHeaderSize)
	}
	length := binary.LittleEndian.Uint32(buf[0:4])
	typ = buf[4]
	sum := binary.LittleEndian.Uint32(buf[5:9])
	if uint64(length) > uint64(len(buf)-frameHeaderSize) {
		return 0, nil, 0, fmt.Errorf("%w: length %d runs past the end (%d bytes left)", errBadFrame, length, len(buf)-frameHeaderSize)
	}
	if !knownRecordType(typ) {
		return 0, nil, 0, fmt.Errorf("%w: unknown record type %d", errBadFrame, typ)
	}
	payload = buf[frameHeaderSize : frameHeaderSize+int(length)]
	if got := checksum(typ, payload); got != sum {
		return 0, nil, 0, fmt.Errorf("%w: checksum mismatch (stored %08x, computed %08x)", errBadFrame, sum, got)
	}
	return typ, payload, frameHeaderSize + int(length), nil
}

// segmentHeader is the payload of the first record of a segment file.
//
// A header states that the entry at Base-1 has term PrevTerm: the segment
// attaches to the log there. With flagReset it also discards the whole log
// before it, for a snapshot received from the leader (ApplySnapshot); the
// log then restarts at Base.
//
// Invariant: every entry record in the segment has an index >= Base, and a
// segment without flagReset starts with an entry at Base (written in the
// same write as the header).
type segmentHeader struct {
	Flags    uint16
	Seq      uint64 // position in the sequence of segments; consecutive
	Base     uint64 // index of the first entry this segment may hold
	PrevTerm uint64 // term of the entry at Base-1
}

const (
	headerMagic   = "RCWL"
	headerVersion = 1
	headerSize    = 4 + 2 + 2 + 8 + 8 + 8

	// flagReset marks a segment that starts a new log after a snapshot:
	// everything before it is superseded.
	flagReset uint16 = 1
)

func (h segmentHeader) marshal() []byte {
	b := make([]byte, headerSize)
	copy(b[0:4], headerMagic)
	binary.LittleEndian.PutUint16(b[4:6], headerVersion)
	binary.LittleEndian.PutUint16(b[6:8], h.Flags)
	binary.LittleEndian.PutUint64(b[8:16], h.Seq)
	binary.LittleEndian.PutUint64(b[16:24], h.Base)
	binary.LittleEndian.PutUint64(b[24:32], h.PrevTerm)
	return b
}

func unmarshalSegmentHeader(b []byte) (segmentHeader, error) {
	if len(b) != headerSize {
		return segmentHeader{}, fmt.Errorf("segment header of %d bytes, want %d", len(b), headerSize)
	}
	if string(b[0:4]) != headerMagic {
		return segmentHeader{}, fmt.Errorf("bad segment magic %q", b[0:4])
	}
	if v := binary.LittleEndian.Uint16(b[4:6]); v != headerVersion {
		return segmentHeader{}, fmt.Errorf("unsupported segment version %d", v)
	}
	h := segmentHeader{
		Flags:    binary.LittleEndian.Uint16(b[6:8]),
		Seq:      binary.LittleEndian.Uint64(b[8:16]),
		Base:     binary.LittleEndian.Uint64(b[16:24]),
		PrevTerm: binary.LittleEndian.Uint64(b[24:32]),
	}
	if h.Flags&^flagReset != 0 {
		return segmentHeader{}, fmt.Errorf("unknown segment flags %#x", h.Flags)
	}
	if h.Base == 0 {
		return segmentHeader{}, errors.New("segment base index 0")
	}
	return h, nil
}

// File names. Hex digits of fixed width make lexical order numeric order.
const (
	segmentPrefix = "log-"
	segmentSuffix = ".wal"
	snapPrefix    = "snap-"
	snapSuffix    = ".snap"
	tmpSuffix     = ".tmp"
	lockName      = "LOCK"
)

// segmentName is log-<seq>-<base>.wal. The sequence number orders the
// segments; the base (first index the segment may hold) is there for people
// reading a directory listing. Bases are not monotonic in seq: a conflicting
// append that reaches below the current segment's base starts a segment
// with a smaller base.
func segmentName(seq, base uint64) string {
	return fmt.Sprintf("%s%016x-%016x%s", segmentPrefix, seq, base, segmentSuffix)
}

func parseSegmentName(name string) (seq, base uint64, ok bool) {
	return parseTwoHex(name, segmentPrefix, segmentSuffix)
}

// snapName is snap-<term>-<index>.snap.
func snapName(term, index uint64) string {
	return fmt.Sprintf("%s%016x-%016x%s", snapPrefix, term, index, snapSuffix)
}

func parseSnapName(name string) (term, index uint64, ok bool) {
	return parseTwoHex(name, snapPrefix, snapSuffix)
}

func parseTwoHex(name, prefix, suffix string) (a, b uint64, ok bool) {
	base := filepath.Base(name)
	if base != name || !strings.HasPrefix(name, prefix) || !strings.HasSuffix(name, suffix) {
		return 0, 0, false
	}
	mid := strings.TrimSuffix(strings.TrimPrefix(name, prefix), suffix)
	x, y, found := strings.Cut(mid, "-")
	if !found || len(x) != 16 || len(y) != 16 {
		return 0, 0, false
	}
	a, err1 := strconv.ParseUint(x, 16, 64)
	b, err2 := strconv.ParseUint(y, 16, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return a, b, true
}
