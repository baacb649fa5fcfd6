package model

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/backends/cpu"
	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// A header that claims millions of layers must be refused before the
// loader allocates a layer struct for each of them.
func TestLoadImplausibleLayerCount(t *testing.T) {
	for _, arch := range []string{"llama", "qwen2", "qwen3"} {
		t.Run(arch, func(t *testing.T) {
			b := gguf.NewBuilder()
			for k, v := range map[string]any{
				"general.architecture":            arch,
				arch + ".embedding_length":        uint32(8),
				arch + ".block_count":             uint32(1 << 24),
				arch + ".attention.head_count":    uint32(2),
				arch + ".feed_forward_length":     uint32(16),
				arch + ".attention.head_count_kv": uint32(2),
			} {
				if err := b.Set(k, v); err != nil {
					t.Fatal(err)
				}
			}
			if err := b.AddTensor("token_embd.weight", ggml.F32, []int64{8, 4}, make([]byte, 8*4*4)); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if _, err := b.WriteTo(&buf); err != nil {
				t.Fatal(err)
			}
			f, err := gguf.Parse(buf.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			be := cpu.New(1)
			defer be.Close()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err = Load(f, be)
			runtime.ReadMemStats(&after)
			if got := after.TotalAlloc - before.TotalAlloc; got > 64<<20 {
				t.Errorf("Load allocated %d MiB before refusing the file", got>>20)
			}
			if err == nil || !strings.Contains(err.Error(), "block_count") {
				t.Fatalf("Load: err = %v, want one naming block_count", err)
			}
		})
	}
}
