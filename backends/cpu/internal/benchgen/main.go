// Command benchgen writes GGUF files with the shapes and weight-type mixes of
// real small models (Llama-3.2-1B, Qwen2.5-0.5B) but random weights, so that
// the CPU backend can be benchmarked at full size without downloading
// anything. The quantized blocks are random bytes with scales chosen to keep
// activations in a normal range; the numbers are meaningless, the memory
// traffic and arithmetic are those of the real files.
//
//	go run ./backends/cpu/internal/benchgen -o /tmp/kiln-bench
//
// It is a stopgap until the project's own bench-model synthesizer exists.
package main

import (
	"compress/gzip"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quant"
)

// shape is a model's hyper-parameters.
type shape struct {
	arch                        string
	dim, layers, heads, kv, ffn int
	vocab                       int
	ropeBase                    float32
	eps                         float32
	ctx                         int
	biases                      bool
	tokenizer                   string // golden vocab file to copy tokenizer.* keys from
}

var (
	llama1B = shape{arch: "llama", dim: 2048, layers: 16, heads: 32, kv: 8, ffn: 8192, vocab: 128256,
		ropeBase: 500000, eps: 1e-5, ctx: 131072, tokenizer: "llama3-bpe.vocab.gguf.gz"}
	qwen05B = shape{arch: "qwen2", dim: 896, layers: 24, heads: 14, kv: 2, ffn: 4864, vocab: 151936,
		ropeBase: 1e6, eps: 1e-6, ctx: 32768, biases: true, tokenizer: "llama3-qwen2pre.vocab.gguf.gz"}
)

// mix picks the type of each 2-D tensor, the way llama_tensor_get_type does
// for the file types used here.
type mix func(name string, layer, layers, cols int) ggml.Type

// useMoreBits is llama.cpp's use_more_bits: the first and last eighth of the
// layers and every third one between get the bigger type in _M mixes.
func useMoreBits(i, n int) bool {
	return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2
}

// fallback is what llama.cpp uses when a row is not a whole number of
// K-quant super-blocks.
func fallback(t ggml.Type, cols int) ggml.Type {
	if cols%ggml.QK_K == 0 {
		return t
	}
	switch t {
	case ggml.Q4_K:
		return ggml.Q5_0
	case ggml.Q5_K:
		return ggml.Q5_1
	case ggml.Q6_K:
		return ggml.Q8_0
	}
	return t
}

func q4KM(name string, layer, layers, cols int) ggml.Type {
	t := ggml.Q4_K
	switch {
	case name == "token_embd.weight", name == "output.weight":
		t = ggml.Q6_K
	case strings.HasSuffix(name, "attn_v.weight"), strings.HasSuffix(name, "ffn_down.weight"):
		if useMoreBits(layer, layers) {
			t = ggml.Q6_K
		}
	}
	return fallback(t, cols)
}

func q8_0(string, int, int, int) ggml.Type { return ggml.Q8_0 }

func main() {
	out := flag.String("o", "/tmp/kiln-bench", "output `DIR`")
	golden := flag.String("golden", "../shared/testdata", "golden testdata `DIR` (for the tokenizer vocabularies)")
	only := flag.String("only", "", "write only the file with this `NAME`")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	files := []struct {
		name string
		s    shape
		m    mix
	}{
		{"llama3.2-1b-q4_k_m.gguf", llama1B, q4KM},
		{"llama3.2-1b-q8_0.gguf", llama1B, q8_0},
		{"qwen2.5-0.5b-q4_k_m.gguf", qwen05B, q4KM},
	}
	for _, f := range files {
		if *only != "" && *only != f.name {
			continue
		}
		path := filepath.Join(*out, f.name)
		if err := write(path, filepath.Join(*golden, "tokenizer", f.s.tokenizer), f.s, f.m); err != nil {
			log.Fatalf("%s: %v", path, err)
		}
		st, _ := os.Stat(path)
		fmt.Printf("%s  %d bytes\n", path, st.Size())
	}
}

