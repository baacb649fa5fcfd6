package quantize

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// types plans src with o and returns each tensor's chosen type by name.
func types(t *testing.T, src *memSource, o Options) map[string]ggml.Type {
	t.Helper()
	p, err := newPlan(src, o)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]ggml.Type{}
	for _, tr := range p.report.Tensors {
		m[tr.Name] = tr.To
	}
	return m
}

// layersOf lists the layers whose tensor blk.N.<suffix> has type typ.
func layersOf(m map[string]ggml.Type, layers int, suffix string, typ ggml.Type) []int {
	var ls []int
	for l := range layers {
		if m[fmt.Sprintf("blk.%d.%s", l, suffix)] == typ {
			ls = append(ls, l)
		}
	}
	return ls
}

func TestUseMoreBits(t *testing.T) {
	for _, tc := range []struct {
		n    int
		want []int
	}{
		{2, []int{1}},
		{4, []int{2, 3}},
		{16, []int{0, 1, 4, 7, 10, 13, 14, 15}},
		{24, []int{0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23}},
	} {
		var got []int
		for i := range tc.n {
			if useMoreBits(i, tc.n) {
				got = append(got, i)
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("use_more_bits over %d layers: %v, want %v", tc.n, got, tc.want)
		}
	}
}

// The mixtures of the benchmark models described in the testdata README,
// which llama.cpp quantized: Llama-3.2-1B's shape is tied and 2048 wide;
// Qwen2.5-0.5B's 896-wide rows force the fallbacks.
func TestMixtureBenchShapes(t *testing.T) {
	llama := shape{arch: "llama", dim: 2048, layers: 16, heads: 32, kvHeads: 8, ffn: 8192, vocab: 128256, tied: true}
	m := types(t, llama.source(), Options{Recipe: "Q4_K_M"})
	more := []int{0, 1, 4, 7, 10, 13, 14, 15}
	if m["token_embd.weight"] != ggml.Q6_K {
		t.Errorf("llama1b token_embd: %v, want Q6_K", m["token_embd.weight"])
	}
	for _, s := range []string{"attn_v.weight", "ffn_down.weight"} {
		if got := layersOf(m, 16, s, ggml.Q6_K); !reflect.DeepEqual(got, more) {
			t.Errorf("llama1b %s Q6_K in layers %v, want %v", s, got, more)
		}
	}
	for _, s := range []string{"attn_q.weight", "attn_k.weight", "attn_output.weight", "ffn_gate.weight", "ffn_up.weight"} {
		if got := layersOf(m, 16, s, ggml.Q4_K); len(got) != 16 {
			t.Errorf("llama1b %s Q4_K in layers %v, want all", s, got)
		}
	}

	qwen := shape{arch: "qwen2", dim: 896, layers: 24, heads: 14, kvHeads: 2, ffn: 4864, vocab: 151936, tied: true}
	p, err := newPlan(qwen.source(), Options{Recipe: "Q4_K_M"})
	if err != nil {
		t.Fatal(err)
	}
	m = map[string]ggml.Type{}
	for _, tr := range p.report.Tensors {
		m[tr.Name] = tr.To
	}
	more = []int{0, 1, 2, 5, 8, 11, 14, 17, 20, 21, 22, 23}
	if m["token_embd.weight"] != ggml.Q8_0 {
		t.Errorf("qwen token_embd: %v, want Q8_0", m["token_embd.weight"])
	}
	if got := layersOf(m, 24, "attn_v.weight", ggml.Q8_0); !reflect.DeepEqual(got, more) {
		t.Errorf("qwen attn_v Q8_0 (Q6_K fallback) in layers %v, want %v", got, more)
	}
	if got := layersOf(m, 24, "attn_v.weight", ggml.Q5_0); len(got) != 24-len(more) {
		t.Errorf("qwen attn_v Q5_0 (Q4_K fallback) in layers %v", got)
	}
	if got := layersOf(m, 24, "ffn_down.weight", ggml.Q6_K); !reflect.DeepEqual(got, more) {
		t.Errorf("qwen ffn_down Q6_K in layers %v, want %v", got, more)
	}
	if got := layersOf(m, 24, "ffn_down.weight", ggml.Q4_K); len(got) != 24-len(more) {
		t.Errorf("qwen ffn_down Q4_K in layers %v", got)
	}
	if got := layersOf(m, 24, "ffn_up.weight", ggml.Q5_0); len(got) != 24 {
		t.Errorf("qwen ffn_up Q5_0 in layers %v, want all", got)
	}
	// Six of the seven matrices of a layer have 896-wide rows (ffn_down's
	// are 4864 wide); token_embd's Q8_0 comes from the output rule itself,
	// not from the fallback.
	if want := 24 * 6; p.report.Fallbacks != want {
		t.Errorf("qwen: %d fallbacks, want %d", p.report.Fallbacks, want)
	}
}

// Each recipe's rules, on a 32-layer untied llama with GQA 4 and one
// tensor of every kind the rules name.
func TestMixtureRecipes(t *testing.T) {
	s := shape{arch: "llama", dim: 512, layers: 32, heads: 8, kvHeads: 2, ffn: 1024, vocab: 512,
		extra: []string{"blk.0.attn_qkv.weight"}}
	type want struct {
		name  string
		typ   ggml.Type
		count int // how many layers (-1: the single tensor name)
	}
	for _, tc := range []struct {
		recipe string
		want   []want
	}{
		{"Q2_K", []want{{"attn_v.weight", ggml.Q4_K, 32}, {"ffn_down.weight", ggml.Q3_K, 32}, {"attn_output.weight", ggml.Q3_K, 32},
			{"attn_q.weight", ggml.Q2_K, 32}, {"output.weight", ggml.Q6_K, -1}, {"token_embd.weight", ggml.Q2_K, -1}}},
		{"Q3_K_S", []want{{"attn_v.weight", ggml.Q3_K, 32}, {"ffn_down.weight", ggml.Q3_K, 32}, {"output.weight", ggml.Q6_K, -1}}},
		{"Q3_K_M", []want{{"attn_v.weight", ggml.Q5_K, 2}, {"attn_v.weight", ggml.Q4_K, 30}, {"ffn_down.weight", ggml.Q5_K, 2},
			{"ffn_down.weight", ggml.Q4_K, 30}, {"attn_output.weight", ggml.Q4_K, 32}, {"blk.0.attn_qkv.weight", ggml.Q4_K, -1}}},
		{"Q3_K_L", []want{{"attn_v.weight", ggml.Q5_K, 32}, {"ffn_down.weight", ggml.Q5_K, 32}, {"attn_output.weight", ggml.Q5_K, 32}}},
		{"Q4_K_S", []want{{"attn_v.weight", ggml.Q5_K, 4}, {"attn_v.weight", ggml.Q4_K, 28}, {"ffn_down.weight", ggml.Q5_K, 4},
			{"attn_q.weight", ggml.Q4_K, 32}}},
		{"Q4_K_M", []want{{"attn_v.weight", ggml.Q6_K, 16}, {"ffn_down.weight", ggml.Q6_K, 16}, {"blk.0.attn_qkv.weight", ggml.Q5_K, -1}}},
		{"Q5_K_S", []want{{"attn_v.weight", ggml.Q5_K, 32}, {"ffn_down.weight", ggml.Q5_K, 32}, {"output.weight", ggml.Q6_K, -1}}},
		{"Q5_K_M", []want{{"attn_v.weight", ggml.Q6_K, 16}, {"ffn_down.weight", ggml.Q6_K, 16}, {"blk.0.attn_qkv.weight", ggml.Q6_K, -1}}},
		{"Q6_K", []want{{"attn_v.weight", ggml.Q6_K, 32}, {"output.weight", ggml.Q6_K, -1}, {"token_embd.weight", ggml.Q6_K, -1}}},
		{"Q8_0", []want{{"attn_v.weight", ggml.Q8_0, 32}, {"output.weight", ggml.Q8_0, -1}}},
		{"Q4_0", []want{{"attn_v.weight", ggml.Q4_0, 32}, {"output.weight", ggml.Q6_K, -1}, {"token_embd.weight", ggml.Q4_0, -1}}},
		{"IQ4_NL", []want{{"attn_v.weight", ggml.Q5_K, 32}, {"ffn_down.weight", ggml.Q5_K, 4}, {"ffn_down.weight", ggml.IQ4_NL, 28}}},
		{"F16", []want{{"attn_v.weight", ggml.F16, 32}, {"output.weight", ggml.F16, -1}, {"output_norm.weight", ggml.F32, -1}}},
	} {
		t.Run(tc.recipe, func(t *testing.T) {
			m := types(t, s.source(), Options{Recipe: tc.recipe})
			for _, w := range tc.want {
				if w.count < 0 {
					if m[w.name] != w.typ {
						t.Errorf("%s: %v, want %v", w.name, m[w.name], w.typ)
					}
					continue
				}
				if got := layersOf(m, 32, w.name, w.typ); len(got) != w.count {
					t.Errorf("%s is %v in %d layers %v, want %d", w.name, w.typ, len(got), got, w.count)
				}
			}
		})
	}
}

// Rules that depend on the architecture or the size: falcon, 70B, and
// eight experts.
func TestMixtureSpecialModels(t *testing.T) {
	big := shape{arch: "llama", dim: 256, layers: 80, heads: 8, kvHeads: 1, ffn: 256, vocab: 256}
	m := types(t, big.source(), Options{Recipe: "Q4_K_S"})
	if got := layersOf(m, 80, "attn_v.weight", ggml.Q5_K); len(got) != 80 {
		t.Errorf("70B Q4_K_S: attn_v Q5_K in %d layers, want all 80", len(got))
	}
	mha := big
	mha.kvHeads = 8 // a 65B: no GQA, not a 70B
	m = types(t, mha.source(), Options{Recipe: "Q4_K_S"})
	if got := layersOf(m, 80, "attn_v.weight", ggml.Q5_K); len(got) != 4 {
		t.Errorf("65B Q4_K_S: attn_v Q5_K in %d layers, want 4", len(got))
	}

	falcon := shape{arch: "falcon", dim: 256, layers: 16, heads: 4, kvHeads: 4, ffn: 256, vocab: 256}
	m = types(t, falcon.source(), Options{Recipe: "Q4_K_M"})
	if m["output.weight"] != ggml.Q8_0 {
		t.Errorf("falcon output: %v, want Q8_0", m["output.weight"])
	}
	if got := layersOf(m, 16, "ffn_down.weight", ggml.Q6_K); !reflect.DeepEqual(got, []int{0}) {
		t.Errorf("falcon ffn_down Q6_K in layers %v, want [0]", got)
	}
	if got := layersOf(m, 16, "ffn_down.weight", ggml.Q5_K); !reflect.DeepEqual(got, []int{1, 4, 7, 10, 13, 14, 15}) {
		t.Errorf("falcon ffn_down Q5_K in layers %v", got)
	}

	moe := shape{arch: "llama", dim: 256, layers: 4, heads: 4, kvHeads: 1, ffn: 256, vocab: 256, experts: 8}
	m = types(t, moe.source(), Options{Recipe: "Q4_K_M"})
	for _, s := range []string{"attn_v.weight", "attn_k.weight"} {
		if got := layersOf(m, 4, s, ggml.Q8_0); len(got) != 4 {
			t.Errorf("8 experts: %s Q8_0 in layers %v, want all", s, got)
		}
	}
	if got := layersOf(m, 4, "attn_output.weight", ggml.Q5_K); len(got) != 4 {
		t.Errorf("8 experts: attn_output Q5_K in layers %v, want all", got)
	}
	moe.extra = []string{"ffn_down_shexp.weight"}
	if _, err := newPlan(moe.source(), Options{Recipe: "Q4_K_M"}); err == nil || !strings.Contains(err.Error(), "ffn_down_shexp.weight") {
		t.Errorf("an expert tensor without a layer: error %v, want one naming the tensor", err)
	}
}

// Pure gives every weight the plain type, 1-D tensors and norms excepted.
func TestPure(t *testing.T) {
	s := shape{arch: "llama", dim: 256, layers: 2, heads: 4, kvHeads: 2, ffn: 512, vocab: 256}
	m := types(t, s.source(), Options{Recipe: "Q4_K_M", Pure: true})
	for name, typ := range m {
		want := ggml.Q4_K
		if strings.HasSuffix(name, "_norm.weight") {
			want = ggml.F32
		}
		if typ != want {
			t.Errorf("%s: %v, want %v", name, typ, want)
		}
	}
	// --pure has no fallback: 896-wide rows cannot be Q4_K.
	s.dim = 896
	s.heads = 7
	s.kvHeads = 7
	_, err := newPlan(s.source(), Options{Recipe: "Q4_K", Pure: true})
	if err == nil || !strings.Contains(err.Error(), "896") || !strings.Contains(err.Error(), "tensor \"") {
		t.Errorf("pure Q4_K of 896-wide rows: error %v, want one naming the tensor and the row length", err)
	}
}

func TestQuantizable(t *testing.T) {
	for _, tc := range []struct {
		name string
		dims []int64
		want bool
	}{
		{"blk.0.attn_q.weight", []int64{256, 256}, true},
		{"blk.0.attn_norm.weight", []int64{256}, false},
		{"blk.0.attn_q.bias", []int64{256}, false},
		{"blk.0.attn_q_norm.weight", []int64{64, 4}, false},
		{"rope_freqs.weight", []int64{32}, false},
		{"blk.0.ffn_gate_inp.weight", []int64{256, 8}, false},
		{"position_embd.weight", []int64{256, 512}, false},
		{"token_types.weight", []int64{256, 2}, false},
		{"blk.0.ssm_conv1d.weight", []int64{4, 256}, false},
		{"v.position_embd.weight", []int64{256, 256}, false},
		{"blk.0.attn_q.weight", []int64{256, 1}, false}, // ggml_n_dims is 1
		{"blk.0.ffn_up_exps.weight", []int64{256, 512, 8}, true},
	} {
		if got := quantizable(tc.name, tc.dims); got != tc.want {
			t.Errorf("quantizable(%q, %v) = %v, want %v", tc.name, tc.dims, got, tc.want)
		}
	}
}

func TestBlockNumberAndOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		ok   bool
	}{
		{"blk.0.attn_q.weight", 0, true},
		{"blk.12.ffn_up.weight", 12, true},
		{"blk.7", 7, true},
		{"blk. 3.x", 3, true},
		{"blk.-2.x", -2, true},
		{"blk.x", 0, false},
		{"token_embd.weight", 0, false},
		{"blk.99999999999.x", 1<<31 - 1, true},
	} {
		if n, ok := blockNumber(tc.name); n != tc.n || ok != tc.ok {
			t.Errorf("blockNumber(%q) = %d, %v; want %d, %v", tc.name, n, ok, tc.n, tc.ok)
		}
	}
	s := shape{arch: "llama", dim: 256, layers: 11, heads: 4, kvHeads: 2, ffn: 256, vocab: 256}
	src := s.source()
	var got []string
	for _, i := range outputOrder(src.tensors) {
		got = append(got, src.tensors[i].Name)
	}
	want := []string{"output.weight", "output_norm.weight", "token_embd.weight",
		"blk.0.attn_k.weight", "blk.0.attn_norm.weight", "blk.0.attn_output.weight", "blk.0.attn_q.weight",
		"blk.0.attn_v.weight", "blk.0.ffn_down.weight", "blk.0.ffn_gate.weight", "blk.0.ffn_norm.weight", "blk.0.ffn_up.weight"}
	if !reflect.DeepEqual(got[:len(want)], want) {
		t.Errorf("order starts %v, want %v", got[:len(want)], want)
	}
	// Layers sort by number, not as strings: blk.2 before blk.10.
	if got[3+9*2] != "blk.2.attn_k.weight" || got[len(got)-9] != "blk.10.attn_k.weight" {
		t.Errorf("layer order wrong: %v", got)
	}
}
