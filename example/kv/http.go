package kv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/raftcore/raft"
	pb "github.com/raftcore/raft/raftpb"
)

// maxJSONBody bounds the body of the JSON requests (members, leader).
const maxJSONBody = 64 << 10

// Handler returns the node's HTTP handler: the client API (see the
// package documentation) and the raft transport under /raft/.
func (n *Node) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/raft/", n.tr.Handler())
	api := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if n.draining.Load() {
				httpError(w, http.StatusServiceUnavailable, "node %d is shutting down", n.cfg.ID)
				return
			}
			h(w, r)
		})
	}
	api("GET /kv/{key...}", n.handleGet)
	api("PUT /kv/{key...}", n.handlePut)
	api("DELETE /kv/{key...}", n.handleDelete)
	api("GET /members", n.handleListMembers)
	api("POST /members", n.handleAddMember)
	api("DELETE /members/{id}", n.handleRemoveMember)
	api("POST /leader", n.handleTransferLeader)
	api("GET /status", n.handleStatus)
	return mux
}

// httpError answers with a one-line plain-text message.
func httpError(w http.ResponseWriter, code int, format string, args ...any) {
	http.Error(w, fmt.Sprintf(format, args...), code)
}

// writeJSON answers with v as indented JSON.
func writeJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		httpError(w, http.StatusInternalServerError, "encoding the answer: %v", err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(body, '\n'))
}

// raftError answers a request that raft could not complete.
func (n *Node) raftError(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, ErrNotMember):
		httpError(w, http.StatusGone, "node %d is not a member of the cluster (removed, or not yet added); ask another node", n.cfg.ID)
	case errors.Is(err, ErrTimeout):
		httpError(w, http.StatusServiceUnavailable, "%s: timed out after %v (no quorum or no leader?); a write may still be applied", what, n.cfg.RequestTimeout)
	case errors.Is(err, raft.ErrProposalDropped):
		httpError(w, http.StatusServiceUnavailable, "%s: dropped by raft (no leader known, or a leadership transfer is in progress); retry", what)
	case errors.Is(err, ErrStopped):
		httpError(w, http.StatusServiceUnavailable, "%s: node %d is shutting down", what, n.cfg.ID)
	default:
		httpError(w, http.StatusServiceUnavailable, "%s: %v", what, err)
	}
}

// key validates the {key} of a /kv/ request.
func (n *Node) key(w http.ResponseWriter, r *http.Request) (string, bool) {
	k := r.PathValue("key")
	switch {
	case k == "":
		httpError(w, http.StatusBadRequest, "empty key: use /kv/{key}")
		return "", false
	case len(k) > MaxKeySize:
		httpError(w, http.StatusBadRequest, "key of %d bytes exceeds the limit of %d bytes", len(k), MaxKeySize)
		return "", false
	}
	return k, true
}

func (n *Node) handleGet(w http.ResponseWriter, r *http.Request) {
	k, ok := n.key(w, r)
	if !ok {
		return
	}
	stale := false
	if s := r.URL.Query().Get("stale"); s != "" {
		var err error
		if stale, err = strconv.ParseBool(s); err != nil {
			httpError(w, http.StatusBadRequest, "bad stale=%q: want true or false", s)
			return
		}
	}
	var v []byte
	var found bool
	if stale {
		v, found = n.store.Get(k)
	} else {
		ctx, cancel := n.requestContext(r.Context())
		defer cancel()
		var err error
		if v, found, err = n.Read(ctx, k); err != nil {
			n.raftError(w, "read", err)
			return
		}
	}
	if !found {
		httpError(w, http.StatusNotFound, "key %q not found", k)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(v)))
	w.Write(v)
}

func (n *Node) handlePut(w http.ResponseWriter, r *http.Request) {
	k, ok := n.key(w, r)
	if !ok {
		return
	}
	limit := n.cfg.MaxValueSize
	tooBig := func(size string) {
		httpError(w, http.StatusRequestEntityTooLarge, "value of %s bytes exceeds the limit of %d bytes", size, limit)
	}
	if r.ContentLength > int64(limit) {
		tooBig(strconv.FormatInt(r.ContentLength, 10))
		return
	}
	v, err := io.ReadAll(io.LimitReader(r.Body, int64(limit)+1))
	if err != nil {
		httpError(w, http.StatusBadRequest, "reading the value: %v", err)
		return
	}
	if len(v) > limit {
		tooBig("more than " + strconv.Itoa(limit))
		return
	}
	n.write(w, r, Command{Op: OpPut, Key: []byte(k), Value: v})
}

func (n *Node) handleDelete(w http.ResponseWriter, r *http.Request) {
	if k, ok := n.key(w, r); ok {
		n.write(w, r, Command{Op: OpDelete, Key: []byte(k)})
	}
}

// write proposes c and answers 204 once this node applied it, with the
// entry's index in X-Raft-Index.
func (n *Node) write(w http.ResponseWriter, r *http.Request, c Command) {
	ctx, cancel := n.requestContext(r.Context())
	defer cancel()
	index, err := n.Propose(ctx, c)
	if err != nil {
		n.raftError(w, c.Op.String(), err)
		return
	}
	w.Header().Set("X-Raft-Index", strconv.FormatUint(index, 10))
	w.WriteHeader(http.StatusNoContent)
}

func (n *Node) handleListMembers(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"members": n.Members()})
}

// decodeJSON decodes a small JSON request body into v, strictly: unknown
// fields and trailing data are errors. It answers 400 itself on failure.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("trailing data after the JSON object")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			httpError(w, http.StatusRequestEntityTooLarge, "request body exceeds %d bytes", maxJSONBody)
			return false
		}
		httpError(w, http.StatusBadRequest, "malformed JSON: %v", err)
		return false
	}
	return true
}

