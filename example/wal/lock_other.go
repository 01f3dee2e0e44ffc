//go:build !unix

package wal

import (
	"fmt"
	"os"
)

// lockDir creates dir/LOCK. Without flock there is no exclusion on this
// platform: the caller must not open one directory twice.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("wal: opening lock file: %w", err)
	}
	return f, nil
}
