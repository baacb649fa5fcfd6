// Package sysmem reports how much physical memory the machine has and how
// much of it a process can still take without swapping or being killed,
// so that the stub can refuse a model that will not fit before it starts
// instead of dying halfway through loading it.
package sysmem

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Info is the machine's memory in bytes.
type Info struct {
	// Total is the physical memory (or the container's limit, when lower).
	Total int64
	// Available is what new allocations can take now: free memory plus
	// caches the kernel can drop (Linux's MemAvailable). Where the OS does
	// not say, it equals Total.
	Available int64
	// Source names where the figures come from, for messages.
	Source string
}

// ErrUnsupported is returned by Read on platforms it cannot query.
var ErrUnsupported = errors.New("sysmem: memory size unknown on this platform")

// Read returns the machine's memory now.
func Read() (Info, error) { return read() }

// parseMeminfo reads MemTotal and MemAvailable (in kB) from a
// /proc/meminfo. Kernels before 3.14 have no MemAvailable; then free,
// buffers and page cache stand in for it.
func parseMeminfo(r io.Reader) (Info, error) {
	vals := map[string]int64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) == 0 {
			continue
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || n < 0 || n > 1<<50 {
			return Info{}, fmt.Errorf("sysmem: /proc/meminfo: %s: bad value %q", key, f[0])
		}
		vals[key] = n << 10
	}
	if err := sc.Err(); err != nil {
		return Info{}, fmt.Errorf("sysmem: /proc/meminfo: %w", err)
	}
	total, ok := vals["MemTotal"]
	if !ok || total == 0 {
		return Info{}, errors.New("sysmem: /proc/meminfo has no MemTotal")
	}
	avail, ok := vals["MemAvailable"]
	if !ok {
		avail = vals["MemFree"] + vals["Buffers"] + vals["Cached"]
	}
	return Info{Total: total, Available: min(avail, total), Source: "/proc/meminfo"}, nil
}

// applyCgroup lowers info to a cgroup v2 limit: memory.max ("max" for
// none) and the group's current use, memory.current. A container's OOM
// killer acts on that limit, whatever the host has free.
func applyCgroup(info Info, max, current string) Info {
	max, current = strings.TrimSpace(max), strings.TrimSpace(current)
	limit, err := strconv.ParseInt(max, 10, 64)
	if err != nil || limit <= 0 || limit >= info.Total {
		return info
	}
	used, err := strconv.ParseInt(current, 10, 64)
	if err != nil || used < 0 {
		used = 0
	}
	info.Total = limit
	info.Available = min(info.Available, max64(limit-used, 0))
	info.Source += " and the cgroup's memory.max"
	return info
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}
