package quantize

import (
	"fmt"
	"strings"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// llama_ftype values the mixture rules test.
const (
	ftQ2_K   = 10
	ftQ3_K_S = 11
	ftQ3_K_M = 12
	ftQ3_K_L = 13
	ftQ4_K_S = 14
	ftQ4_K_M = 15
	ftQ5_K_M = 17
	ftIQ4_NL = 25
)

// quantizable mirrors the tests llama_model_quantize_impl applies before
// choosing a type: only 2-D and larger tensors whose name ends in "weight",
// and never norms, MoE router weights, positional or token-type
// embeddings, or the small state-space and RWKV matrices that do not
// survive quantization.
func quantizable(name string, dims []int64) bool {
	if !strings.HasSuffix(name, "weight") || ggmlNDims(dims) < 2 {
		return false
	}
	if name == "position_embd.weight" || name == "token_types.weight" {
		return false
	}
	for _, s := range neverQuantized {
		if strings.Contains(name, s) {
			return false
		}
	}
	return true
}

// neverQuantized are the name fragments llama.cpp keeps in their source type.
var neverQuantized = []string{
	"_norm.weight", "ffn_gate_inp.weight", "altup", "laurel", "per_layer_model_proj",
	"ssm_conv1d.weight", "shortconv.conv.weight",
	"time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
	"time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
	"time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
	"time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
	"attn_rel_b.weight", ".position_embd.",
}

// ggmlNDims is ggml_n_dims: the number of dimensions once trailing
// dimensions of at most 1 are dropped, at least 1.
func ggmlNDims(dims []int64) int {
	for i := len(dims) - 1; i >= 1; i-- {
		if dims[i] > 1 {
			return i + 1
		}
	}
	return 1
}

// rules is llama.cpp's quantize_state_impl: the model facts and running
// counters that llama_tensor_get_type consults. Tensors must be offered to
// tensorType in output order, since the counters number them.
type rules struct {
	ftype     uint32
	arch      string
	nLayer    int
	nExpert   int // at least 1
	nGQA      int // heads per KV head in layer 0, 0 when unknown
	is70B     bool
	hasOutput bool // a separate output.weight exists (else token_embd is tied)

	nAttnV, iAttnV             int
	iFFNDown, iFFNGate, iFFNUp int
	nFallback                  int
}

// newRules reads the hyper-parameters the mixture rules need and counts the
// attention value tensors, as llama_model_quantize_impl does before its loop.
func newRules(ftype uint32, kv []gguf.KV, tensors []gguf.TensorInfo) (*rules, error) {
	md := metadata(kv)
	r := &rules{ftype: ftype, nExpert: 1}
	r.arch, _ = md.str("general.architecture")
	if r.arch == "" {
		return nil, fmt.Errorf("quantize: general.architecture missing: the mixture rules need the model's shape")
	}
	layers, ok := md.uint(r.arch + ".block_count")
	if !ok {
		return nil, fmt.Errorf("quantize: %s.block_count missing: the mixture rules need the layer count", r.arch)
	}
	if layers > 1<<20 {
		return nil, fmt.Errorf("quantize: %s.block_count = %d is implausible", r.arch, layers)
	}
	r.nLayer = int(layers)
	if n, ok := md.uint(r.arch + ".expert_count"); ok && n > 1 && n < 1<<20 {
		r.nExpert = int(n)
	}
	heads, _ := md.uint(r.arch + ".attention.head_count")
	headsKV, ok := md.uint(r.arch + ".attention.head_count_kv")
	if !ok {
		headsKV = heads // llama.cpp's default: no GQA
	}
	if headsKV > 0 {
		r.nGQA = int(heads / headsKV)
	}
	r.is70B = is70B(r.arch, r.nLayer, r.nExpert, heads, headsKV)
	for i := range tensors {
		name := tensors[i].Name
		if strings.Contains(name, "attn_v.weight") || strings.Contains(name, "attn_qkv.weight") ||
			strings.Contains(name, "attn_kv_b.weight") {
			r.nAttnV++
		} else if name == "output.weight" {
			r.hasOutput = true
		}
	}
	return r, nil
}

// is70B mirrors the cases of llama_model::load_hparams that classify a
// model as LLM_TYPE_70B (80 layers), the only size the rules look at.
func is70B(arch string, layers, experts int, heads, headsKV uint64) bool {
	if layers != 80 {
		return false
	}
	switch arch {
	case "llama":
		return experts != 8 && heads != headsKV
	case "qwen2", "deci", "olmo":
		return true
	}
	return false
}

// useMoreBits is llama.cpp's use_more_bits: the first and last eighth of the
// layers, and every third layer in between, get the larger type.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// layerInfo mirrors llama.cpp's layer_info lambda: the running counter is
// the layer, except in mixture-of-experts models, whose expert tensors are
// not consecutive, so the layer is read from the name.
func (r *rules) layerInfo(counter int, name string) (int, int, error) {
	if r.nExpert <= 1 {
		return counter, r.nLayer, nil
	}
	layer, ok := blockNumber(name)
	if !ok {
		return 0, 0, fmt.Errorf("quantize: tensor %q: cannot tell its layer from its name", name)
	}
	if layer < 0 || layer >= r.nLayer {
		return 0, 0, fmt.Errorf("quantize: tensor %q: layer %d outside [0, %d)", name, layer, r.nLayer)
	}
	return layer, r.nLayer, nil
}

// tensorType is llama_tensor_get_type for the recipes of recipe.go: the
// type that the mixture gives the tensor called name, whose default (the
// recipe's type) is typ, then the fallback when its rows do not split into
// that type's blocks. fallback reports that the fallback was taken.
func (r *rules) tensorType(name string, dims []int64, typ ggml.Type) (t ggml.Type, fallback bool, err error) {
	nx := dims[0]
	ft := r.ftype
	switch {
	// A tied token embedding is also the output matrix and is quantized
	// like one.
	case name == "output.weight" || (!r.hasOutput && name == "token_embd.weight"):
		if r.arch == "falcon" || nx%int64(typ.BlockSize()) != 0 {
			typ = ggml.Q8_0
		} else if typ != ggml.Q8_0 {
			typ = ggml.Q6_K
		}
	case name == "token_embd.weight" || name == "per_layer_token_embd.weight":
		// Only the importance-matrix recipes change the embedding.
	case strings.Contains(name, "attn_v.weight"):
		switch {
		case ft == ftQ2_K:
			typ = ggml.Q3_K
			if r.nGQA >= 4 {
				typ = ggml.Q4_K
			}
		case ft == ftQ3_K_M:
			typ = ggml.Q4_K
			if r.iAttnV < 2 {
				typ = ggml.Q5_K
			}
		case ft == ftQ3_K_L:
			typ = ggml.Q5_K
		case ft == ftIQ4_NL && r.nGQA >= 4:
			typ = ggml.Q5_K
		case (ft == ftQ4_K_M || ft == ftQ5_K_M) && useMoreBits(r.iAttnV, r.nAttnV):
			typ = ggml.Q6_K
		case ft == ftQ4_K_S && r.iAttnV < 4:
			typ = ggml.Q5_K
		}
		// In a 70B model eight heads share each attn_v, which is therefore
		// small: more bits cost little.
		if r.is70B && (typ == ggml.Q3_K || typ == ggml.Q4_K) {
			typ = ggml.Q5_K
		}
		if r.nExpert == 8 {
			typ = ggml.Q8_0
		}
		r.iAttnV++
	case strings.Contains(name, "attn_k.weight"):
		if r.nExpert == 8 {
			typ = ggml.Q8_0
		}
	case strings.Contains(name, "attn_q.weight"):
		// Only the IQ3 recipes change attn_q.
	case strings.Contains(name, "ffn_down"):
		i, n, err := r.layerInfo(r.iFFNDown, name)
		if err != nil {
			return 0, false, err
		}
		falcon := r.arch == "falcon"
		switch {
		case ft == ftQ2_K:
			typ = ggml.Q3_K
		case ft == ftQ3_K_M:
			switch {
			case i < n/16:
				typ = ggml.Q5_K
			case !falcon || useMoreBits(i, n):
				typ = ggml.Q4_K
			default:
				typ = ggml.Q3_K
			}
		case ft == ftQ3_K_L:
			typ = ggml.Q5_K
			if falcon {
				typ = ggml.Q4_K
			}
		case ft == ftQ4_K_M:
			if falcon {
				switch {
				case i < n/16:
					typ = ggml.Q6_K
				case useMoreBits(i, n):
					typ = ggml.Q5_K
				default:
					typ = ggml.Q4_K
				}
			} else if useMoreBits(i, n) {
				typ = ggml.Q6_K
			}
		case i < n/8 && ft == ftIQ4_NL:
			typ = ggml.Q5_K
		case ft == ftQ5_K_M && useMoreBits(i, n):
			typ = ggml.Q6_K
		case ft == ftQ4_K_S && !falcon && i < n/8:
			typ = ggml.Q5_K
		}
		r.iFFNDown++
	case strings.Contains(name, "attn_output.weight"):
		switch {
		case r.arch == "falcon":
			if ft == ftQ3_K_L {
				typ = ggml.Q4_K
			}
		case r.nExpert == 8:
			switch ft {
			case ftQ2_K, ftQ3_K_S, ftQ3_K_M, ftIQ4_NL, ftQ4_K_S, ftQ4_K_M:
				typ = ggml.Q5_K
			}
		case ft == ftQ2_K:
			typ = ggml.Q3_K
		case ft == ftQ3_K_M:
			typ = ggml.Q4_K
		case ft == ftQ3_K_L:
			typ = ggml.Q5_K
		}
	case strings.Contains(name, "attn_qkv.weight"):
		switch ft {
		case ftQ3_K_M, ftQ3_K_L:
			typ = ggml.Q4_K
		case ftQ4_K_M:
			typ = ggml.Q5_K
		case ftQ5_K_M:
			typ = ggml.Q6_K
		}
	case strings.Contains(name, "ffn_gate"):
		// Only IQ3_XS changes ffn_gate, but the layer check still applies.
		if _, _, err := r.layerInfo(r.iFFNGate, name); err != nil {
			return 0, false, err
		}
		r.iFFNGate++
	case strings.Contains(name, "ffn_up"):
		if _, _, err := r.layerInfo(r.iFFNUp, name); err != nil {
			return 0, false, err
		}
		r.iFFNUp++
	}

	if nx%int64(typ.BlockSize()) == 0 {
		return typ, false, nil
	}
	// The rows do not split into the type's blocks: llama.cpp falls back to
	// a type with 32-value blocks of about the same size, and to F16 when
	// even those do not fit.
	switch typ {
	case ggml.Q2_K, ggml.Q3_K, ggml.IQ4_XS, ggml.IQ2_XXS, ggml.IQ2_XS, ggml.IQ2_S,
		ggml.IQ3_XXS, ggml.IQ3_S, ggml.IQ1_S, ggml.IQ1_M:
		typ = ggml.IQ4_NL
	case ggml.Q4_K:
		typ = ggml.Q5_0
	case ggml.Q5_K:
		typ = ggml.Q5_1
	case ggml.Q6_K:
		typ = ggml.Q8_0
	case ggml.TQ1_0, ggml.TQ2_0:
		typ = ggml.Q4_0
	default:
		return 0, false, fmt.Errorf("quantize: tensor %q: rows of %d values are not a whole number of %v blocks of %d, and llama.cpp has no fallback type for %v",
			name, nx, typ, typ.BlockSize(), typ)
	}
	if nx%int64(typ.BlockSize()) != 0 {
		typ = ggml.F16
	}
	r.nFallback++
	return typ, true, nil
}
