package transport

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	pb "github.com/raftcore/raft/raftpb"
)

// Paths of the two endpoints, relative to where Handler is mounted.
const (
	messagePath  = "/message"
	snapshotPath = "/snapshot"
)

// Request headers. The body alone is authoritative; X-Raft-From only
// helps logs on the receiving side.
const (
	contentTypeBatch    = "application/x-raftcore-batch"
	contentTypeSnapshot = "application/x-raftcore-message"
	headerFrom          = "X-Raft-From"
)

// frameSize is the encoded size of a frame holding a message of size
// bytes: the uvarint length prefix plus the message.
func frameSize(size int) int {
	return uvarintLen(uint64(size)) + size
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// encodeBatch frames msgs, whose encoded sizes are sizes and whose frames
// add up to total bytes, into one buffer.
func encodeBatch(msgs []pb.Message, sizes []int, total int) []byte {
	buf := make([]byte, total)
	off := 0
	for i := range msgs {
		off += binary.PutUvarint(buf[off:], uint64(sizes[i]))
		// MarshalToSizedBuffer fills exactly the slice it is given, from
		// the end; sizes[i] came from Size, so it fits exactly.
		n, err := msgs[i].MarshalToSizedBuffer(buf[off : off+sizes[i]])
		if err != nil || n != sizes[i] {
			// Generated marshalling of a value type cannot fail; a size
			// mismatch would mean the message changed after Send.
			panic(fmt.Sprintf("transport: encoding %s to %x: %d of %d bytes, %v",
				msgs[i].Type, msgs[i].To, n, sizes[i], err))
		}
		off += sizes[i]
	}
	return buf
}

// errBadPrefix is the cause of a frame whose length prefix cannot be read.
var errBadPrefix = errors.New("malformed length prefix")

// decodeBatch splits a batch body into its messages. It never panics and
// never allocates more than the body's size for frames: a length prefix is
// checked against the bytes that remain before it is used.
func decodeBatch(body []byte) ([]pb.Message, error) {
	var msgs []pb.Message
	for off := 0; off < len(body); {
		n, k := binary.Uvarint(body[off:])
		if k <= 0 {
			return nil, fmt.Errorf("frame %d at byte %d: %w", len(msgs), off, errBadPrefix)
		}
		off += k
		if n > uint64(len(body)-off) {
			return nil, fmt.Errorf("frame %d at byte %d: length %d exceeds the %d bytes left",
				len(msgs), off-k, n, len(body)-off)
		}
		var m pb.Message
		if err := m.Unmarshal(body[off : off+int(n)]); err != nil {
			return nil, fmt.Errorf("frame %d at byte %d: %v", len(msgs), off-k, err)
		}
		msgs = append(msgs, m)
		off += int(n)
	}
	return msgs, nil
}

// decodeSnapshot decodes the body of a snapshot request: one message.
func decodeSnapshot(body []byte) (pb.Message, error) {
	var m pb.Message
	if err := m.Unmarshal(body); err != nil {
		return pb.Message{}, err
	}
	return m, nil
}

// Protobuf keys (field number << 3 | wire type 2, length-delimited) used
// to write a MsgSnap by hand.
const (
	keyMessageSnapshot  = 9<<3 | 2 // Message.Snapshot
	keySnapshotData     = 1<<3 | 2 // Snapshot.Data
	keySnapshotMetadata = 2<<3 | 2 // Snapshot.Metadata
)

// snapshotBody is the encoding of a MsgSnap in three pieces, so that the
// snapshot data, by far the largest part, is streamed from the message's
// own slice instead of being copied into an encoded message:
//
//	head: the message without its Snapshot field, then the key and length
//	      of field 9 (Snapshot), then the key and length of Snapshot.Data
//	data: m.Snapshot.Data itself
//	tail: Snapshot.Metadata as a length-delimited field 2
//
// Field 9 thus comes after fields 10-14. Protobuf decoders accept fields
// in any order, and decoding yields the message that was sent.
type snapshotBody struct {
	head, data, tail []byte
	size             int64
}

func newSnapshotBody(m *pb.Message) *snapshotBody {
	rest := *m
	rest.Snapshot = nil
	head, err := rest.Marshal()
	if err != nil {
		panic(fmt.Sprintf("transport: encoding %s to %x: %v", m.Type, m.To, err))
	}
	if m.Snapshot == nil {
		// Not a well-formed MsgSnap; send it as it is and let the
		// receiver's validation refuse it.
		return &snapshotBody{head: head, size: int64(len(head))}
	}
	snap := m.Snapshot
	meta, err := snap.Metadata.Marshal()
	if err != nil {
		panic(fmt.Sprintf("transport: encoding snapshot metadata to %x: %v", m.To, err))
	}
	inner := 1 + uvarintLen(uint64(len(meta))) + len(meta)
	if snap.Data != nil {
		// A nil Data is left out, so that it decodes as nil again.
		inner += 1 + uvarintLen(uint64(len(snap.Data))) + len(snap.Data)
	}
	head = append(head, keyMessageSnapshot)
	head = binary.AppendUvarint(head, uint64(inner))
	if snap.Data != nil {
		head = append(head, keySnapshotData)
		head = binary.AppendUvarint(head, uint64(len(snap.Data)))
	}
	tail := make([]byte, 0, 1+binary.MaxVarintLen64+len(meta))
	tail = append(tail, keySnapshotMetadata)
	tail = binary.AppendUvarint(tail, uint64(len(meta)))
	tail = append(tail, meta...)
	return &snapshotBody{
		head: head,
		data: snap.Data,
		tail: tail,
		size: int64(len(head) + len(snap.Data) + len(tail)),
	}
}

// reader returns a fresh reader of the whole body.
func (b *snapshotBody) reader() *snapshotReader {
	return &snapshotReader{
		Reader: io.MultiReader(bytes.NewReader(b.head), bytes.NewReader(b.data), bytes.NewReader(b.tail)),
		body:   b,
	}
}

// snapshotReader reads a snapshotBody; post recognises it to set the
// request's length and make it replayable.
type snapshotReader struct {
	io.Reader
	body *snapshotBody
}
