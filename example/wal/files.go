package wal

import (
	"fmt"
	"os"
	"path/filepath"

	pb "github.com/raftcore/raft/raftpb"
)

// syncDir makes the directory's entries (created, renamed and removed
// files) durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: syncing directory %s: %w", dir, err)
	}
	return nil
}

// writeSnapshotFile writes snap atomically and returns the file's path. The
// record goes to a temporary file that is synced and then renamed into
// place, and the directory is synced: a crash leaves either no snapshot
// file or a complete one (and perhaps a temporary file, which Open
// removes).
func writeSnapshotFile(dir string, snap *pb.Snapshot, sync bool) (string, error) {
	buf, err := appendMessageRecord(nil, recSnapshot, snap)
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, snapName(snap.Metadata.Term, snap.Metadata.Index))
	tmp := path + tmpSuffix
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return "", fmt.Errorf("wal: creating snapshot: %w", err)
	}
	_, err = f.Write(buf)
	if err == nil && sync {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return "", fmt.Errorf("wal: writing snapshot %s: %w", path, err)
	}
	if sync {
		if err := syncDir(dir); err != nil {
			return "", err
		}
	}
	return path, nil
}

// readSnapshotFile reads and verifies a snapshot file. Any damage is a
// *CorruptError: snapshot files are written atomically, so unlike the tail
// of the log they cannot be legitimately torn.
func readSnapshotFile(path string) (pb.Snapshot, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return pb.Snapshot{}, fmt.Errorf("wal: reading snapshot: %w", err)
	}
	corrupt := func(reason string) error {
		return &CorruptError{File: path, Offset: -1, Reason: reason}
	}
	typ, payload, n, err := decodeFrame(data)
	if err != nil {
		return pb.Snapshot{}, corrupt(err.Error())
	}
	if typ != recSnapshot || n != len(data) {
		return pb.Snapshot{}, corrupt(fmt.Sprintf("expected one snapshot record, found type %d of %d/%d bytes", typ, n, len(data)))
	}
	var snap pb.Snapshot
	if err := snap.Unmarshal(payload); err != nil {
		return pb.Snapshot{}, corrupt(fmt.Sprintf("decoding snapshot: %v", err))
	}
	term, index, _ := parseSnapName(filepath.Base(path))
	if snap.Metadata.Term != term || snap.Metadata.Index != index {
		return pb.Snapshot{}, corrupt(fmt.Sprintf("holds snapshot %d/%d", snap.Metadata.Index, snap.Metadata.Term))
	}
	return snap, nil
}
