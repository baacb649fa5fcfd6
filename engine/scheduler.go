package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/engine/sample"
)

// Params control one request.
type Params struct {
	Sample    sample.Params
	MaxTokens int  // stop after this many generated tokens (<= 0: until the context is full)
	IgnoreEOS bool // keep going past end-of-generation tokens (benchmarks)
	Logprobs  int  // report each token's log-probability and this many alternatives (-1 or 0 with !WantLogprob: none)
	// WantLogprob asks for the chosen token's log-probability.
	WantLogprob bool
}

// Request is one generation (or embedding) for the Scheduler.
type Request struct {
	Prompt []int32
	Params Params
	// Embed asks for the mean-pooled, L2-normalised final hidden state of
	// the prompt instead of a generation.
	Embed bool
}

// Token is one generated token.
type Token struct {
	ID      int32
	Logprob float32     // when Params.WantLogprob
	Top     []Candidate // the Params.Logprobs most likely tokens at this step
}

// Candidate is an alternative token and its log-probability.
type Candidate struct {
	ID      int32
	Logprob float32
}

// Result is what a finished request reports.
type Result struct {
	PromptTokens   int
	CachedTokens   int // prompt tokens reused from a previous request's cache
	Generated      int
	Queued         time.Duration // waiting for a free slot
	PromptDuration time.Duration // evaluating the prompt
	GenDuration    time.Duration // from the first to the last generated token
	FirstToken     time.Duration // from Submit to the first generated token
	StopReason     string        // "stop" (end of generation or caller), "length", "cancel"
	Embedding      []float32
}

// Errors Submit returns before running anything.
var (
	ErrQueueFull = errors.New("engine: too many requests waiting")
	ErrClosed    = errors.New("engine: scheduler closed")
)

// PromptTooLongError says a prompt does not fit the context.
type PromptTooLongError struct{ Tokens, Context int }

func (e *PromptTooLongError) Error() string {
	return fmt.Sprintf("the prompt is %d tokens but the context holds %d (including at least one generated token)", e.Tokens, e.Context)
}

// Scheduler runs requests on one engine with a fixed number of slots. One
// goroutine builds every forward pass from the next step of each active
// slot: a decode token, or a chunk of a prompt (continuous batching). A slot
// keeps its KV cache between requests, and a new request goes to the free
// slot whose cached tokens share the longest prefix with its prompt.
type Scheduler struct {
	e        *Engine
	slots    []*slot
	incoming chan *job
	maxQueue int64
	queued   atomic.Int64
	active   atomic.Int64
	closing  chan struct{}
	stopped  chan struct{}
	once     sync.Once
}

type slot struct {
	seq     *Sequence
	job     *job
	pending []int32 // prompt tokens not yet evaluated
	next    int32   // the sampled token to evaluate next (decoding)
	decode  bool
	sampler *sample.Sampler
	pooled  []float64 // embedding sum
}

type job struct {
	ctx      context.Context
	req      Request
	out      chan Token
	res      Result
	err      error
	finished chan struct{}
	submit   time.Time
	admitted time.Time
	genStart time.Time
	// callerStop records that emit returned false, so the request ends as
	// "stop" rather than "cancel".
	callerStop atomic.Bool
}

// NewScheduler starts a scheduler with slots concurrent sequences and at
// most maxQueue requests waiting for one.
func NewScheduler(e *Engine, slots, maxQueue int) *Scheduler {
	s := &Scheduler{e: e, incoming: make(chan *job), maxQueue: int64(maxQueue),
		closing: make(chan struct{}), stopped: make(chan struct{})}
	for range max(slots, 1) {
		s.slots = append(s.slots, &slot{seq: e.NewSequence()})
	}
	go s.loop()
	return s
}

// Slots is the number of concurrent sequences.
func (s *Scheduler) Slots() int { return len(s.slots) }

// Active is the number of requests running now.
func (s *Scheduler) Active() int { return int(s.active.Load()) }

// Queued is the number of requests waiting for a slot.
func (s *Scheduler) Queued() int { return int(s.queued.Load()) }

