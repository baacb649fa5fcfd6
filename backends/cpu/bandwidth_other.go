//go:build !amd64

package cpu

func readSum(p []byte) uint64 { return readSumGeneric(p) }
