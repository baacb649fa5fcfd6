//go:build !amd64

package cpu

// cpuVecKernels is empty off amd64: the scalar code runs.
func cpuVecKernels() []*vecKernels { return nil }

// activeVecKernels is nil off amd64: the scalar code runs.
func activeVecKernels() *vecKernels { return nil }
