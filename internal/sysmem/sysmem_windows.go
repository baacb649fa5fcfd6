package sysmem

import (
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
)

// memoryStatusEx is MEMORYSTATUSEX.
type memoryStatusEx struct {
	length               uint32
	memoryLoad           uint32
	totalPhys            uint64
	availPhys            uint64
	totalPageFile        uint64
	availPageFile        uint64
	totalVirtual         uint64
	availVirtual         uint64
	availExtendedVirtual uint64
}

var globalMemoryStatusEx = windows.NewLazySystemDLL("kernel32.dll").NewProc("GlobalMemoryStatusEx")

// read calls GlobalMemoryStatusEx: ullAvailPhys counts free and standby
// (cache) pages, what Task Manager shows as available.
func read() (Info, error) {
	var m memoryStatusEx
	m.length = uint32(unsafe.Sizeof(m))
	if r, _, err := globalMemoryStatusEx.Call(uintptr(unsafe.Pointer(&m))); r == 0 {
		return Info{}, fmt.Errorf("sysmem: GlobalMemoryStatusEx: %w", err)
	}
	return Info{Total: int64(m.totalPhys), Available: int64(m.availPhys), Source: "GlobalMemoryStatusEx"}, nil
}
