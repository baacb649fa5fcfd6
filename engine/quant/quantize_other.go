//go:build !amd64

package quant

// quantQ8KVec has no vector form here; hasVecConversion stays false.
func quantQ8KVec(x *float32, out *byte, pairs *int16) bool { return false }

// quantQ8_0Vec has no vector form here.
func quantQ8_0Vec(x *float32, nb int, q *byte, d *float32, sum *int32) int { return 0 }