func write(path, vocabGz string, s shape, m mix) error {
	b := gguf.NewBuilder()
	set := func(k string, v any) {
		if err := b.Set(k, v); err != nil {
			log.Fatal(err)
		}
	}
	set("general.architecture", s.arch)
	set("general.name", strings.TrimSuffix(filepath.Base(path), ".gguf")+" (random weights)")
	set(s.arch+".context_length", uint32(s.ctx))
	set(s.arch+".embedding_length", uint32(s.dim))
	set(s.arch+".block_count", uint32(s.layers))
	set(s.arch+".feed_forward_length", uint32(s.ffn))
	set(s.arch+".attention.head_count", uint32(s.heads))
	set(s.arch+".attention.head_count_kv", uint32(s.kv))
	set(s.arch+".attention.layer_norm_rms_epsilon", s.eps)
	set(s.arch+".rope.freq_base", s.ropeBase)
	set(s.arch+".vocab_size", uint32(s.vocab))
	if err := copyTokenizer(b, vocabGz); err != nil {
		return err
	}

	rng := rand.New(rand.NewPCG(1, uint64(s.dim)))
	mat := func(name string, layer, rows, cols int) {
		t := m(name, layer, s.layers, cols)
		seed := rng.Uint64()
		err := b.AddTensorFunc(name, t, []int64{int64(cols), int64(rows)}, func(w io.Writer) error {
			return randomRows(w, t, rows, cols, seed)
		})
		if err != nil {
			log.Fatal(err)
		}
	}
	vec := func(name string, n int, v float32) {
		data := make([]byte, 4*n)
		for i := range n {
			binary.LittleEndian.PutUint32(data[4*i:], math.Float32bits(v))
		}
		if err := b.AddTensor(name, ggml.F32, []int64{int64(n)}, data); err != nil {
			log.Fatal(err)
		}
	}
	headDim := s.dim / s.heads
	mat("token_embd.weight", -1, s.vocab, s.dim)
	vec("output_norm.weight", s.dim, 1)
	if s.arch == "llama" {
		vec("rope_freqs.weight", headDim/2, 1)
	}
	for i := range s.layers {
		p := fmt.Sprintf("blk.%d.", i)
		vec(p+"attn_norm.weight", s.dim, 1)
		mat(p+"attn_q.weight", i, s.heads*headDim, s.dim)
		mat(p+"attn_k.weight", i, s.kv*headDim, s.dim)
		mat(p+"attn_v.weight", i, s.kv*headDim, s.dim)
		if s.biases {
			vec(p+"attn_q.bias", s.heads*headDim, 0)
			vec(p+"attn_k.bias", s.kv*headDim, 0)
			vec(p+"attn_v.bias", s.kv*headDim, 0)
		}
		mat(p+"attn_output.weight", i, s.dim, s.heads*headDim)
		vec(p+"ffn_norm.weight", s.dim, 1)
		mat(p+"ffn_gate.weight", i, s.ffn, s.dim)
		mat(p+"ffn_up.weight", i, s.ffn, s.dim)
		mat(p+"ffn_down.weight", i, s.dim, s.ffn)
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := b.WriteTo(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// copyTokenizer copies every tokenizer.* key of a golden vocabulary GGUF.
func copyTokenizer(b *gguf.Builder, gz string) error {
	in, err := os.Open(gz)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", gz, err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("%s: %w", gz, err)
	}
	f, err := gguf.Parse(raw)
	if err != nil {
		return fmt.Errorf("%s: %w", gz, err)
	}
	for _, kv := range f.KV {
		if strings.HasPrefix(kv.Key, "tokenizer.") {
			if err := b.Set(kv.Key, kv.Value); err != nil {
				return err
			}
		}
	}
	return nil
}

// randomRows writes rows×cols values of t as random blocks whose scales
// give weights of roughly unit variance per output (std 1/sqrt(cols)).
func randomRows(w io.Writer, t ggml.Type, rows, cols int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 7))
	rowBytes, err := t.RowSize(int64(cols))
	if err != nil {
		return err
	}
	ts := t.TypeSize()
	buf := make([]byte, rowBytes)
	put := func(b []byte, f float32) { binary.LittleEndian.PutUint16(b, quant.FP32ToFP16(f)) }
	for range rows {
		for i := 0; i+8 <= len(buf); i += 8 {
			binary.LittleEndian.PutUint64(buf[i:], rng.Uint64())
		}
		for o := 0; o < len(buf); o += ts {
			blk := buf[o : o+ts]
			switch t {
			case ggml.Q4_K:
				// value = d*sc*q - dmin*m, sc and m up to 63, q up to 15.
				put(blk[0:], 1.5e-4)
				put(blk[2:], 1.1e-3)
			case ggml.Q6_K:
				// value = d*sc*(q-32); keep the int8 scales small.
				for j := range 16 {
					blk[192+j] = byte(int8(rng.IntN(17) - 8))
				}
				put(blk[208:], 2.5e-4)
			case ggml.Q8_0:
				put(blk[0:], 3e-4)
			case ggml.Q5_0, ggml.Q4_0:
				put(blk[0:], 1.5e-3)
			default:
				return fmt.Errorf("benchgen: no random blocks for %v", t)
			}
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
