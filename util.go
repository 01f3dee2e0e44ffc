package raft

import (
	"fmt"
	"strconv"
	"strings"

	pb "github.com/raftcore/raft/raftpb"
)

// IsEmptyHardState reports whether st is the zero HardState.
func IsEmptyHardState(st pb.HardState) bool {
	return st == pb.HardState{}
}

// IsEmptySnap reports whether sp is the empty snapshot: one at index 0,
// which covers nothing.
func IsEmptySnap(sp pb.Snapshot) bool {
	return sp.Metadata.Index == 0
}

// MustSync reports whether persisting st (after prevst) together with
// entsnum new entries must be synced to stable storage before messages are
// sent. That is the case when entries are appended or the term or vote
// changed: a node must never forget a vote it cast, nor acknowledge entries
// it could lose (§5.2, §5.3). A change of the commit index alone needs no
// sync, since it can be learned again from the leader.
func MustSync(st, prevst pb.HardState, entsnum int) bool {
	return entsnum != 0 || st.Vote != prevst.Vote || st.Term != prevst.Term
}

// msgTypeTraits is a bit set of properties of a message type.
type msgTypeTraits uint8

const (
	// msgLocal marks messages that never cross the network: they are
	// generated and consumed by the node itself or its storage threads.
	msgLocal msgTypeTraits = 1 << iota
	// msgResponse marks messages that answer another message.
	msgResponse
)

// msgTraits is indexed by message type. Types it does not list (including
// values unknown to this version) have no traits.
var msgTraits = [...]msgTypeTraits{
	pb.MsgHup:               msgLocal,
	pb.MsgBeat:              msgLocal,
	pb.MsgUnreachable:       msgLocal | msgResponse,
	pb.MsgSnapStatus:        msgLocal,
	pb.MsgCheckQuorum:       msgLocal,
	pb.MsgStorageAppend:     msgLocal,
	pb.MsgStorageAppendResp: msgLocal | msgResponse,
	pb.MsgStorageApply:      msgLocal,
	pb.MsgStorageApplyResp:  msgLocal | msgResponse,
	pb.MsgAppResp:           msgResponse,
	pb.MsgVoteResp:          msgResponse,
	pb.MsgHeartbeatResp:     msgResponse,
	pb.MsgReadIndexResp:     msgResponse,
	pb.MsgPreVoteResp:       msgResponse,
	pb.MsgForgetLeader:      0, // sizes the table to cover every known type
}

func traitsOf(t pb.MessageType) msgTypeTraits {
	if t < 0 || int(t) >= len(msgTraits) {
		return 0
	}
	return msgTraits[t]
}

// IsLocalMsg reports whether messages of type t are local: generated and
// consumed within a node (MsgHup, MsgBeat, MsgUnreachable, MsgSnapStatus,
// MsgCheckQuorum and the MsgStorage* messages) and never sent over the
// network.
func IsLocalMsg(t pb.MessageType) bool {
	return traitsOf(t)&msgLocal != 0
}

// IsResponseMsg reports whether messages of type t answer another message
// (MsgAppResp, MsgVoteResp, MsgHeartbeatResp, MsgUnreachable,
// MsgReadIndexResp, MsgPreVoteResp, MsgStorageAppendResp and
// MsgStorageApplyResp).
func IsResponseMsg(t pb.MessageType) bool {
	return traitsOf(t)&msgResponse != 0
}

// IsLocalMsgTarget reports whether id addresses one of the node's local
// storage threads (LocalAppendThread or LocalApplyThread) rather than a
// peer.
func IsLocalMsgTarget(id uint64) bool {
	return id == LocalAppendThread || id == LocalApplyThread
}

// voteRespMsgType returns the response type for a vote request type:
// MsgVoteResp for MsgVote and MsgPreVoteResp for MsgPreVote.
//
// Panics if t is neither MsgVote nor MsgPreVote.
func voteRespMsgType(t pb.MessageType) pb.MessageType {
	switch t {
	case pb.MsgVote:
		return pb.MsgVoteResp
	case pb.MsgPreVote:
		return pb.MsgPreVoteResp
	default:
		panic(fmt.Sprintf("voteRespMsgType: %s is not a vote request", t))
	}
}

// entsSize returns the total Entry.Size() of ents, the measure used by all
// byte limits on entries.
func entsSize(ents []pb.Entry) uint64 {
	var size uint64
	for i := range ents {
		size += uint64(ents[i].Size())
	}
	return size
}

