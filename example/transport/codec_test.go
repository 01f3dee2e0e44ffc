package transport

import (
	"bytes"
	"encoding/binary"
	"io"
	"reflect"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
)

// A batch is the concatenation of uvarint length + Message.Marshal.
func TestBatchWireFormat(t *testing.T) {
	msgs := []pb.Message{app(1, 2, 5), {Type: pb.MsgHeartbeat, From: 1, To: 2, Term: 3, Context: []byte("rd")}}
	var want []byte
	for i := range msgs {
		b := mustMarshal(msgs[i])
		want = binary.AppendUvarint(want, uint64(len(b)))
		want = append(want, b...)
	}
	got := batch(msgs...)
	if !bytes.Equal(got, want) {
		t.Fatalf("batch\n%x, want\n%x", got, want)
	}
	back, err := decodeBatch(got)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, msgs) {
		t.Fatalf("decoded %+v, want %+v", back, msgs)
	}
}

// A snapshot body decodes to the message sent, whatever its snapshot
// holds, and its data piece is the message's own slice, not a copy.
func TestSnapshotBody(t *testing.T) {
	big := snap(300)
	withAll := snap(5)
	withAll.Entries = []pb.Entry{{Term: 1, Index: 2, Data: []byte("e")}}
	withAll.Context = []byte("ctx")
	withAll.Reject, withAll.RejectHint, withAll.Responses = true, 4, []pb.Message{{Type: pb.MsgAppResp, To: 9}}
	noData := snap(0)
	noData.Snapshot.Data = nil
	emptyData := snap(0)
	noSnap := pb.Message{Type: pb.MsgSnap, From: 1, To: 2}
	for name, m := range map[string]pb.Message{
		"big": big, "all fields": withAll, "nil data": noData, "empty data": emptyData, "no snapshot": noSnap,
	} {
		t.Run(name, func(t *testing.T) {
			b := newSnapshotBody(&m)
			body, err := io.ReadAll(b.reader())
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(body)) != b.size {
				t.Fatalf("%d bytes, size says %d", len(body), b.size)
			}
			got, err := decodeSnapshot(body)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("decoded\n%+v\nwant\n%+v", got, m)
			}
			if m.Snapshot != nil && len(m.Snapshot.Data) > 0 && &b.data[0] != &m.Snapshot.Data[0] {
				t.Fatal("snapshot data was copied")
			}
		})
	}
}

// FuzzDecodeBatch checks that decoding any body neither panics nor
// misreads: what decodes re-encodes to a body that decodes the same.
func FuzzDecodeBatch(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01})
	f.Add(batch(app(1, 2, 3)))
	f.Add(batch(app(1, 2, 3), pb.Message{Type: pb.MsgHeartbeat, From: 1, To: 2, Context: []byte("x")}))
	f.Add(batch(pb.Message{Type: pb.MsgAppResp, Responses: []pb.Message{{Type: pb.MsgApp}}}))
	f.Add(batch(snap(8)))
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, err := decodeBatch(body)
		if err != nil {
			return
		}
		again, err := decodeBatch(batch(msgs...))
		if err != nil {
			t.Fatalf("re-encoded batch does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, msgs) {
			t.Fatalf("round trip changed the batch:\n%+v\n%+v", msgs, again)
		}
	})
}

// FuzzDecodeSnapshot does the same for the body of a snapshot request.
func FuzzDecodeSnapshot(f *testing.F) {
	f.Add([]byte{})
	f.Add(mustMarshal(snap(16)))
	m := snap(16)
	body, _ := io.ReadAll(newSnapshotBody(&m).reader())
	f.Add(body)
	f.Fuzz(func(t *testing.T, body []byte) {
		msgs, err := decodeSnapshotRequest(body)
		if err != nil {
			return
		}
		enc, err := io.ReadAll(newSnapshotBody(&msgs[0]).reader())
		if err != nil {
			t.Fatal(err)
		}
		again, err := decodeSnapshotRequest(enc)
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
		if !reflect.DeepEqual(again, msgs) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", msgs, again)
		}
	})
}
