//go:build !amd64

package quant

// quantQ8KVec has no vector form here; vecConversion stays false.
func quantQ8KVec(x *float32, out *byte, pairs *int16) bool { return false }