// limitSize returns the longest prefix of ents whose total Entry.Size()
// does not exceed maxSize, but at least one entry when ents is not empty.
func limitSize(ents []pb.Entry, maxSize uint64) []pb.Entry {
	if len(ents) == 0 {
		return ents
	}
	size := uint64(ents[0].Size())
	for i := 1; i < len(ents); i++ {
		size += uint64(ents[i].Size())
		if size > maxSize {
			return ents[:i]
		}
	}
	return ents
}

// withCap returns ents copied into a fresh array of capacity c (at least
// len(ents)). The logs grow their arrays with it instead of append: the
// runtime grows large slices by only 1.25x, which would copy a growing log
// again every few appends; and a fresh array never writes into memory an
// earlier reader may hold.
func withCap(ents []pb.Entry, c int) []pb.Entry {
	fresh := make([]pb.Entry, len(ents), max(c, len(ents)))
	copy(fresh, ents)
	return fresh
}

// describeNode names a message endpoint: a peer by its ID, the local
// storage threads by name.
func describeNode(id uint64) string {
	switch id {
	case LocalAppendThread:
		return "AppendThread"
	case LocalApplyThread:
		return "ApplyThread"
	default:
		return strconv.FormatUint(id, 10)
	}
}

// DescribeHardState returns st on one line, for example
// "Term:3 Vote:1 Commit:5". Vote is omitted when no vote was cast.
func DescribeHardState(st pb.HardState) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Term:%d", st.Term)
	if st.Vote != None {
		fmt.Fprintf(&b, " Vote:%d", st.Vote)
	}
	fmt.Fprintf(&b, " Commit:%d", st.Commit)
	return b.String()
}

// DescribeConfState returns cs on one line, lists in their given order, for
// example "voters=(1 2 3)&&(1 2) learners=(4) learners_next=(5) autoleave".
// The outgoing voters (after "&&"), learners, learners_next and autoleave
// appear only when present.
func DescribeConfState(cs pb.ConfState) string {
	var b strings.Builder
	b.WriteString("voters=")
	writeIDList(&b, cs.Voters)
	if len(cs.VotersOutgoing) > 0 {
		b.WriteString("&&")
		writeIDList(&b, cs.VotersOutgoing)
	}
	if len(cs.Learners) > 0 {
		b.WriteString(" learners=")
		writeIDList(&b, cs.Learners)
	}
	if len(cs.LearnersNext) > 0 {
		b.WriteString(" learners_next=")
		writeIDList(&b, cs.LearnersNext)
	}
	if cs.AutoLeave {
		b.WriteString(" autoleave")
	}
	return b.String()
}

func writeIDList(b *strings.Builder, ids []uint64) {
	b.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.FormatUint(id, 10))
	}
	b.WriteByte(')')
}

// DescribeSnapshot returns the snapshot's metadata on one line: its last
// entry as term/index and its configuration, for example
// "2/10 voters=(1 2 3)". The data is summarised by its length when present,
// as in "2/10 voters=(1 2 3) data=42B".
func DescribeSnapshot(snap pb.Snapshot) string {
	m := snap.Metadata
	s := fmt.Sprintf("%d/%d %s", m.Term, m.Index, DescribeConfState(m.ConfState))
	if len(snap.Data) > 0 {
		s += fmt.Sprintf(" data=%dB", len(snap.Data))
	}
	return s
}