// Close stops the scheduler; running requests end with "cancel".
func (s *Scheduler) Close() {
	s.once.Do(func() { close(s.closing) })
	<-s.stopped
}

// Submit runs r and calls emit with each generated token from the calling
// goroutine; emit returning false stops the generation ("stop"). Cancelling
// ctx stops it too ("cancel"). It returns once the slot is free again.
func (s *Scheduler) Submit(ctx context.Context, r Request, emit func(Token) bool) (Result, error) {
	if len(r.Prompt) == 0 {
		return Result{}, errors.New("engine: empty prompt")
	}
	limit := s.e.Context - 1
	if r.Embed {
		limit = s.e.Context
	}
	if len(r.Prompt) > limit {
		return Result{}, &PromptTooLongError{Tokens: len(r.Prompt), Context: s.e.Context}
	}
	vocab := int32(s.e.Model.Config().Vocab)
	for _, id := range r.Prompt {
		if id < 0 || id >= vocab {
			return Result{}, fmt.Errorf("engine: token id %d out of range [0, %d)", id, vocab)
		}
	}
	if s.queued.Add(1)+s.active.Load() > s.maxQueue+int64(len(s.slots)) {
		s.queued.Add(-1)
		return Result{}, ErrQueueFull
	}
	callerCtx := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	j := &job{ctx: ctx, req: r, out: make(chan Token, s.e.Context+1), finished: make(chan struct{}), submit: time.Now()}
	select {
	case s.incoming <- j:
	case <-s.closing:
		s.queued.Add(-1)
		return Result{}, ErrClosed
	}
	delivered, cancelled := 0, false
	for tok := range j.out {
		if j.callerStop.Load() || cancelled {
			continue // drain what the loop produced before it saw the stop
		}
		if callerCtx.Err() != nil {
			cancelled = true
			continue
		}
		delivered++
		if !emit(tok) {
			j.callerStop.Store(true)
			cancel()
		}
	}
	<-j.finished
	// The loop may have run ahead of emit: the request ended where the
	// caller stopped or cancelled it.
	switch {
	case j.callerStop.Load():
		j.res.StopReason, j.res.Generated = "stop", delivered
	case cancelled || (callerCtx.Err() != nil && j.res.StopReason == "cancel"):
		j.res.StopReason, j.res.Generated = "cancel", delivered
	}
	return j.res, j.err
}

// loop is the scheduler's goroutine.
func (s *Scheduler) loop() {
	defer close(s.stopped)
	var waiting []*job
	for {
		if s.activeSlots() == 0 && len(waiting) == 0 {
			select {
			case j := <-s.incoming:
				waiting = append(waiting, j)
			case <-s.closing:
				return
			}
		}
		// Take whatever else arrived without blocking.
	drain:
		for {
			select {
			case j := <-s.incoming:
				waiting = append(waiting, j)
			case <-s.closing:
				s.cancelAll(waiting)
				return
			default:
				break drain
			}
		}
		waiting = s.admit(waiting)
		if err := s.step(); err != nil {
			for _, sl := range s.slots {
				if sl.job != nil {
					s.finish(sl, "", err)
				}
			}
		}
		// The backend's threads occupy every processor during a step and
		// spin between steps, and this loop never blocks while requests
		// run: without a yield the goroutines that stream tokens to
		// clients would wait for the runtime's 10 ms preemption, and
		// tokens would reach clients in bursts.
		runtime.Gosched()
	}
}

func (s *Scheduler) activeSlots() int {
	n := 0
	for _, sl := range s.slots {
		if sl.job != nil {
			n++
		}
	}
	return n
}

