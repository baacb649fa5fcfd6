//go:build unix

package mmap

import (
	"os"

	"golang.org/x/sys/unix"
)

// mapFile maps the first size bytes of f. MAP_SHARED with PROT_READ lets every
// process that runs the same artifact share one copy of the pages in the page
// cache. The mapping outlives f's descriptor, so the caller may close f.
func mapFile(f *os.File, size int) (*Mapping, error) {
	data, err := unix.Mmap(int(f.Fd()), 0, size, unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, err
	}
	return &Mapping{data: data, unmap: func() error { return unix.Munmap(data) }}, nil
}
