package engine

import (
	"context"
	"errors"
	"math"
	"testing"

	"github.com/kiln-llm/kiln/engine/gguf"
)

func loadTolstoy(t *testing.T) *Engine {
	t.Helper()
	f, err := gguf.Open("../testdata/tolstoy-4m-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	e, err := Load(f, Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// TestPerplexityProtocol checks the chunking: every target scored once,
// chunks independent (scoring a text twice gives the same result whatever
// the chunk boundaries of a shorter run).
func TestPerplexityProtocol(t *testing.T) {
	e := loadTolstoy(t)
	ids := e.Tokenizer.Encode("Prince Andrew looked at Pierre and said nothing. Natasha smiled.", false, false)
	ppl, err := e.Perplexity(ids, e.Tokenizer.BOS(), 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if math.IsNaN(ppl) || ppl < 1 || ppl > 2048 {
		t.Fatalf("perplexity %v is not plausible for a 2048-token vocabulary", ppl)
	}
	var seen int
	if _, err := e.Perplexity(ids, e.Tokenizer.BOS(), 8, func(done, total int) { seen = done }); err != nil || seen != len(ids) {
		t.Fatalf("progress reached %d of %d (err %v)", seen, len(ids), err)
	}
	if _, err := e.Perplexity(nil, 1, 8, nil); err == nil {
		t.Fatal("no tokens: want an error")
	}
	if _, err := e.Perplexity(ids, 1, e.Context+1, nil); err == nil {
		t.Fatal("chunks longer than the context: want an error")
	}
	if _, err := e.Perplexity([]int32{5, 99999}, 1, 8, nil); err == nil {
		t.Fatal("a target id outside the vocabulary: want an error")
	}
}

// TestSchedulerBatchesLikeAlone runs greedy requests concurrently and
// checks each gets exactly the tokens it gets alone, that a cached prefix
// is reused, and that limits are enforced.
func TestSchedulerBatchesLikeAlone(t *testing.T) {
	e := loadTolstoy(t)
	prompts := []string{"Prince Andrew", "Natasha", "The French army", "Pierre"}
	greedy := Params{MaxTokens: 24}
	collect := func(s *Scheduler, p string) ([]int32, Result) {
		var ids []int32
		res, err := s.Submit(context.Background(), Request{Prompt: e.Tokenizer.Encode(p, true, true), Params: greedy},
			func(tok Token) bool { ids = append(ids, tok.ID); return true })
		if err != nil {
			t.Error(err)
		}
		return ids, res
	}
	alone := NewScheduler(e, 1, 8)
	want := map[string][]int32{}
	for _, p := range prompts {
		want[p], _ = collect(alone, p)
	}
	_, res := collect(alone, "Prince Andrew")
	if res.CachedTokens == 0 {
		t.Error("a repeated prompt reused no cached tokens")
	}
	alone.Close()

	s := NewScheduler(e, 4, 8)
	defer s.Close()
	got := make(map[string][]int32)
	done := make(chan string)
	results := make([][]int32, len(prompts))
	for i, p := range prompts {
		go func() {
			results[i], _ = collect(s, p)
			done <- p
		}()
	}
	for range prompts {
		<-done
	}
	for i, p := range prompts {
		got[p] = results[i]
		if len(got[p]) != len(want[p]) {
			t.Fatalf("%q: %d tokens batched, %d alone", p, len(got[p]), len(want[p]))
		}
		for k := range got[p] {
			if got[p][k] != want[p][k] {
				t.Fatalf("%q: token %d is %d batched, %d alone", p, k, got[p][k], want[p][k])
			}
		}
	}

	long := make([]int32, e.Context)
	for i := range long {
		long[i] = 1
	}
	var tooLong *PromptTooLongError
	if _, err := s.Submit(context.Background(), Request{Prompt: long}, func(Token) bool { return true }); !errors.As(err, &tooLong) {
		t.Fatalf("prompt of the whole context: err %v, want PromptTooLongError", err)
	}
	if _, err := s.Submit(context.Background(), Request{Prompt: []int32{1, 99999}}, func(Token) bool { return true }); err == nil {
		t.Fatal("out-of-range token id: want an error")
	}
}

// TestSchedulerStopAndCancel checks that emit returning false ends a
// request as "stop" and a cancelled context as "cancel", freeing the slot.
func TestSchedulerStopAndCancel(t *testing.T) {
	e := loadTolstoy(t)
	s := NewScheduler(e, 1, 0)
	defer s.Close()
	prompt := e.Tokenizer.Encode("Natasha", true, true)
	n := 0
	res, err := s.Submit(context.Background(), Request{Prompt: prompt, Params: Params{MaxTokens: 50}}, func(Token) bool {
		n++
		return n < 3
	})
	if err != nil || res.StopReason != "stop" || res.Generated != 3 {
		t.Fatalf("stop by emit: %+v, %v", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	res, err = s.Submit(ctx, Request{Prompt: prompt, Params: Params{MaxTokens: 50}}, func(Token) bool {
		cancel()
		return true
	})
	if err != nil || res.StopReason != "cancel" {
		t.Fatalf("cancel: %+v, %v", res, err)
	}
	if s.Active() != 0 || s.Queued() != 0 {
		t.Fatalf("after the requests: %d active, %d queued", s.Active(), s.Queued())
	}
	emb, err := s.Submit(context.Background(), Request{Prompt: prompt, Embed: true}, func(Token) bool { return true })
	if err != nil || len(emb.Embedding) != e.Model.Config().Dim {
		t.Fatalf("embedding: %d values, %v", len(emb.Embedding), err)
	}
	var norm float64
	for _, v := range emb.Embedding {
		norm += float64(v * v)
	}
	if math.Abs(norm-1) > 1e-4 {
		t.Fatalf("embedding norm² %v, want 1", norm)
	}
}

// TestLongPromptInSeveralBatches feeds a prompt longer than the batch, so
// the scheduler evaluates it in chunks that want no logits before the last.
func TestLongPromptInSeveralBatches(t *testing.T) {
	f, err := gguf.Open("../testdata/tolstoy-4m-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	small, err := Load(f, Options{Threads: 2, Batch: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer small.Close()
	big := loadTolstoy(t)
	prompt := small.Tokenizer.Encode("Prince Andrew looked at Pierre, and Natasha smiled at the old count, who said nothing.", true, true)
	if len(prompt) <= 8 {
		t.Fatalf("prompt of %d tokens does not span batches", len(prompt))
	}
	run := func(e *Engine) []int32 {
		s := NewScheduler(e, 1, 0)
		defer s.Close()
		var ids []int32
		if _, err := s.Submit(context.Background(), Request{Prompt: prompt, Params: Params{MaxTokens: 8}},
			func(tok Token) bool { ids = append(ids, tok.ID); return true }); err != nil {
			t.Fatal(err)
		}
		return ids
	}
	a, b := run(small), run(big)
	if len(a) != 8 || len(b) != 8 {
		t.Fatalf("generated %d and %d tokens, want 8", len(a), len(b))
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("token %d: %d with batches of 8, %d in one batch", i, a[i], b[i])
		}
	}
}
