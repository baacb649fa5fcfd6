//go:build !linux

package quant

import "testing"

// cpuClock is a no-op where the thread CPU clock is not wired up.
type cpuClock struct{}

func startCPU() cpuClock { return cpuClock{} }

func (cpuClock) report(*testing.B, int) {}

func (cpuClock) reportUnit(*testing.B, float64, string) {}
