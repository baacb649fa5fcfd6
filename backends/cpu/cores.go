package cpu

import (
	"os"
	"runtime"
	"strconv"
	"strings"
)

// PhysicalCores is the number of physical cores the process may use: SMT
// siblings share one core's vector units and memory port, so a second
// thread on them slows a memory-bound matrix product down. Where the
// topology cannot be read it is runtime.NumCPU.
func PhysicalCores() int {
	n := runtime.NumCPU()
	if runtime.GOOS != "linux" {
		return n
	}
	seen := map[string]bool{}
	for cpu := 0; cpu < 4096 && len(seen) < n; cpu++ {
		b, err := os.ReadFile("/sys/devices/system/cpu/cpu" + strconv.Itoa(cpu) + "/topology/thread_siblings_list")
		if err != nil {
			if cpu == 0 {
				return n
			}
			continue
		}
		seen[strings.TrimSpace(string(b))] = true
	}
	if len(seen) == 0 || len(seen) > n {
		return n
	}
	return len(seen)
}
