// Package engine turns tokens into tokens: it loads a GGUF into a model, a
// tokenizer and a backend, and runs sequences through them, either one at a
// time (Sequence: the CLI, perplexity, tests) or many at once through the
// Scheduler, which batches the next step of every active request into one
// forward pass.
package engine

import (
	"errors"
	"fmt"
	"sync"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/backends/cpu"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/kv"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/engine/tokenizer"
)

// Options configure Load.
type Options struct {
	Threads int // worker threads (0: one per CPU)
	Context int // positions per sequence (0: the model's trained length, at most DefaultContext)
	Batch   int // tokens per forward call (0: 512)
	// MicroBatch is the most tokens one pass of a forward call evaluates
	// (0: DefaultMicroBatch): the scratch memory is sized for it.
	MicroBatch int
}

// DefaultMicroBatch is the pass size when Options leave it out. Passes of
// 128 tokens prefill within 1.5% of one 512-token pass (BenchmarkPrefill,
// 1B Llama Q4_K_M: the weights are read four times instead of once, their
// first use in a pass prefetched) with a quarter of the scratch memory.
const DefaultMicroBatch = 128

// DefaultContext caps the context when the model's trained length is larger,
// so that a default start does not reserve gigabytes of KV cache.
const DefaultContext = 4096

// Engine is a loaded model ready to run sequences.
type Engine struct {
	File      *gguf.File
	Model     model.Model
	Tokenizer *tokenizer.Tokenizer
	Backend   backends.Backend
	Context   int // positions per sequence
	Batch     int // tokens per forward call
	// MicroBatch is the most tokens of one pass: a forward call of more
	// runs in several.
	MicroBatch int

	mu      sync.Mutex // one forward pass at a time: it owns scratch and the backend
	scratch *model.Scratch
}

// Load builds an engine over f. f must stay open while the engine is used:
// the weights alias its mapping.
func Load(f *gguf.File, o Options) (*Engine, error) {
	tok, err := tokenizer.FromGGUF(f)
	if err != nil {
		return nil, err
	}
	b := cpu.New(o.Threads)
	m, err := model.Load(f, b)
	if err != nil {
		b.Close()
		return nil, err
	}
	cfg := m.Config()
	if tok.NumTokens() > cfg.Vocab {
		b.Close()
		return nil, fmt.Errorf("engine: tokenizer has %d tokens but the model's embedding only %d rows", tok.NumTokens(), cfg.Vocab)
	}
	ctx := o.Context
	if ctx <= 0 {
		ctx = cfg.ContextLen
		if ctx <= 0 || ctx > DefaultContext {
			ctx = DefaultContext
		}
	}
	batch := o.Batch
	if batch <= 0 {
		batch = 512
	}
	batch = min(batch, ctx)
	micro := o.MicroBatch
	if micro <= 0 {
		micro = DefaultMicroBatch
	}
	micro = min(micro, batch)
	return &Engine{File: f, Model: m, Tokenizer: tok, Backend: b, Context: ctx, Batch: batch, MicroBatch: micro,
		scratch: model.NewScratch(cfg, micro)}, nil
}

// Close releases the backend (not the file).
func (e *Engine) Close() { e.Backend.Close() }

// KVBytes is the memory one sequence's KV cache takes.
func (e *Engine) KVBytes() int64 {
	c := e.Model.Config()
	return kv.Bytes(c.Layers, e.Context, c.KVDim())
}

// forward runs one batch of chunks.
func (e *Engine) forward(chunks []model.Chunk) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return model.Forward(e.Model, e.scratch, chunks)
}

// Sequence is one token stream and its KV cache, driven by one goroutine.
type Sequence struct {
	e      *Engine
	cache  *kv.Cache
	tokens []int32
	logits []float32 // after the last evaluated token
}

// NewSequence allocates a sequence with the engine's context length.
func (e *Engine) NewSequence() *Sequence {
	cfg := e.Model.Config()
	return &Sequence{e: e, cache: model.NewCache(cfg, e.Context), logits: make([]float32, cfg.Vocab)}
}

// Tokens returns the tokens evaluated so far.
func (s *Sequence) Tokens() []int32 { return s.tokens }

// Logits returns the logits after the last evaluated token.
func (s *Sequence) Logits() []float32 { return s.logits }

// Truncate forgets every token from position n on, keeping the cache of the
// first n (a prefix shared with the next prompt).
func (s *Sequence) Truncate(n int) {
	if n < len(s.tokens) {
		s.tokens = s.tokens[:n]
		s.cache.Truncate(n)
	}
}

// ErrContextFull is returned when a sequence has no room for more tokens.
var ErrContextFull = errors.New("context is full")

// Eval runs ids after the tokens already in the sequence, in batches. When
// all is non-nil it receives the logits of every id, row-major
// [len(ids)][vocab]; the last row is always available through Logits.
func (s *Sequence) Eval(ids []int32, all []float32) error {
	vocab := s.e.Model.Config().Vocab
	if len(s.tokens)+len(ids) > s.e.Context {
		return fmt.Errorf("%w: %d tokens in a context of %d", ErrContextFull, len(s.tokens)+len(ids), s.e.Context)
	}
	for i := 0; i < len(ids); i += s.e.Batch {
		chunk := model.Chunk{Cache: s.cache, Tokens: ids[i:min(i+s.e.Batch, len(ids))], Pos: len(s.tokens)}
		if all != nil {
			chunk.All = true
			chunk.Logits = all[i*vocab : (i+len(chunk.Tokens))*vocab]
		} else if i+s.e.Batch >= len(ids) {
			chunk.Logits = s.logits
		}
		if err := s.e.forward([]model.Chunk{chunk}); err != nil {
			return err
		}
		if all != nil {
			copy(s.logits, chunk.Logits[(len(chunk.Tokens)-1)*vocab:])
		}
		s.tokens = append(s.tokens, chunk.Tokens...)
	}
	return nil
}
