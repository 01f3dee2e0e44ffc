package raftpb

import (
	"bytes"
	"testing"
)

// The fuzz targets below check two properties of the generated decoders on
// arbitrary input:
//
//  1. Unmarshal never panics; it accepts the input or returns an error.
//  2. What it accepts is stable under a round trip: with d = decode(x),
//     marshal(d) decodes without error and re-encodes to the same bytes.
//
// Property 2 compares re-encodings rather than x itself, because the decoder
// legitimately normalises: it drops unknown fields, accepts packed and
// unpacked repeated fields, lets a later scalar overwrite an earlier one,
// truncates over-long enum varints to int32, and so on. After one decode the
// encoding must be a fixed point.
//
// Seeds are the wire vectors in testdata plus a few hand-made edge cases.
// Run one target for longer with, for example,
//
//	go test -run '^$' -fuzz '^FuzzMessageUnmarshal$' -fuzztime 1m ./raftpb

// addSeeds adds the encodings of the wire vectors, and extra, to f's corpus.
func addSeeds(f *testing.F, extra ...[]byte) {
	_, vectors := readVectors(f)
	for _, c := range wireCases() {
		f.Add(vectors[c.name])
	}
	for _, b := range extra {
		f.Add(b)
	}
}

// checkRoundTrip runs the two properties for one message type; empty returns
// a zero value to decode into.
func checkRoundTrip(t *testing.T, data []byte, empty func() wireMsg) {
	first := empty()
	if err := first.Unmarshal(data); err != nil {
		return
	}
	enc1, err := first.Marshal()
	if err != nil {
		t.Fatalf("Marshal of an accepted message failed: %v", err)
	}
	second := empty()
	if err := second.Unmarshal(enc1); err != nil {
		t.Fatalf("our own encoding %x does not decode: %v", enc1, err)
	}
	enc2, err := second.Marshal()
	if err != nil {
		t.Fatalf("Marshal after the round trip failed: %v", err)
	}
	if !bytes.Equal(enc1, enc2) {
		t.Fatalf("encoding is not stable under a round trip:\ninput %x\nfirst %x\nthen  %x", data, enc1, enc2)
	}
}

func FuzzMessageUnmarshal(f *testing.F) {
	addSeeds(f,
		nil,
		[]byte{0x08}, // tag with no value
		[]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},       // 10-byte varint type
		[]byte{0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01}, // varint overflow
		[]byte{0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f},                                     // entries length past the end
		[]byte{0x3a, 0x00},                                     // one empty entry
		[]byte{0x4a, 0x00},                                     // an empty snapshot
		[]byte{0x72, 0x02, 0x72, 0x00},                         // a response nesting a response
		[]byte{0x50, 0x02},                                     // reject encoded as 2
		[]byte{0x10, 0x01, 0x10, 0x02},                         // to given twice: last wins
		[]byte{0xf8, 0x07, 0x01},                               // unknown field 127
		[]byte{0x0b, 0x0c},                                     // group start and end (wire types 3, 4)
		[]byte{0x00},                                           // field number 0
		[]byte{0x4a, 0x04, 0x12, 0x02, 0x0a, 0x00},             // snapshot with empty metadata and conf state
		[]byte{0x4a, 0x06, 0x12, 0x04, 0x0a, 0x02, 0x0a, 0x00}, // packed, empty voters
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data, func() wireMsg { return &Message{} })
	})
}

func FuzzEntryUnmarshal(f *testing.F) {
	addSeeds(f, []byte{0x22, 0x00}, []byte{0x08, 0x80, 0x80, 0x80, 0x80, 0x10})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data, func() wireMsg { return &Entry{} })
	})
}

func FuzzHardStateUnmarshal(f *testing.F) {
	addSeeds(f, []byte{0x08, 0x01, 0x08, 0x02})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data, func() wireMsg { return &HardState{} })
	})
}

func FuzzConfStateUnmarshal(f *testing.F) {
	addSeeds(f,
		[]byte{0x0a, 0x03, 0x01, 0x02, 0x03}, // packed voters
		[]byte{0x0a, 0x02, 0x01, 0x80},       // packed voters, truncated varint
		[]byte{0x28, 0x05},                   // auto_leave encoded as 5
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data, func() wireMsg { return &ConfState{} })
	})
}

func FuzzConfChangeV2Unmarshal(f *testing.F) {
	addSeeds(f, []byte{0x12, 0x00}, []byte{0x12, 0x02, 0x08, 0x09})
	f.Fuzz(func(t *testing.T, data []byte) {
		checkRoundTrip(t, data, func() wireMsg { return &ConfChangeV2{} })
	})
}
