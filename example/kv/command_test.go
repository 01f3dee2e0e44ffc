package kv

import (
	"bytes"
	"errors"
	"testing"
)

func TestCommandRoundTrip(t *testing.T) {
	for _, c := range []Command{
		{Op: OpPut, ID: 1, Key: []byte("k"), Value: []byte("v")},
		{Op: OpPut, ID: 1<<64 - 1, Key: []byte("a/b/c"), Value: []byte{}},
		{Op: OpPut, ID: 42, Key: bytes.Repeat([]byte("k"), MaxKeySize), Value: bytes.Repeat([]byte{0, 0xff}, 1000)},
		{Op: OpDelete, ID: 7, Key: []byte("gone")},
	} {
		data := c.Encode()
		got, err := DecodeCommand(data)
		if err != nil {
			t.Fatalf("%s %q: %v", c.Op, c.Key, err)
		}
		if got.Op != c.Op || got.ID != c.ID || !bytes.Equal(got.Key, c.Key) || !bytes.Equal(got.Value, c.Value) {
			t.Fatalf("round trip of %+v gave %+v", c, got)
		}
	}
}

// TestCommandEncoding pins the byte layout: it is the log format.
func TestCommandEncoding(t *testing.T) {
	got := Command{Op: OpPut, ID: 0x0102030405060708, Key: []byte("ab"), Value: []byte("xyz")}.Encode()
	want := []byte{1, 8, 7, 6, 5, 4, 3, 2, 1, 2, 'a', 'b', 'x', 'y', 'z'}
	if !bytes.Equal(got, want) {
		t.Fatalf("put encodes as %v, want %v", got, want)
	}
	got = Command{Op: OpDelete, ID: 1, Key: []byte("k"), Value: []byte("ignored")}.Encode()
	want = []byte{2, 1, 0, 0, 0, 0, 0, 0, 0, 1, 'k'}
	if !bytes.Equal(got, want) {
		t.Fatalf("delete encodes as %v, want %v", got, want)
	}
}

func TestDecodeCommandRejects(t *testing.T) {
	valid := Command{Op: OpPut, ID: 9, Key: []byte("key"), Value: []byte("v")}.Encode()
	for name, data := range map[string][]byte{
		"empty":             nil,
		"short header":      valid[:5],
		"unknown op":        append([]byte{9}, valid[1:]...),
		"zero op":           append([]byte{0}, valid[1:]...),
		"no key length":     valid[:9],
		"empty key":         append(append([]byte{}, valid[:9]...), 0),
		"key beyond end":    append(append([]byte{}, valid[:9]...), 10, 'a'),
		"overlong varint":   append(append([]byte{}, valid[:9]...), 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff),
		"padded varint":     append(append([]byte{}, valid[:9]...), 0x83, 0x00, 'k', 'e', 'y'),
		"oversized key":     append(append([]byte{}, valid[:9]...), 0x81, 0x40), // 8193
		"delete with value": append(Command{Op: OpDelete, ID: 1, Key: []byte("k")}.Encode(), 'x'),
	} {
		if _, err := DecodeCommand(data); !errors.Is(err, ErrBadCommand) {
			t.Errorf("%s: got %v, want ErrBadCommand", name, err)
		}
	}
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(Command{Op: OpPut, ID: 3, Key: []byte("k"), Value: []byte("v")}.Encode())
	f.Add(Command{Op: OpDelete, ID: 3, Key: []byte("k")}.Encode())
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := DecodeCommand(data)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes.
		if again := c.Encode(); !bytes.Equal(again, data) {
			t.Fatalf("%x decodes to %+v which encodes to %x", data, c, again)
		}
	})
}
