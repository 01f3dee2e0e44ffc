package kv

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Op is the operation of a Command.
type Op byte

// The operations. The values are part of the log format: never renumber.
const (
	OpPut    Op = 1
	OpDelete Op = 2
)

// String returns "put" or "delete".
func (o Op) String() string {
	switch o {
	case OpPut:
		return "put"
	case OpDelete:
		return "delete"
	}
	return fmt.Sprintf("Op(%d)", byte(o))
}

// Limits on what one command may carry.
const (
	// MaxKeySize bounds the bytes of a key.
	MaxKeySize = 4 << 10
	// DefaultMaxValueSize is the default bound of a value (Config.MaxValueSize).
	DefaultMaxValueSize = 1 << 20
)

// Command is one change to the key-value map, as carried in the Data of a
// normal raft entry. ID identifies the proposal so that the node that
// proposed it can recognise it when it is applied; it has no meaning to the
// state machine.
type Command struct {
	Op    Op
	ID    uint64
	Key   []byte
	Value []byte // OpPut only
}

// commandHeaderSize is the fixed part of an encoded command: op and ID.
const commandHeaderSize = 1 + 8

// Encode returns the command's compact binary form:
//
//	offset  size     field
//	0       1        op (1 put, 2 delete)
//	1       8        request ID, little-endian
//	9       1..10    key length, uvarint
//	9+n     keylen   key
//	...     rest     value (put only; the rest of the entry)
//
// The value needs no length: it runs to the end of the entry, so a 1 MiB
// value costs 1 MiB plus a dozen bytes of framing.
func (c Command) Encode() []byte {
	buf := make([]byte, commandHeaderSize, commandHeaderSize+binary.MaxVarintLen64+len(c.Key)+len(c.Value))
	buf[0] = byte(c.Op)
	binary.LittleEndian.PutUint64(buf[1:], c.ID)
	buf = binary.AppendUvarint(buf, uint64(len(c.Key)))
	buf = append(buf, c.Key...)
	if c.Op == OpPut {
		buf = append(buf, c.Value...)
	}
	return buf
}

// ErrBadCommand is matched (errors.Is) by every decoding error of
// DecodeCommand.
var ErrBadCommand = errors.New("kv: malformed command")

// DecodeCommand parses an encoded command. Key and Value alias data.
// It rejects unknown operations, truncated input, empty or oversized keys
// and a delete that carries a value.
func DecodeCommand(data []byte) (Command, error) {
	if len(data) < commandHeaderSize {
		return Command{}, fmt.Errorf("%w: %d bytes, shorter than the %d-byte header", ErrBadCommand, len(data), commandHeaderSize)
	}
	c := Command{Op: Op(data[0]), ID: binary.LittleEndian.Uint64(data[1:])}
	if c.Op != OpPut && c.Op != OpDelete {
		return Command{}, fmt.Errorf("%w: unknown op %d", ErrBadCommand, data[0])
	}
	rest := data[commandHeaderSize:]
	klen, n := binary.Uvarint(rest)
	if n <= 0 || n != len(binary.AppendUvarint(nil, klen)) {
		// Only the shortest form is accepted, so that every command has
		// exactly one encoding.
		return Command{}, fmt.Errorf("%w: bad key length", ErrBadCommand)
	}
	rest = rest[n:]
	if klen == 0 || klen > MaxKeySize || klen > uint64(len(rest)) {
		return Command{}, fmt.Errorf("%w: key length %d (max %d, %d bytes left)", ErrBadCommand, klen, MaxKeySize, len(rest))
	}
	c.Key, rest = rest[:klen], rest[klen:]
	switch {
	case c.Op == OpPut:
		c.Value = rest
	case len(rest) != 0:
		return Command{}, fmt.Errorf("%w: delete with %d trailing bytes", ErrBadCommand, len(rest))
	}
	return c, nil
}
