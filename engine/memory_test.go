package engine

import (
	"runtime"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/kv"
	"github.com/kiln-llm/kiln/engine/model"
)

func TestEstimateMemoryShape(t *testing.T) {
	c := &model.Config{Dim: 2048, Layers: 16, Heads: 32, KVHeads: 8, HeadDim: 64, FFN: 8192, Vocab: 128256, ContextLen: 131072}
	for _, tc := range []struct {
		name       string
		ctx, slots int
		wantCtx    int
	}{
		{"default context is capped", 0, 1, DefaultContext},
		{"explicit context", 1024, 1, 1024},
		{"four slots", 1024, 4, 1024},
		{"zero slots count as one", 1024, 0, 1024},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := EstimateMemory(c, 1<<30, tc.ctx, 0, tc.slots)
			if want := int64(max(tc.slots, 1)) * kv.Bytes(c.Layers, tc.wantCtx, c.KVDim()); m.KV != want {
				t.Errorf("KV = %d, want %d", m.KV, want)
			}
			if m.Weights != 1<<30 || m.Total() != m.Weights+m.KV+m.Scratch || m.Heap() != m.KV+m.Scratch {
				t.Errorf("inconsistent %+v", m)
			}
			if m.Scratch <= 0 || m.Scratch > 2<<30 {
				t.Errorf("scratch %d implausible", m.Scratch)
			}
		})
	}
	if got := AllLogitsBytes(c, 0); got != DefaultMicroBatch*int64(c.Vocab)*4 {
		t.Errorf("AllLogitsBytes = %d, want a default pass of %d rows", got, DefaultMicroBatch)
	}
	// Llama-3.2-1B at 4096 tokens: the KV cache llama.cpp reports, 128 MiB.
	if got := EstimateMemory(c, 0, 4096, 0, 1).KV; got != 128<<20 {
		t.Errorf("1B-shaped KV at 4096 tokens = %d, want 128 MiB", got)
	}
}

// TestMemoryCoversAllocations loads the demo model, runs a prompt with
// every position's logits, and checks that the estimate of the memory
// that must stay resident is not below what the Go heap grew by.
func TestMemoryCoversAllocations(t *testing.T) {
	f, err := gguf.Open("../testdata/tolstoy-4m-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	e, err := Load(f, Options{Context: 256, Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	s := e.NewSequence()
	ids := make([]int32, 64)
	for i := range ids {
		ids[i] = int32(i + 1)
	}
	all := make([]float32, len(ids)*e.Model.Config().Vocab)
	if err := s.Eval(ids, all); err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	grew := int64(after.TotalAlloc - before.TotalAlloc)
	m := e.Memory(1)
	m.Scratch += AllLogitsBytes(e.Model.Config(), e.MicroBatch)
	if m.KV != e.KVBytes() {
		t.Errorf("KV %d, engine's KVBytes %d", m.KV, e.KVBytes())
	}
	t.Logf("heap allocated %d bytes; estimate: KV %d + scratch %d = %d (weights %d mapped)", grew, m.KV, m.Scratch, m.Heap(), m.Weights)
	if grew > m.Heap() {
		t.Errorf("the run allocated %d bytes, more than the estimated %d", grew, m.Heap())
	}
	runtime.KeepAlive(all)
}
