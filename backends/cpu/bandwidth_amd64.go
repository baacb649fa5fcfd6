package cpu

import "golang.org/x/sys/cpu"

//go:noescape
func readSumAVX2(p *byte, n int) uint64

// readSum streams p through the vector registers where the CPU has AVX2 (a
// byte-at-a-time loop would measure the core, not the memory).
func readSum(p []byte) uint64 {
	if cpu.X86.HasAVX2 && len(p) >= 256 {
		return readSumAVX2(&p[0], len(p)&^255)
	}
	return readSumGeneric(p)
}
