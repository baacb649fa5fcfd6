package sysmem

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// read asks sysctl: hw.memsize is the physical memory; free, speculative,
// purgeable and file-backed pageable pages are what macOS hands out
// before it compresses or swaps. Where a page count is missing (older or
// newer releases name them differently) Available falls back to Total, so
// that a wrong guess never refuses a model that fits.
func read() (Info, error) {
	total, err := unix.SysctlUint64("hw.memsize")
	if err != nil {
		return Info{}, fmt.Errorf("sysmem: sysctl hw.memsize: %w", err)
	}
	info := Info{Total: int64(total), Available: int64(total), Source: "sysctl hw.memsize"}
	var pages uint64
	for _, name := range []string{"vm.page_free_count", "vm.page_speculative_count", "vm.page_purgeable_count", "vm.page_pageable_external_count"} {
		n, err := unix.SysctlUint32(name)
		if err != nil {
			return info, nil
		}
		pages += uint64(n)
	}
	if avail := int64(pages) * int64(unix.Getpagesize()); avail > 0 && avail < info.Total {
		info.Available = avail
		info.Source = "sysctl hw.memsize and vm.page_*_count"
	}
	return info, nil
}
