package quorum

import (
	"fmt"
	"slices"
	"strings"
)

// Describe renders c with the indexes acked according to l, one line per
// voter in ascending ID order, followed by the committed index:
//
//	1 ===  ✓ 10
//	2 ==   ✓ 5
//	3 =      2
//	4          ?
//	committed 5
//
// The bar shows each voter's rank among the distinct acked indexes (longer
// is higher; no bar for a voter l knows nothing about, shown as "?" and
// counted as 0), so the picture stays small whatever the indexes are. The
// check mark flags the voters whose acked index is at or above the
// committed index.
func (c MajorityConfig) Describe(l AckedIndexer) string {
	committed := c.CommittedIndex(l)
	var buf strings.Builder
	describeVoters(&buf, c.Slice(), nil, committed, l)
	fmt.Fprintf(&buf, "committed %s\n", committed)
	return buf.String()
}

// Describe renders c like MajorityConfig.Describe, over the voters of both
// halves, with a membership column: "I" for the incoming half, "O" for the
// outgoing half, "." for neither. The check mark is relative to the joint
// committed index, and the last line also gives each half's own:
//
//	1 IO ===  ✓ 10
//	2 I. ==   ✓ 5
//	3 .O =      2
//	committed 5 (incoming 10, outgoing 5)
//
// Outside a joint configuration (empty outgoing half) the output equals
// the incoming half's Describe.
func (c JointConfig) Describe(l AckedIndexer) string {
	if len(c[1]) == 0 {
		return c[0].Describe(l)
	}
	ids := make([]uint64, 0, len(c[0])+len(c[1]))
	for id := range c.IDs() {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	member := func(id uint64) string {
		b := []byte("..")
		if _, ok := c[0][id]; ok {
			b[0] = 'I'
		}
		if _, ok := c[1][id]; ok {
			b[1] = 'O'
		}
		return string(b)
	}
	committed := c.CommittedIndex(l)
	var buf strings.Builder
	describeVoters(&buf, ids, member, committed, l)
	fmt.Fprintf(&buf, "committed %s (incoming %s, outgoing %s)\n",
		committed, c[0].CommittedIndex(l), c[1].CommittedIndex(l))
	return buf.String()
}

// describeVoters writes one line per voter of ids (ascending): ID, the
// optional membership column, rank bar, mark and acked index.
func describeVoters(buf *strings.Builder, ids []uint64, member func(uint64) string, committed Index, l AckedIndexer) {
	type row struct {
		idx   Index
		found bool
	}
	rows := make([]row, len(ids))
	var distinct []Index
	for i, id := range ids {
		idx, ok := l.AckedIndex(id)
		if !ok {
			idx = 0
		}
		rows[i] = row{idx, ok}
		if ok {
			distinct = append(distinct, idx)
		}
	}
	slices.Sort(distinct)
	distinct = slices.Compact(distinct)
	idWidth := 0
	for _, id := range ids {
		idWidth = max(idWidth, len(fmt.Sprint(id)))
	}
	for i, id := range ids {
		r := rows[i]
		fmt.Fprintf(buf, "%*d ", idWidth, id)
		if member != nil {
			buf.WriteString(member(id))
			buf.WriteByte(' ')
		}
		rank := 0
		if r.found {
			rank, _ = slices.BinarySearch(distinct, r.idx)
			rank++
		}
		bar := strings.Repeat("=", rank) + strings.Repeat(" ", len(distinct)-rank)
		buf.WriteString(bar)
		if r.idx >= committed {
			buf.WriteString(" ✓ ")
		} else {
			buf.WriteString("   ")
		}
		if r.found {
			buf.WriteString(r.idx.String())
		} else {
			buf.WriteByte('?')
		}
		buf.WriteByte('\n')
	}
}
