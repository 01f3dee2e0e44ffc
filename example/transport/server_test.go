package transport

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	pb "github.com/raftcore/raft/raftpb"
)

// post sends body to path on n's handler and returns the status and text
// of the answer.
func post(t *testing.T, n *node, path string, body []byte) (int, string) {
	t.Helper()
	resp, err := http.Post(n.url+path, contentTypeBatch, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(text)
}

// batch encodes msgs as a batch body.
func batch(msgs ...pb.Message) []byte {
	var sizes []int
	total := 0
	for i := range msgs {
		sizes = append(sizes, msgs[i].Size())
		total += frameSize(sizes[i])
	}
	return encodeBatch(msgs, sizes, total)
}

// Bodies that are not batches for this node are refused with a status
// and a reason, nothing of them is stepped, and the node keeps serving.
func TestReceiveRefusesBadRequests(t *testing.T) {
	n := newNode(t, 2, func(c *Config) { c.MaxBatchBodyBytes = 1 << 10 })
	good := app(1, 2, 7)
	goodFrame := batch(good)
	huge := binary.AppendUvarint(nil, 1<<62)
	snapBody, _ := (&pb.Message{Type: pb.MsgSnap, From: 1, To: 3,
		Snapshot: &pb.Snapshot{Data: []byte("x")}}).Marshal()
	for _, tc := range []struct {
		name, path string
		body       []byte
		status     int
		text       string
	}{
		{"garbage", "/message", []byte("this is not protobuf at all"), 400, "undecodable body"},
		{"truncated prefix", "/message", []byte{0xff}, 400, "malformed length prefix"},
		{"prefix beyond body", "/message", append(huge, 1, 2, 3), 400, "exceeds the 3 bytes left"},
		{"truncated frame", "/message", goodFrame[:len(goodFrame)-1], 400, "exceeds"},
		{"good then garbage", "/message", append(batch(good), 3, 0xff, 0xff, 0xff), 400, "frame 1"},
		{"wrong To", "/message", batch(good, app(1, 3, 8)), 400, "message 1: wrong cluster member: addressed to node 3, this is node 2"},
		{"no sender", "/message", batch(app(0, 2, 1)), 400, "no sender"},
		{"local type", "/message", batch(pb.Message{Type: pb.MsgStorageAppendResp, From: 1, To: 2}), 400, "local"},
		{"unknown type", "/message", batch(pb.Message{Type: 99, From: 1, To: 2}), 400, "unknown message type 99"},
		{"snapshot without data", "/message", batch(pb.Message{Type: pb.MsgSnap, From: 1, To: 2}), 400, "without a snapshot"},
		{"too large", "/message", make([]byte, 2<<10), 413, "limit of 1024 bytes"},
		{"snapshot endpoint, garbage", "/snapshot", []byte{0x08, 0x80}, 400, "undecodable"},
		{"snapshot endpoint, not MsgSnap", "/snapshot", mustMarshal(good), 400, "got MsgApp, want MsgSnap"},
		{"snapshot endpoint, wrong To", "/snapshot", snapBody, 400, "wrong cluster member"},
		{"unknown endpoint", "/other", nil, 404, "unknown endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, text := post(t, n, tc.path, tc.body)
			if status != tc.status || !strings.Contains(text, tc.text) {
				t.Fatalf("got %d %q, want %d containing %q", status, text, tc.status, tc.text)
			}
		})
	}
	n.rec.expectNoMsg(t, 0)

	resp, err := http.Get(n.url + "/message")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "POST" {
		t.Fatalf("GET: %s, Allow %q", resp.Status, resp.Header.Get("Allow"))
	}

	// Still serving, and an empty batch is fine.
	if status, text := post(t, n, "/message", nil); status != http.StatusNoContent {
		t.Fatalf("empty batch: %d %s", status, text)
	}
	if status, text := post(t, n, "/message", goodFrame); status != http.StatusNoContent {
		t.Fatalf("good batch: %d %s", status, text)
	}
	if m := n.rec.expectMsgs(t, 1)[0]; m.Index != 7 {
		t.Fatalf("got index %d", m.Index)
	}
}

// Random bodies are answered, never panicked on.
func TestReceiveRandomBodies(t *testing.T) {
	n := newNode(t, 2, nil)
	rng := rand.New(rand.NewPCG(1, 2))
	good := batch(app(1, 2, 1), app(1, 2, 2))
	for i := range 200 {
		var body []byte
		if i%2 == 0 {
			body = make([]byte, rng.IntN(64))
			for j := range body {
				body[j] = byte(rng.Uint32())
			}
		} else { // flip a byte of a good batch
			body = bytes.Clone(good)
			body[rng.IntN(len(body))] ^= byte(1 + rng.IntN(255))
		}
		for _, path := range []string{"/message", "/snapshot"} {
			status, text := post(t, n, path, body)
			if status != http.StatusBadRequest && status != http.StatusNoContent {
				t.Fatalf("body %x to %s: %d %s", body, path, status, text)
			}
		}
	}
}

func mustMarshal(m pb.Message) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(err)
	}
	return b
}
