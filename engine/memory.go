package engine

import (
	"runtime"

	"github.com/kiln-llm/kiln/engine/kv"
	"github.com/kiln-llm/kiln/engine/model"
)

// Memory is what running a model takes, in bytes.
type Memory struct {
	// Weights is the tensor data every token reads. It stays in the
	// file's mapping: the OS pages it in on first use and may drop it
	// again under pressure, at the price of reading it back from disk.
	Weights int64
	// KV is the key/value cache of every sequence slot, allocated when the
	// slots are made; like Scratch it must stay in memory.
	KV int64
	// Scratch estimates the working buffers (activations of one pass,
	// their quantized copies, attention scores and logits) and the
	// vocabulary's tables.
	Scratch int64
}

// Total is the sum of the three.
func (m Memory) Total() int64 { return m.Weights + m.KV + m.Scratch }

// Heap is the part that cannot be paged back to the file: what an
// out-of-memory killer counts against the process.
func (m Memory) Heap() int64 { return m.KV + m.Scratch }

// EstimateMemory returns the memory of a model of shape c whose forward
// pass reads weights bytes, run with slots sequences of ctx positions and
// passes of up to micro tokens (0: the defaults Load uses), with the
// logits of one position per slot; AllLogitsBytes is the extra for the
// logits of every position of a pass.
func EstimateMemory(c *model.Config, weights int64, ctx, micro, slots int) Memory {
	if ctx <= 0 {
		ctx = c.ContextLen
		if ctx <= 0 || ctx > DefaultContext {
			ctx = DefaultContext
		}
	}
	if micro <= 0 {
		micro = DefaultMicroBatch
	}
	micro = min(micro, ctx)
	slots = max(slots, 1)
	scratch := model.ScratchBytes(c, micro)
	// The widest activation row converted for a matrix product (at most
	// float32 for float weights), per token of a pass.
	scratch += int64(micro) * int64(max(c.Dim, c.FFN)) * 4
	// Attention: per thread, scores and their half-precision copy over
	// the whole context, and a float64 accumulator per head dimension.
	threads := int64(runtime.NumCPU())
	scratch += threads * (int64(ctx)*(4+2) + int64(c.HeadDim)*8)
	// Logits: one row per slot.
	scratch += int64(slots) * int64(c.Vocab) * 4
	// The vocabulary: the file's token and merge strings and the
	// tokenizer's maps built from them, measured at about 200 bytes per
	// token for Llama 3's (26 MB for 128,256 tokens).
	scratch += int64(c.Vocab) * vocabBytesPerToken
	return Memory{
		Weights: weights,
		KV:      int64(slots) * kv.Bytes(c.Layers, ctx, c.KVDim()),
		Scratch: scratch,
	}
}

// vocabBytesPerToken bounds the heap a vocabulary takes per token.
const vocabBytesPerToken = 256

// AllLogitsBytes is the scratch that the logits of every position of a
// pass of up to micro tokens (0: Load's default) take on top of
// EstimateMemory's, as --logits-out and perplexity ask for: for a large
// vocabulary, tens of megabytes.
func AllLogitsBytes(c *model.Config, micro int) int64 {
	if micro <= 0 {
		micro = DefaultMicroBatch
	}
	return int64(micro) * int64(c.Vocab) * 4
}

// Memory returns what the engine takes with slots sequences.
func (e *Engine) Memory(slots int) Memory {
	return EstimateMemory(e.Model.Config(), e.Model.Bytes(), e.Context, e.MicroBatch, slots)
}
