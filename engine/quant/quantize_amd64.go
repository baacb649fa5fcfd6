package quant

//go:noescape
func quantQ8KAVX512(x *float32, out *byte, pairs *int16) bool

// quantQ8KVec is the vector form of q8KSigma's conversion.
func quantQ8KVec(x *float32, out *byte, pairs *int16) bool { return quantQ8KAVX512(x, out, pairs) }
