/*
Package wal is a raft.Storage kept on disk: a write-ahead log of segment
files plus snapshot files, with an in-memory index of every entry and a
cache of the most recent ones.

It implements raft.Storage directly: Term, FirstIndex and LastIndex are
answered from memory, Entries from the cache or, for older entries, by
reading the segment files. The application writes through Save (one call
per Ready or MsgStorageAppend), CreateSnapshot, Compact and ApplySnapshot.

	st, err := wal.Open(dir, wal.Options{})
	...
	rn, err := raft.NewRawNode(&raft.Config{ID: id, Storage: st, ...})
	...
	rd := rn.Ready()
	if err := st.Save(rd.HardState, rd.Entries, rd.Snapshot); err != nil {
		// the disk failed: stop the node
	}
	// now send rd.Messages, apply, Advance

# Directory

	dir/
	  LOCK                                         flock: one Storage per directory
	  log-0000000000000001-0000000000000001.wal    segment seq 1, entries from index 1
	  log-0000000000000002-0000000000003a41.wal    segment seq 2, entries from 0x3a41
	  snap-0000000000000005-0000000000003000.snap  snapshot at term 5, index 0x3000
	  snap-0000000000000007-0000000000003a00.snap  newest snapshot
	  snap-....snap.tmp                            an interrupted snapshot write (removed by Open)

Segments are named log-<seq>-<base>.wal with 16 hex digits each. The
sequence number orders them and must have no gaps; the base is the first
index the segment may hold. A segment is closed and a new one started
(rolled) before an entry is written once the current one holds at least
Options.SegmentSize bytes (64 MiB by default). Snapshot files are named
snap-<term>-<index>.snap; the newest two are kept.

# Records

Every segment is a sequence of records, and a snapshot file is exactly one
record:

	 0       4      5        9                 9+length
	+--------+------+--------+-------- ... ----+
	| length | type | CRC-32C| payload          |
	| u32 LE | u8   | u32 LE | (length bytes)   |
	+--------+------+--------+-------- ... ----+
	          CRC-32C (Castagnoli) covers type and payload

	type 1  segment header: "RCWL", version u16, flags u16, seq u64,
	        base u64, prevTerm u64 (32 bytes, little-endian); always the
	        first record of a segment, and only there
	type 2  entry: a marshaled raftpb.Entry (its Size() is the payload size)
	type 3  hard state: a marshaled raftpb.HardState; the last one wins
	type 4  snapshot: a marshaled raftpb.Snapshot (snapshot files only)

A segment header says where the segment attaches to the log: "the entry at
base-1 has term prevTerm". With the reset flag it also discards the whole log
before it; such a segment starts the log anew after a snapshot from the
leader (ApplySnapshot). Each new segment repeats the current hard state right
after its header, so deleting older segments never loses it.

There is no separate truncation record: an entry record whose index is at
most the last index replaces the suffix from that index on (a conflicting
append, Raft §5.3). It is written to the current segment if its index is at
least the segment's base; otherwise a new segment with that base is started
first and the entry is its first record, in the same write as the header. So
every entry record in a segment has an index >= the segment's base, every
segment without the reset flag holds an entry at its base, and the segment
holding entry i never decreases as i grows, which is what lets compaction
delete whole segments.

# Durability: what is on disk when a call returns

Save writes the snapshot (if any) first, then all the batch's records with a
single write call to the current segment, then calls fsync once on it (group
commit), and fsyncs the directory if the batch created a segment. Before a
segment is rolled, the old one is fsynced; so a segment file only exists
once all segments before it are complete, and only the last segment can end
in a torn write. When Save returns nil, the snapshot, the entries and the
hard state it was given are durable. Snapshot files are written to a
temporary file, fsynced, renamed into place and the directory fsynced: a
snapshot file that exists is complete. Segments are deleted oldest first,
with a directory fsync after each, so a crash never leaves a gap in the
sequence numbers. With Options.NoSync every fsync is skipped: the data
survives a crash of the process, not of the machine.

After any write or fsync error the storage refuses further writes (the state
on disk is unknown, and a failed fsync cannot be retried safely); the
application must stop the node and reopen.

# Recovery (Open)

 1. Leftover snapshot temporary files are removed. The newest snapshot file
    is read and verified; if it is damaged, Open fails with ErrCorrupt
    (snapshot files are written atomically, so damage is not a torn write).
 2. Segments are replayed in sequence order; a gap in the sequence is
    ErrCorrupt. Replay applies each header and record as described above;
    a header that does not attach to the log replayed so far, or an entry
    that does not fit (below the segment's base, or leaving a gap), is
    ErrCorrupt.
 3. A record that fails to decode (cut short, length beyond the end of the
    file, unknown type, checksum mismatch) is a torn write if and only if it
    is in the last segment and no valid record frame starts at any later
    byte offset of that file. The file is then truncated at the bad record,
    so later appends start clean; if that leaves it without its header, or
    (for a segment without the reset flag) without its first entry, the
    write that created it was torn and the file is removed. Anywhere else
    (a non-last segment, or a bad record with a valid one after it) it is
    ErrCorrupt, a *CorruptError naming the file and offset. Nothing is ever
    dropped silently from the middle of the log.
 4. If the newest snapshot is not consistent with the replayed log (the log
    neither holds the snapshot's index with the snapshot's term nor was
    compacted past it), the crash interrupted ApplySnapshot after its
    snapshot file was durable: the log is reset to start after the
    snapshot, the hard state's commit index raised to the snapshot's index
    (and its term to the snapshot's term, if lower), and a reset segment is
    written, completing the operation. Segments before the last reset
    segment are deleted.
 5. The most recent entries, up to Options.CacheSize bytes, are read into
    the cache.

The rule in 3 treats the crash of a single write as the only way the end of
the log can be damaged. Two consequences are accepted and fail loudly rather
than silently: a crash that persisted a later page of the final write but not
an earlier one, or a torn entry whose own data happens to contain a valid
record frame, makes Open report ErrCorrupt although nothing acknowledged was
lost; the operator can inspect and truncate the named file.

# Compaction

Compact(i) deletes whole segments only: every segment older than the one
holding entry i+1 (or the current segment, if i is the last index). The
current segment is never deleted. FirstIndex then reflects what is kept,
which may be lower than i+1; Entries and Term answer raft.ErrCompacted only
below it. This is allowed by the raft.Storage contract: compaction is a
promise that raft no longer needs the entries, not that they are gone.

# Concurrency

All methods are safe for concurrent use. Mutations are serialized; readers
wait only while a mutation updates memory and hands its bytes to the
operating system (and while a full segment is synced before rolling), not
during the batch's fsync. A batch's entries are visible to readers once
written, before the fsync; raft relies on them only after Save returns.
Entries returned from the cache are shared with the storage and must not be
modified, as the raft.Storage contract states; Save keeps the entries it is
given, so the caller must not modify them either.
*/
package wal
