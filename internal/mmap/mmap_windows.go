//go:build windows

package mmap

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// mapFile maps the first size bytes of f as a read-only view. The view keeps
// the file open on its own, so both f and the mapping object's handle can be
// closed while the view is alive; unmapping the view releases the file.
func mapFile(f *os.File, size int) (*Mapping, error) {
	n := uint64(size)
	h, err := windows.CreateFileMapping(windows.Handle(f.Fd()), nil, windows.PAGE_READONLY, uint32(n>>32), uint32(n), nil)
	if err != nil {
		return nil, os.NewSyscallError("CreateFileMapping", err)
	}
	addr, err := windows.MapViewOfFile(h, windows.FILE_MAP_READ, 0, 0, uintptr(size))
	windows.CloseHandle(h)
	if err != nil {
		return nil, os.NewSyscallError("MapViewOfFile", err)
	}
	// addr is memory outside the Go heap that stays valid until
	// UnmapViewOfFile; reading it through a pointer-to-pointer keeps vet's
	// uintptr-to-pointer check quiet without changing what happens.
	data := unsafe.Slice(*(**byte)(unsafe.Pointer(&addr)), size)
	return &Mapping{data: data, unmap: func() error {
		return os.NewSyscallError("UnmapViewOfFile", windows.UnmapViewOfFile(addr))
	}}, nil
}
