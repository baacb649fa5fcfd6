package quantize

import (
	"encoding/binary"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// halfScales gives, per block type, the byte offsets of the FP16 scales in
// a block: the fields ggml_validate_row_data checks.
var halfScales = map[ggml.Type][]int{
	ggml.Q4_0:   {0},
	ggml.Q5_0:   {0},
	ggml.Q8_0:   {0},
	ggml.IQ4_NL: {0},
	ggml.Q4_1:   {0, 2},
	ggml.Q5_1:   {0, 2},
	ggml.Q2_K:   {80, 82},
	ggml.Q3_K:   {108},
	ggml.Q4_K:   {0, 2},
	ggml.Q5_K:   {0, 2},
	ggml.Q6_K:   {208},
}

// firstInvalid mirrors ggml_validate_row_data, which llama.cpp runs on
// every quantized chunk and which fails the whole quantization: it returns
// the index of the first block (value, for the float types) holding an
// infinite or NaN scale or value, or -1 when all are finite.
func firstInvalid(t ggml.Type, data []byte) int {
	switch t {
	case ggml.F32:
		for i := 0; i+4 <= len(data); i += 4 {
			if binary.LittleEndian.Uint32(data[i:])&0x7f800000 == 0x7f800000 {
				return i / 4
			}
		}
	case ggml.F16:
		for i := 0; i+2 <= len(data); i += 2 {
			if binary.LittleEndian.Uint16(data[i:])&0x7c00 == 0x7c00 {
				return i / 2
			}
		}
	case ggml.BF16:
		for i := 0; i+2 <= len(data); i += 2 {
			if binary.LittleEndian.Uint16(data[i:])&0x7f80 == 0x7f80 {
				return i / 2
			}
		}
	default:
		offs := halfScales[t]
		size := t.TypeSize()
		for b := 0; size > 0 && (b+1)*size <= len(data); b++ {
			for _, o := range offs {
				if binary.LittleEndian.Uint16(data[b*size+o:])&0x7c00 == 0x7c00 {
					return b
				}
			}
		}
	}
	return -1
}
