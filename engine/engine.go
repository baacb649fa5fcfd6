// Package engine turns tokens into tokens: it loads a GGUF into a model, a
// tokenizer and a backend, and runs sequences through them (prefill, decode
// steps, sampling), reporting timings.
package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kiln-llm/kiln/backends"
	"github.com/kiln-llm/kiln/backends/cpu"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/engine/sample"
	"github.com/kiln-llm/kiln/engine/tokenizer"
)

// Options configure Load.
type Options struct {
	Threads int // worker threads (0: one per CPU)
	Context int // positions per sequence (0: the model's trained length, at most 4096)
	Batch   int // tokens per forward pass during prefill (0: 512)
}

// Engine is a loaded model ready to run sequences.
type Engine struct {
	File      *gguf.File
	Model     model.Model
	Tokenizer *tokenizer.Tokenizer
	Backend   backends.Backend
	Context   int
	Batch     int
}

// DefaultContext caps the context when the model's trained length is larger,
// so that a default start does not reserve gigabytes of KV cache.
const DefaultContext = 4096

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
	return &Engine{File: f, Model: m, Tokenizer: tok, Backend: b, Context: ctx, Batch: batch}, nil
}

// Close releases the backend (not the file).
func (e *Engine) Close() { e.Backend.Close() }

// Sequence is one conversation's state: its tokens and KV cache.
type Sequence struct {
	e      *Engine
	state  *model.State
	tokens []int32
	logits []float32 // of the last token evaluated
}

// NewSequence allocates a sequence with the engine's context length.
func (e *Engine) NewSequence() *Sequence {
	cfg := e.Model.Config()
	return &Sequence{e: e, state: model.NewState(cfg, e.Context, e.Batch), logits: make([]float32, cfg.Vocab)}
}

// Tokens returns the tokens evaluated so far.
func (s *Sequence) Tokens() []int32 { return s.tokens }

// Logits returns the logits after the last evaluated token.
func (s *Sequence) Logits() []float32 { return s.logits }

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
		chunk := ids[i:min(i+s.e.Batch, len(ids))]
		var err error
		if all != nil {
			out := all[i*vocab : (i+len(chunk))*vocab]
			err = s.e.Model.Forward(s.state, chunk, len(s.tokens), out, true)
			copy(s.logits, out[(len(chunk)-1)*vocab:])
		} else {
			err = s.e.Model.Forward(s.state, chunk, len(s.tokens), s.logits, false)
		}
		if err != nil {
			return err
		}
		s.tokens = append(s.tokens, chunk...)
	}
	return nil
}

// Params control one generation.
type Params struct {
	Sample    sample.Params
	MaxTokens int  // stop after this many (<= 0: until the context is full)
	IgnoreEOS bool // keep going past end-of-generation tokens (benchmarks)
}

// Stats are the timings of one generation.
type Stats struct {
	PromptTokens   int
	PromptDuration time.Duration
	Generated      int
	GenDuration    time.Duration
	FirstToken     time.Duration // from the call to the first generated token
	StopReason     string        // "stop" (end of generation), "length" or "cancel"
}

// Generate evaluates prompt on a fresh sequence and samples up to
// p.MaxTokens tokens, calling emit with each; emit returning false stops.
func (e *Engine) Generate(ctx context.Context, prompt []int32, p Params, emit func(id int32) bool) (Stats, error) {
	var st Stats
	if len(prompt) == 0 {
		return st, errors.New("engine: empty prompt")
	}
	if len(prompt) >= e.Context {
		return st, fmt.Errorf("engine: prompt of %d tokens does not fit the context of %d (leave room for at least one generated token)", len(prompt), e.Context)
	}
	seq := e.NewSequence()
	start := time.Now()
	if err := seq.Eval(prompt, nil); err != nil {
		return st, err
	}
	st.PromptTokens = len(prompt)
	st.PromptDuration = time.Since(start)
	sampler := sample.New(p.Sample)
	genStart := time.Now()
	st.StopReason = "length"
	for {
		if err := ctx.Err(); err != nil {
			st.StopReason = "cancel"
			break
		}
		id := sampler.Sample(seq.logits, seq.tokens)
		if st.Generated == 0 {
			st.FirstToken = time.Since(start)
		}
		if !p.IgnoreEOS && e.Tokenizer.IsEOG(id) {
			st.StopReason = "stop"
			break
		}
		st.Generated++
		if !emit(id) {
			st.StopReason = "stop"
			break
		}
		if p.MaxTokens > 0 && st.Generated >= p.MaxTokens {
			break
		}
		if len(seq.tokens) >= e.Context {
			break
		}
		if err := seq.Eval([]int32{id}, nil); err != nil {
			return st, err
		}
	}
	st.GenDuration = time.Since(genStart)
	return st, nil
}