// admit moves waiting jobs into free slots, dropping cancelled ones.
func (s *Scheduler) admit(waiting []*job) []*job {
	kept := waiting[:0]
	for _, j := range waiting {
		if j.ctx.Err() != nil {
			s.queued.Add(-1)
			j.res.StopReason = "cancel"
			close(j.out)
			close(j.finished)
			continue
		}
		sl := s.bestSlot(j.req.Prompt)
		if sl == nil {
			kept = append(kept, j)
			continue
		}
		s.queued.Add(-1)
		s.active.Add(1)
		j.admitted = time.Now()
		j.res.Queued = j.admitted.Sub(j.submit)
		j.res.PromptTokens = len(j.req.Prompt)
		keep := commonPrefix(sl.seq.tokens, j.req.Prompt)
		if j.req.Embed {
			keep = 0 // pooling needs the hidden state of every prompt token
		}
		keep = min(keep, len(j.req.Prompt)-1) // the last prompt token must run to give logits
		sl.seq.Truncate(keep)
		j.res.CachedTokens = keep
		sl.job, sl.pending, sl.decode = j, j.req.Prompt[keep:], false
		sl.sampler = sample.New(j.req.Params.Sample)
		if j.req.Embed {
			sl.pooled = make([]float64, s.e.Model.Config().Dim)
		}
	}
	return kept
}

// bestSlot is the free slot sharing the longest prefix with prompt.
func (s *Scheduler) bestSlot(prompt []int32) *slot {
	var best *slot
	bestLen := -1
	for _, sl := range s.slots {
		if sl.job != nil {
			continue
		}
		if n := commonPrefix(sl.seq.tokens, prompt); n > bestLen {
			best, bestLen = sl, n
		}
	}
	return best
}

func commonPrefix(a, b []int32) int {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n
}

// step runs one forward pass over every active slot and handles its output.
func (s *Scheduler) step() error {
	cfg := s.e.Model.Config()
	budget := s.e.Batch
	var chunks []model.Chunk
	var owners []*slot
	var hidden [][]float32
	// Decoding slots first: one token each keeps their latency steady while
	// prompts stream in with the rest of the batch.
	for _, sl := range s.slots {
		if sl.job == nil || !sl.decode {
			continue
		}
		if sl.job.ctx.Err() != nil {
			s.finish(sl, "cancel", nil)
			continue
		}
		chunks = append(chunks, model.Chunk{Cache: sl.seq.cache, Tokens: []int32{sl.next}, Pos: len(sl.seq.tokens), Logits: sl.seq.logits})
		owners = append(owners, sl)
		hidden = append(hidden, nil)
		budget--
	}
	for _, sl := range s.slots {
		if sl.job == nil || sl.decode || budget <= 0 {
			continue
		}
		if sl.job.ctx.Err() != nil {
			s.finish(sl, "cancel", nil)
			continue
		}
		n := min(len(sl.pending), budget)
		ch := model.Chunk{Cache: sl.seq.cache, Tokens: sl.pending[:n], Pos: len(sl.seq.tokens)}
		var h []float32
		switch {
		case sl.job.req.Embed:
			h = make([]float32, n*cfg.Dim)
			ch.Hidden = h
		case n == len(sl.pending):
			ch.Logits = sl.seq.logits
		}
		chunks = append(chunks, ch)
		owners = append(owners, sl)
		hidden = append(hidden, h)
		budget -= n
	}
	if len(chunks) == 0 {
		return nil
	}
	if err := s.e.forward(chunks); err != nil {
		return err
	}
	for i, sl := range owners {
		ch := chunks[i]
		sl.seq.tokens = append(sl.seq.tokens, ch.Tokens...)
		if !sl.decode {
			sl.pending = sl.pending[len(ch.Tokens):]
			if sl.job.req.Embed {
				for r := 0; r < len(ch.Tokens); r++ {
					for d, v := range hidden[i][r*cfg.Dim : (r+1)*cfg.Dim] {
						sl.pooled[d] += float64(v)
					}
				}
				if len(sl.pending) == 0 {
					sl.job.res.PromptDuration = time.Since(sl.job.admitted)
					sl.job.res.Embedding = normalize(sl.pooled, len(sl.job.req.Prompt))
					s.finish(sl, "stop", nil)
				}
				continue
			}
			if len(sl.pending) > 0 {
				continue
			}
			sl.job.res.PromptDuration = time.Since(sl.job.admitted)
			sl.job.genStart = time.Now()
		}
		s.sampleNext(sl)
	}
	return nil
}

