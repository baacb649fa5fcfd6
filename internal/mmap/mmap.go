// Package mmap maps a file read-only into memory, so that a model's weights
// are paged in by the operating system on first use instead of being copied
// into the Go heap. Where the platform has no mapping call it falls back to
// reading the whole file, with the same API.
package mmap

import (
	"fmt"
	"math"
	"os"
)

// Mapping is a read-only view of a whole file. Its bytes must not be written
// to (on most platforms that faults) and must not be used after Close.
type Mapping struct {
	data []byte
	// unmap releases the platform's mapping; nil for an empty file or the
	// read-into-memory fallback.
	unmap func() error
}

// Open maps the file at path read-only. An empty file gives a Mapping with no
// bytes (the platforms refuse a mapping of length 0). Directories and other
// files that are not regular files are refused, since their size says
// nothing about their contents.
func Open(path string) (*Mapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("mmap: %w", err)
	}
	if st.IsDir() {
		return nil, fmt.Errorf("mmap: %s: is a directory", path)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("mmap: %s: not a regular file (mode %v)", path, st.Mode())
	}
	size := st.Size()
	if size == 0 {
		return &Mapping{data: []byte{}}, nil
	}
	if size < 0 || uint64(size) > math.MaxInt {
		return nil, fmt.Errorf("mmap: %s: size %d does not fit in this platform's address space", path, size)
	}
	m, err := mapFile(f, int(size))
	if err != nil {
		return nil, fmt.Errorf("mmap: %s: %w", path, err)
	}
	return m, nil
}

// Bytes returns the file's contents. The slice is read-only and is valid
// until Close; it is nil after Close.
func (m *Mapping) Bytes() []byte { return m.data }

// Len returns the file's size in bytes (0 after Close).
func (m *Mapping) Len() int { return len(m.data) }

// Close releases the mapping. Calling it again does nothing.
func (m *Mapping) Close() error {
	unmap := m.unmap
	m.data, m.unmap = nil, nil
	if unmap == nil {
		return nil
	}
	if err := unmap(); err != nil {
		return fmt.Errorf("mmap: unmap: %w", err)
	}
	return nil
}
