package transport

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// Handler returns the receiving side, to be mounted on the node's HTTP
// server at the path its peers were given, for example
//
//	mux.Handle("/raft/", tr.Handler()) // peers use "http://host:port/raft"
//
// It serves POST .../message (a batch) and POST .../snapshot (one
// MsgSnap), dispatching on the last element of the request path, so it
// works with or without http.StripPrefix. See the package documentation
// for the wire format and the status codes.
func (t *Transport) Handler() http.Handler {
	return http.HandlerFunc(t.serveHTTP)
}

func (t *Transport) serveHTTP(w http.ResponseWriter, r *http.Request) {
	var limit int64
	var decode func([]byte) ([]pb.Message, error)
	switch "/" + path.Base(r.URL.Path) {
	case messagePath:
		limit, decode = t.cfg.MaxBatchBodyBytes, decodeBatch
	case snapshotPath:
		limit, decode = t.cfg.MaxSnapshotBodyBytes, decodeSnapshotRequest
	default:
		http.Error(w, "transport: unknown endpoint "+r.URL.Path, http.StatusNotFound)
		return
	}
	if t.ctx.Err() != nil {
		http.Error(w, "transport: stopped", http.StatusServiceUnavailable)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "transport: only POST is allowed", http.StatusMethodNotAllowed)
		return
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			t.refused(r, err)
			http.Error(w, fmt.Sprintf("transport: body exceeds the limit of %d bytes", limit),
				http.StatusRequestEntityTooLarge)
			return
		}
		// The peer went away or the connection broke: nobody is there to
		// read an answer, but send one anyway.
		http.Error(w, "transport: reading body: "+err.Error(), http.StatusBadRequest)
		return
	}
	msgs, err := decode(body)
	if err != nil {
		t.refused(r, err)
		http.Error(w, "transport: undecodable body: "+err.Error(), http.StatusBadRequest)
		return
	}
	// Check every message before stepping any, so that a bad request is
	// refused as a whole.
	for i := range msgs {
		if err := t.validate(&msgs[i]); err != nil {
			t.refused(r, err)
			http.Error(w, fmt.Sprintf("transport: message %d: %v", i, err), http.StatusBadRequest)
			return
		}
	}
	for i := range msgs {
		if err := t.cfg.Handler.Process(r.Context(), msgs[i]); err != nil {
			t.cfg.Logger.Warningf("%x: processing %s from %x: %v", t.cfg.ID, msgs[i].Type, msgs[i].From, err)
			http.Error(w, fmt.Sprintf("transport: message %d not processed: %v", i, err),
				http.StatusServiceUnavailable)
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// refused logs a request refused for its content: most likely a peer
// that is misconfigured (wrong member at an address, limits too small)
// rather than a network fault, so operators should hear of it.
func (t *Transport) refused(r *http.Request, err error) {
	t.cfg.Logger.Warningf("%x: refused %s from %s (%s %s): %v", t.cfg.ID, r.URL.Path,
		r.RemoteAddr, headerFrom, r.Header.Get(headerFrom), err)
}

// readBody reads the whole request body, refusing more than limit bytes.
// When the length is announced, the buffer is allocated once at that size.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	body := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength < 0 {
		return io.ReadAll(body)
	}
	buf := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(body, buf); err != nil {
		return nil, err
	}
	return buf, nil
}

// decodeSnapshotRequest decodes the body of a snapshot request, which must
// hold a MsgSnap.
func decodeSnapshotRequest(body []byte) ([]pb.Message, error) {
	m, err := decodeSnapshot(body)
	if err != nil {
		return nil, err
	}
	if m.Type != pb.MsgSnap {
		return nil, fmt.Errorf("snapshot endpoint got %s, want MsgSnap", m.Type)
	}
	return []pb.Message{m}, nil
}

// validate refuses messages that no peer of this node may send: to
// another node (a peer that has the wrong member at this address), from
// no one, of an unknown type, or of a type that never leaves a node (a
// storage response from the network could make the node believe entries
// are durable).
func (t *Transport) validate(m *pb.Message) error {
	if m.To != t.cfg.ID {
		return fmt.Errorf("wrong cluster member: addressed to node %x, this is node %x", m.To, t.cfg.ID)
	}
	if m.From == raft.None {
		return fmt.Errorf("%s has no sender", m.Type)
	}
	if _, ok := pb.MessageType_name[int32(m.Type)]; !ok {
		return fmt.Errorf("unknown message type %d", m.Type)
	}
	if raft.IsLocalMsg(m.Type) {
		return fmt.Errorf("%s is local to a node and cannot come from the network", m.Type)
	}
	if m.Type == pb.MsgSnap && m.Snapshot == nil {
		return fmt.Errorf("MsgSnap without a snapshot")
	}
	return nil
}