// DescribeEntry returns e on one line: its ID as term/index, then, for
// entries other than normal ones, the type, and then the payload when it is
// not empty. Normal payloads are rendered by f (nil: quoted with %q);
// configuration changes are decoded into the compact form of
// pb.ConfChangesToString. Examples:
//
//	2/5 "put x=1"
//	2/6 EntryConfChange v4
//	2/7 EntryConfChangeV2 v4 l5
//	2/8 EntryConfChangeV2 joint-explicit r1 v6
//	2/9 EntryConfChangeV2 leave-joint
func DescribeEntry(e pb.Entry, f EntryFormatter) string {
	if f == nil {
		f = func(data []byte) string { return strconv.Quote(string(data)) }
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d", e.Term, e.Index)
	if e.Type != pb.EntryNormal {
		b.WriteByte(' ')
		b.WriteString(e.Type.String())
	}
	if payload := describePayload(e, f); payload != "" {
		b.WriteByte(' ')
		b.WriteString(payload)
	}
	return b.String()
}

// describePayload renders the data of e, or "" if there is nothing to show.
func describePayload(e pb.Entry, f EntryFormatter) string {
	switch e.Type {
	case pb.EntryNormal:
		if len(e.Data) == 0 {
			return ""
		}
		return f(e.Data)
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(e.Data); err != nil {
			return fmt.Sprintf("<undecodable: %v>", err)
		}
		return describeConfChangeV2(cc.AsV2())
	case pb.EntryConfChangeV2:
		var cc pb.ConfChangeV2
		if err := cc.Unmarshal(e.Data); err != nil {
			return fmt.Sprintf("<undecodable: %v>", err)
		}
		return describeConfChangeV2(cc)
	default:
		if len(e.Data) == 0 {
			return ""
		}
		return fmt.Sprintf("data=%dB", len(e.Data))
	}
}

// describeConfChangeV2 renders cc as its changes in compact form, preceded
// by the transition when it is not the default, or as "leave-joint" when it
// asks to leave a joint configuration.
func describeConfChangeV2(cc pb.ConfChangeV2) string {
	if cc.LeaveJoint() {
		return "leave-joint"
	}
	changes := pb.ConfChangesToString(cc.Changes)
	switch cc.Transition {
	case pb.ConfChangeTransitionAuto:
		return changes
	case pb.ConfChangeTransitionJointImplicit:
		return "joint-implicit " + changes
	case pb.ConfChangeTransitionJointExplicit:
		return "joint-explicit " + changes
	default:
		return fmt.Sprintf("transition=%d %s", int32(cc.Transition), changes)
	}
}

// DescribeEntries returns the entries one per line, as DescribeEntry
// renders them, each followed by a newline.
func DescribeEntries(ents []pb.Entry, f EntryFormatter) string {
	var b strings.Builder
	for _, e := range ents {
		b.WriteString(DescribeEntry(e, f))
		b.WriteByte('\n')
	}
	return b.String()
}

// DescribeMessage returns m on one line, f rendering entry payloads as in
// DescribeEntry. It starts with sender->receiver (the local storage threads
// named AppendThread and ApplyThread), the type and the term, followed by
// only the fields that are set:
//
//	1->2 MsgApp Term:3 Log:2/299 Commit:290 Entries:[3/300 "x", 3/301]
//	2->1 MsgAppResp Term:3 Log:2/301 Rejected Hint:299
//	1->AppendThread MsgStorageAppend Term:3 Log:3/301 Commit:300 Vote:1 Entries:[3/301] Responses:[1->1 MsgAppResp Term:3 Log:3/301]
//
// Log is LogTerm/Index; Hint is RejectHint. A snapshot appears as
// Snapshot:{...} in the form of DescribeSnapshot, a context as Context:%q,
// and the responses carried by local storage messages nested within
// Responses:[...].
func DescribeMessage(m pb.Message, f EntryFormatter) string {
	var b strings.Builder
	describeMessage(&b, m, f)
	return b.String()
}

func describeMessage(b *strings.Builder, m pb.Message, f EntryFormatter) {
	fmt.Fprintf(b, "%s->%s %s Term:%d", describeNode(m.From), describeNode(m.To), m.Type, m.Term)
	if m.LogTerm != 0 || m.Index != 0 {
		fmt.Fprintf(b, " Log:%d/%d", m.LogTerm, m.Index)
	}
	if m.Commit != 0 {
		fmt.Fprintf(b, " Commit:%d", m.Commit)
	}
	if m.Vote != 0 {
		fmt.Fprintf(b, " Vote:%d", m.Vote)
	}
	if m.Reject {
		b.WriteString(" Rejected")
	}
	if m.RejectHint != 0 {
		fmt.Fprintf(b, " Hint:%d", m.RejectHint)
	}
	if len(m.Entries) > 0 {
		b.WriteString(" Entries:[")
		for i, e := range m.Entries {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(DescribeEntry(e, f))
		}
		b.WriteByte(']')
	}
	if m.Snapshot != nil && !IsEmptySnap(*m.Snapshot) {
		b.WriteString(" Snapshot:{")
		b.WriteString(DescribeSnapshot(*m.Snapshot))
		b.WriteByte('}')
	}
	if len(m.Context) > 0 {
		fmt.Fprintf(b, " Context:%q", m.Context)
	}
	if len(m.Responses) > 0 {
		b.WriteString(" Responses:[")
		for i, r := range m.Responses {
			if i > 0 {
				b.WriteString(", ")
			}
			describeMessage(b, r, f)
		}
		b.WriteByte(']')
	}
}
