package quant

import (
	"runtime"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// cpuClock measures the CPU time of the benchmark's thread, which on a
// machine shared with other work says more about a kernel than wall time.
type cpuClock struct{ start time.Duration }

func threadCPU() time.Duration {
	const clockThreadCPUTimeID = 3
	var ts syscall.Timespec
	syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTimeID, uintptr(unsafe.Pointer(&ts)), 0)
	return time.Duration(ts.Nano())
}

func startCPU() cpuClock {
	runtime.LockOSThread()
	return cpuClock{threadCPU()}
}

// report adds the throughput per CPU-second as a metric.
func (c cpuClock) report(b *testing.B, bytes int) {
	c.reportUnit(b, float64(bytes)/1e6, "MB/cpu-s")
}

// reportUnit adds work per op (in unit) per CPU-second as a metric.
func (c cpuClock) reportUnit(b *testing.B, work float64, unit string) {
	d := threadCPU() - c.start
	runtime.UnlockOSThread()
	if d > 0 {
		b.ReportMetric(work*float64(b.N)/d.Seconds(), unit)
	}
}