// MemberRequest is the body of POST /members.
type MemberRequest struct {
	// ID of the member to add or promote. Required, positive.
	ID uint64 `json:"id"`
	// URL is the member's base URL, e.g. "http://127.0.0.1:9004". Required
	// to add a member; optional to promote a learner.
	URL string `json:"url"`
	// Learner adds the member as a learner. A request without it for an
	// existing learner promotes that learner to voter.
	Learner bool `json:"learner"`
}

// checkURL validates a member URL and returns it without a trailing slash.
func checkURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil {
		return "", fmt.Errorf("bad url %q: %v", s, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		strings.Trim(u.Path, "/") != "" {
		return "", fmt.Errorf("bad url %q: want http(s)://host:port", s)
	}
	return strings.TrimRight(s, "/"), nil
}

func (n *Node) handleAddMember(w http.ResponseWriter, r *http.Request) {
	var req MemberRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.ID == 0 {
		httpError(w, http.StatusBadRequest, "id must be a positive integer")
		return
	}
	if req.URL != "" {
		u, err := checkURL(req.URL)
		if err != nil {
			httpError(w, http.StatusBadRequest, "%v", err)
			return
		}
		req.URL = u
	}
	var existing *Member
	for _, m := range n.Members() {
		if m.ID == req.ID {
			existing = &m
		} else if req.URL != "" && m.URL == req.URL {
			httpError(w, http.StatusConflict, "url %s is already used by member %d", req.URL, m.ID)
			return
		}
	}
	cc := pb.ConfChange{NodeID: req.ID, Type: pb.ConfChangeAddNode}
	if req.Learner {
		cc.Type = pb.ConfChangeAddLearnerNode
	}
	switch {
	case existing == nil && req.URL == "":
		httpError(w, http.StatusBadRequest, "url is required to add member %d", req.ID)
		return
	case existing != nil && !existing.Learner:
		httpError(w, http.StatusConflict, "member %d is already a voter", req.ID)
		return
	case existing != nil && req.Learner:
		httpError(w, http.StatusConflict, "member %d is already a learner (omit \"learner\" to promote it)", req.ID)
		return
	case existing != nil && req.URL == "":
		req.URL = existing.URL // promotion keeps the address
	}
	cc.Context = []byte(req.URL)
	n.changeAndAnswer(w, r, cc)
}

func (n *Node) handleRemoveMember(w http.ResponseWriter, r *http.Request) {
	s := r.PathValue("id")
	id, err := strconv.ParseUint(s, 10, 64)
	if err != nil || id == 0 {
		httpError(w, http.StatusBadRequest, "bad member id %q: must be a positive integer", s)
		return
	}
	var target *Member
	for _, m := range n.Members() {
		if m.ID == id {
			target = &m
		}
	}
	switch {
	case target == nil:
		httpError(w, http.StatusNotFound, "unknown member %d", id)
		return
	case !target.Learner && n.onlyVoter(id):
		httpError(w, http.StatusConflict, "member %d is the last voter and cannot be removed", id)
		return
	}
	n.changeAndAnswer(w, r, pb.ConfChange{NodeID: id, Type: pb.ConfChangeRemoveNode})
}

// onlyVoter reports whether id is the one voter of the membership.
func (n *Node) onlyVoter(id uint64) bool {
	for _, m := range n.Members() {
		if !m.Learner && m.ID != id {
			return false
		}
	}
	return true
}

// changeAndAnswer proposes cc and answers with the resulting members.
func (n *Node) changeAndAnswer(w http.ResponseWriter, r *http.Request, cc pb.ConfChange) {
	ctx, cancel := n.requestContext(r.Context())
	defer cancel()
	members, err := n.changeMembership(ctx, cc)
	if errors.Is(err, ErrTimeout) {
		httpError(w, http.StatusServiceUnavailable,
			"membership change: not applied within %v (no quorum, or another change still in progress: raft allows one at a time); check GET /members and retry",
			n.cfg.RequestTimeout)
		return
	}
	if err != nil {
		n.raftError(w, "membership change", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": members})
}

// LeaderRequest is the body of POST /leader.
type LeaderRequest struct {
	// ID of the voter that should lead.
	ID uint64 `json:"id"`
}

func (n *Node) handleTransferLeader(w http.ResponseWriter, r *http.Request) {
	var req LeaderRequest
	if !decodeJSON(w, r, &req) {
		return
	}
	if req.ID == 0 {
		httpError(w, http.StatusBadRequest, "id must be a positive integer")
		return
	}
	var target *Member
	for _, m := range n.Members() {
		if m.ID == req.ID {
			target = &m
		}
	}
	switch {
	case target == nil:
		httpError(w, http.StatusNotFound, "unknown member %d", req.ID)
		return
	case target.Learner:
		httpError(w, http.StatusConflict, "member %d is a learner and cannot lead; promote it first", req.ID)
		return
	}
	ctx, cancel := n.requestContext(r.Context())
	defer cancel()
	if err := n.TransferLeadership(ctx, req.ID); err != nil {
		if errors.Is(err, ErrTimeout) {
			httpError(w, http.StatusServiceUnavailable, "leadership did not move to %d within %v (is it caught up and reachable?)", req.ID, n.cfg.RequestTimeout)
			return
		}
		n.raftError(w, "leader transfer", err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"leader": req.ID})
}

func (n *Node) handleStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), n.cfg.RequestTimeout)
	defer cancel()
	st, err := n.Status(ctx)
	if err != nil {
		n.raftError(w, "status", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}
