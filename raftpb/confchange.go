package raftpb

import (
	"fmt"
	"strconv"
	"strings"
)

// ConfChangeI is either kind of membership change: the original single-node
// ConfChange or the multi-node ConfChangeV2. Code that handles membership
// changes converts to the V2 form with AsV2 and works with that alone; AsV1
// exists so that a V1 change can be written to the log in its own encoding.
type ConfChangeI interface {
	// AsV2 returns the change in the V2 form.
	AsV2() ConfChangeV2
	// AsV1 returns the change in the V1 form and true, or false when the
	// change is a ConfChangeV2 (which has no faithful V1 form).
	AsV1() (ConfChange, bool)
}

var (
	_ ConfChangeI = ConfChange{}
	_ ConfChangeI = ConfChangeV2{}
)

// AsV2 returns a ConfChangeV2 with the single change c and the same Context.
// Its transition is Auto, which for one change means no joint consensus: a
// V1 change always was a simple one-node change.
func (c ConfChange) AsV2() ConfChangeV2 {
	return ConfChangeV2{
		Changes: []ConfChangeSingle{{Type: c.Type, NodeID: c.NodeID}},
		Context: c.Context,
	}
}

// AsV1 returns c and true.
func (c ConfChange) AsV1() (ConfChange, bool) {
	return c, true
}

// AsV2 returns c.
func (c ConfChangeV2) AsV2() ConfChangeV2 {
	return c
}

// AsV1 returns the zero ConfChange and false: a V2 change is never turned
// back into a V1 one, even when it has a single change, so that the entry type
// in the log always says which message its data holds.
func (c ConfChangeV2) AsV1() (ConfChange, bool) {
	return ConfChange{}, false
}

// MarshalConfChange encodes c for a log entry and returns the entry type to
// store it under: EntryConfChange when c is a V1 change, EntryConfChangeV2
// otherwise.
func MarshalConfChange(c ConfChangeI) (EntryType, []byte, error) {
	if v1, ok := c.AsV1(); ok {
		data, err := v1.Marshal()
		return EntryConfChange, data, err
	}
	v2 := c.AsV2()
	data, err := v2.Marshal()
	return EntryConfChangeV2, data, err
}

// EnterJoint reports whether applying c goes through a joint configuration
// (Raft thesis, section 4.3) and, if so, whether that joint configuration is
// left automatically (autoLeave) or only when the application proposes an
// empty ConfChangeV2 (see LeaveJoint).
//
// Joint consensus is used when the transition asks for it explicitly or
// implicitly, or when the transition is Auto and more than one node changes
// (a single change can be applied directly; Raft thesis, section 4.1).
// autoLeave is true for the Auto and JointImplicit transitions.
//
// A transition value this package does not know is treated like
// JointExplicit: joint consensus is safe for any set of changes, and leaving
// it is then up to the application, which evidently knows more than we do.
func (c ConfChangeV2) EnterJoint() (autoLeave bool, ok bool) {
	if c.Transition == ConfChangeTransitionAuto && len(c.Changes) <= 1 {
		return false, false
	}
	switch c.Transition {
	case ConfChangeTransitionAuto, ConfChangeTransitionJointImplicit:
		return true, true
	default:
		return false, true
	}
}

// LeaveJoint reports whether c asks to leave a joint configuration: that is
// the meaning of the zero ConfChangeV2. The Context is ignored, so that an
// application can attach its own data to the request.
func (c ConfChangeV2) LeaveJoint() bool {
	return c.Transition == ConfChangeTransitionAuto && len(c.Changes) == 0
}

// confChangeLetters maps each change type to its letter in the compact string
// form used by ConfChangesFromString and ConfChangesToString.
var confChangeLetters = map[ConfChangeType]byte{
	ConfChangeAddNode:        'v',
	ConfChangeAddLearnerNode: 'l',
	ConfChangeRemoveNode:     'r',
	ConfChangeUpdateNode:     'u',
}

// ConfChangesFromString parses the compact form written by
// ConfChangesToString: whitespace-separated tokens, each a letter followed by
// a node ID, where the letter is v (add voter), l (add learner), r (remove) or
// u (update). For example "v1 l2 r3 u4". The empty string (or one of only
// whitespace) gives no changes. An error names the first bad token.
func ConfChangesFromString(s string) ([]ConfChangeSingle, error) {
	var ccs []ConfChangeSingle
	for _, tok := range strings.Fields(s) {
		var typ ConfChangeType
		switch tok[0] {
		case 'v':
			typ = ConfChangeAddNode
		case 'l':
			typ = ConfChangeAddLearnerNode
		case 'r':
			typ = ConfChangeRemoveNode
		case 'u':
			typ = ConfChangeUpdateNode
		default:
			return nil, fmt.Errorf("raftpb: conf change %q: unknown change %q (want v, l, r or u followed by a node ID)", tok, tok[:1])
		}
		id, err := strconv.ParseUint(tok[1:], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("raftpb: conf change %q: node ID %q is not an unsigned decimal integer", tok, tok[1:])
		}
		ccs = append(ccs, ConfChangeSingle{Type: typ, NodeID: id})
	}
	return ccs, nil
}

// ConfChangesToString writes ccs in the compact form read by
// ConfChangesFromString, for example "v1 l2 r3 u4". A change of a type this
// package does not know is written as "?" followed by the type's number, a
// colon and the node ID (for example "?7:5"), which ConfChangesFromString
// rejects.
func ConfChangesToString(ccs []ConfChangeSingle) string {
	var b strings.Builder
	for i, cc := range ccs {
		if i > 0 {
			b.WriteByte(' ')
		}
		if letter, ok := confChangeLetters[cc.Type]; ok {
			b.WriteByte(letter)
		} else {
			fmt.Fprintf(&b, "?%d:", int32(cc.Type))
		}
		b.WriteString(strconv.FormatUint(cc.NodeID, 10))
	}
	return b.String()
}
