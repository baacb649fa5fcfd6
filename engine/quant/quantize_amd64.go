package quant

//go:noescape
func quantQ8KAVX512(x *float32, out *byte, pairs *int16) bool

// quantQ8KVec is the vector form of q8KSigma's conversion.
func quantQ8KVec(x *float32, out *byte, pairs *int16) bool { return quantQ8KAVX512(x, out, pairs) }

//go:noescape
func quantQ8_0AVX512(x *float32, nb int, q *byte, d *float32, sum *int32) int

// quantQ8_0Vec is the vector form of quantQ8_0Blocks's conversion.
func quantQ8_0Vec(x *float32, nb int, q *byte, d *float32, sum *int32) int {
	return quantQ8_0AVX512(x, nb, q, d, sum)
}
