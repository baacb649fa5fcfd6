package sysmem

import (
	"fmt"
	"os"
)

func read() (Info, error) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return Info{}, fmt.Errorf("sysmem: %w", err)
	}
	defer f.Close()
	info, err := parseMeminfo(f)
	if err != nil {
		return Info{}, err
	}
	max, err1 := os.ReadFile("/sys/fs/cgroup/memory.max")
	cur, err2 := os.ReadFile("/sys/fs/cgroup/memory.current")
	if err1 == nil && err2 == nil {
		info = applyCgroup(info, string(max), string(cur))
	}
	return info, nil
}