// sampleNext draws the slot's next token from its logits and decides
// whether the request goes on.
func (s *Scheduler) sampleNext(sl *slot) {
	j := sl.job
	p := j.req.Params
	var tok Token
	if p.WantLogprob || p.Logprobs > 0 {
		tok.Top = topLogprobs(sl.seq.logits, p.Logprobs) // before penalties, as OpenAI reports
	}
	lp := logSoftmaxOf(sl.seq.logits, p.WantLogprob)
	id := sl.sampler.Sample(sl.seq.logits, sl.seq.tokens)
	tok.ID = id
	if lp != nil {
		tok.Logprob = lp(id)
	}
	if j.res.Generated == 0 {
		j.res.FirstToken = time.Since(j.submit)
	}
	if !p.IgnoreEOS && s.e.Tokenizer.IsEOG(id) {
		s.finish(sl, "stop", nil)
		return
	}
	j.res.Generated++
	j.out <- tok
	switch {
	case p.MaxTokens > 0 && j.res.Generated >= p.MaxTokens:
		s.finish(sl, "length", nil)
	case len(sl.seq.tokens) >= s.e.Context:
		s.finish(sl, "length", nil)
	default:
		sl.next, sl.decode = id, true
	}
}

// finish ends the slot's job and frees the slot (its cache stays).
func (s *Scheduler) finish(sl *slot, reason string, err error) {
	j := sl.job
	switch {
	case j.callerStop.Load():
		reason = "stop"
	case j.ctx.Err() != nil && err == nil:
		reason = "cancel"
	}
	j.res.StopReason = reason
	if !j.genStart.IsZero() {
		j.res.GenDuration = time.Since(j.genStart)
	}
	j.err = err
	close(j.out)
	close(j.finished)
	sl.job, sl.pending, sl.decode, sl.pooled = nil, nil, false, nil
	s.active.Add(-1)
}

func (s *Scheduler) cancelAll(waiting []*job) {
	for _, sl := range s.slots {
		if sl.job != nil {
			s.finish(sl, "cancel", nil)
		}
	}
	for _, j := range waiting {
		s.queued.Add(-1)
		j.res.StopReason = "cancel"
		close(j.out)
		close(j.finished)
	}
}

// normalize turns a sum of n hidden states into their L2-normalised mean.
func normalize(sum []float64, n int) []float32 {
	var norm float64
	for i := range sum {
		sum[i] /= float64(n)
		norm += sum[i] * sum[i]
	}
	norm = math.Sqrt(norm)
	out := make([]float32, len(sum))
	for i, v := range sum {
		if norm > 0 {
			v /= norm
		}
		out[i] = float32(v)
	}
	return out
}

// logSoftmaxOf returns a function giving log p(id) under logits, or nil.
func logSoftmaxOf(logits []float32, want bool) func(int32) float32 {
	if !want {
		return nil
	}
	lse := logSumExp(logits)
	return func(id int32) float32 { return float32(float64(logits[id]) - lse) }
}

func logSumExp(logits []float32) float64 {
	m := math.Inf(-1)
	for _, v := range logits {
		m = math.Max(m, float64(v))
	}
	var sum float64
	for _, v := range logits {
		sum += math.Exp(float64(v) - m)
	}
	return m + math.Log(sum)
}

// topLogprobs returns the n most likely tokens, most likely first.
func topLogprobs(logits []float32, n int) []Candidate {
	if n <= 0 {
		return nil
	}
	lse := logSumExp(logits)
	top := make([]Candidate, 0, n+1)
	for i, v := range logits {
		if len(top) == n && v <= top[n-1].Logprob {
			continue
		}
		c := Candidate{ID: int32(i), Logprob: v}
		k := len(top)
		top = append(top, c)
		for k > 0 && top[k-1].Logprob < c.Logprob {
			top[k] = top[k-1]
			k--
		}
		top[k] = c
		if len(top) > n {
			top = top[:n]
		}
	}
	for i := range top {
		top[i].Logprob = float32(float64(top[i].Logprob) - lse)
	}
	return top
}
