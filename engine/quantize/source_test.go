package quantize

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// memSource is a Source of F32 tensors whose values are a pure function of
// (tensor, row, column), for tests that need no golden files.
type memSource struct {
	kv      []gguf.KV
	tensors []gguf.TensorInfo
	poison  map[string]float32 // tensor name → value written at [0,0]
}

func (s *memSource) Metadata() []gguf.KV        { return s.kv }
func (s *memSource) Tensors() []gguf.TensorInfo { return s.tensors }

func (s *memSource) ReadRows(i int, first int64, dst []byte) error {
	t := &s.tensors[i]
	if t.Type != ggml.F32 {
		return fmt.Errorf("memSource: tensor %q is %v", t.Name, t.Type)
	}
	n := t.Dims[0]
	for k := range int64(len(dst) / 4) {
		row, col := first+k/n, k%n
		r := rand.New(rand.NewPCG(uint64(i), uint64(row)<<32|uint64(col)))
		v := float32(r.NormFloat64())
		if p, ok := s.poison[t.Name]; ok && row == 0 && col == 0 {
			v = p
		}
		binary.LittleEndian.PutUint32(dst[4*k:], math.Float32bits(v))
	}
	return nil
}

// shape is a llama-like model for the mixture-rule tests.
type shape struct {
	arch                        string
	dim, layers, heads, kvHeads int
	ffn, vocab                  int
	tied                        bool
	experts                     int
	extra                       []string // more 2-D tensor names, dim×dim
}

// source builds the tensor table of s, in the order convert_hf_to_gguf
// writes it (token_embd, blocks, output_norm, output).
func (s shape) source() *memSource {
	hd := s.dim / s.heads
	kv := []gguf.KV{}
	set := func(k string, v any) {
		val, err := gguf.ValueOf(v)
		if err != nil {
			panic(err)
		}
		kv = append(kv, gguf.KV{Key: k, Value: val})
	}
	set("general.architecture", s.arch)
	set(s.arch+".block_count", uint32(s.layers))
	set(s.arch+".embedding_length", uint32(s.dim))
	set(s.arch+".attention.head_count", uint32(s.heads))
	set(s.arch+".attention.head_count_kv", uint32(s.kvHeads))
	if s.experts > 0 {
		set(s.arch+".expert_count", uint32(s.experts))
	}
	src := &memSource{kv: kv}
	add := func(name string, dims ...int64) {
		n := int64(1)
		for _, d := range dims {
			n *= d
		}
		src.tensors = append(src.tensors, gguf.TensorInfo{Name: name, Dims: dims, Type: ggml.F32, Size: 4 * n})
	}
	d, f := int64(s.dim), int64(s.ffn)
	add("token_embd.weight", d, int64(s.vocab))
	for l := range s.layers {
		b := fmt.Sprintf("blk.%d.", l)
		add(b+"attn_norm.weight", d)
		add(b+"attn_q.weight", d, int64(s.heads*hd))
		add(b+"attn_k.weight", d, int64(s.kvHeads*hd))
		add(b+"attn_v.weight", d, int64(s.kvHeads*hd))
		add(b+"attn_output.weight", int64(s.heads*hd), d)
		add(b+"ffn_norm.weight", d)
		add(b+"ffn_gate.weight", d, f)
		add(b+"ffn_up.weight", d, f)
		add(b+"ffn_down.weight", f, d)
	}
	for _, name := range s.extra {
		add(name, d, d)
	}
	add("output_norm.weight", d)
	if !s.tied {
		add("output.weight", d, int64(s.vocab))
	}
	return src
}
