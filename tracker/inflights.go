package tracker

import "fmt"

// inflight is one MsgApp that has been sent but not acknowledged: the index
// of its last entry and the size of its entries' payload.
type inflight struct {
	index uint64
	bytes uint64
}

// Inflights is the flow-control window of one follower in StateReplicate:
// the MsgApps sent to it and not yet acknowledged, oldest first. It is
// bounded both by the number of messages (size) and, optionally, by the sum
// of their payload bytes (maxBytes).
//
// The messages live in a ring buffer that starts empty and doubles on
// demand up to size entries, so that a follower that receives little
// traffic costs little memory. Once grown, Add and FreeLE do not allocate.
//
// A nil *Inflights is an empty window: every method but Add accepts it, so
// that a Progress need not carry a window while nothing is in flight.
type Inflights struct {
	// start is the buffer position of the oldest in-flight message.
	// Invariant: start < len(buffer), or start == 0 when buffer is empty.
	start int
	// count is the number of in-flight messages.
	// Invariant: count <= len(buffer) <= size.
	count int
	// bytes is the total payload of the in-flight messages.
	bytes uint64

	// size bounds count.
	size int
	// maxBytes bounds bytes; 0 means no bound.
	maxBytes uint64

	// buffer holds the in-flight messages at positions start, start+1, ...
	// (mod len(buffer)). Invariant: their indexes are increasing.
	buffer []inflight
}

// NewInflights returns an empty window that admits up to size messages
// and, if maxBytes > 0, up to maxBytes payload bytes (the message that
// crosses the byte budget is still admitted; the window is full after it).
func NewInflights(size int, maxBytes uint64) *Inflights {
	return &Inflights{size: size, maxBytes: maxBytes}
}

// Clone returns an independent deep copy of in.
func (in *Inflights) Clone() *Inflights {
	if in == nil {
		return nil
	}
	c := *in
	c.buffer = append([]inflight(nil), in.buffer...)
	return &c
}

// Add records a MsgApp whose last entry has the given index and whose
// entries carry bytes payload bytes. Indexes must be added in increasing
// order (FreeLE relies on it); the window is reset whenever a follower
// leaves StateReplicate, so callers meet this by construction.
//
// Panics if the window is Full (callers must check Full before sending) or
// nil (it has no size to be bounded by).
func (in *Inflights) Add(index, bytes uint64) {
	if in == nil {
		panic(fmt.Sprintf("tracker: Inflights.Add(%d) on a nil window", index))
	}
	if in.Full() {
		panic(fmt.Sprintf("tracker: Inflights.Add(%d) on a full window (count=%d/%d, bytes=%d/%d)",
			index, in.count, in.size, in.bytes, in.maxBytes))
	}
	if in.count == len(in.buffer) {
		in.grow()
	}
	pos := in.start + in.count
	if pos >= len(in.buffer) {
		pos -= len(in.buffer)
	}
	in.buffer[pos] = inflight{index: index, bytes: bytes}
	in.count++
	in.bytes += bytes
}

// grow doubles the buffer (to at most size entries) and unwraps the ring so
// that the oldest message sits at position 0. It is called only when the
// buffer is completely used, and Add's Full check guarantees that
// len(buffer) < size at that point.
func (in *Inflights) grow() {
	n := 2 * len(in.buffer)
	if n == 0 {
		n = 1
	}
	n = min(n, in.size)
	buf := make([]inflight, n)
	k := copy(buf, in.buffer[in.start:])
	copy(buf[k:], in.buffer[:in.start])
	in.buffer = buf
	in.start = 0
}

// FreeFirstOne frees the oldest in-flight message, if any. The leader uses
// it when a follower answers a heartbeat while the window is full: the
// follower is alive, so either acknowledgements are on their way or the
// window's messages were lost. One more append settles which (a follower
// missing entries rejects it, which starts a probe) without giving up
// pipelining when nothing was lost.
func (in *Inflights) FreeFirstOne() {
	if in != nil && in.count > 0 {
		in.FreeLE(in.buffer[in.start].index)
	}
}

// FreeLE frees every in-flight message whose index is <= to: the follower
// has acknowledged them. Freeing up to an index beyond the newest message
// empties the window.
func (in *Inflights) FreeLE(to uint64) {
	if in == nil || in.count == 0 || to < in.buffer[in.start].index {
		return
	}
	pos, freed := in.start, 0
	for freed < in.count && in.buffer[pos].index <= to {
		in.bytes -= in.buffer[pos].bytes
		freed++
		if pos++; pos == len(in.buffer) {
			pos = 0
		}
	}
	in.count -= freed
	in.start = pos
	if in.count == 0 {
		// Restart at the front; nothing observable depends on it, but it
		// keeps the ring unwrapped while the window is drained often.
		in.start = 0
	}
}

// Full reports whether no further message may be sent: the window holds
// size messages, or maxBytes > 0 and the payload reached maxBytes.
func (in *Inflights) Full() bool {
	return in != nil && (in.count >= in.size || (in.maxBytes != 0 && in.bytes >= in.maxBytes))
}

// Count returns the number of in-flight messages.
func (in *Inflights) Count() int {
	if in == nil {
		return 0
	}
	return in.count
}

// reset empties the window, keeping the buffer for reuse.
func (in *Inflights) reset() {
	if in == nil {
		return
	}
	in.start, in.count, in.bytes = 0, 0, 0
}
