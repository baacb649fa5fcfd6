package model

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/backends/cpu"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/sample"
	"github.com/kiln-llm/kiln/internal/golden"
)

// goldenModel is the part of <name>.golden.json these tests use.
type goldenModel struct {
	PromptIDs   []int32 `json:"prompt_ids"`
	Greedy      []int32 `json:"greedy"`
	GreedySteps []struct {
		Token  int32   `json:"token"`
		Margin float64 `json:"margin"`
	} `json:"greedy_steps"`
	LogitsShape []int `json:"logits_shape"`
}

// tolerance is the testdata README's suggested bound on max |Δlogit| for a
// file, by its weight type.
func tolerance(name string) float64 {
	switch {
	case strings.HasSuffix(name, "-f32"), strings.HasSuffix(name, "-f16"):
		return 3e-2
	case strings.HasSuffix(name, "-bf16"):
		return 0.15
	}
	return 0.5
}

// openGoldenModel loads models/<name>.gguf on a CPU backend of threads
// threads; both are closed when the test ends.
func openGoldenModel(t *testing.T, name string, threads int) Model {
	t.Helper()
	f, err := gguf.Open(golden.Path(t, "models", name+".gguf"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	b := cpu.New(threads)
	t.Cleanup(b.Close)
	m, err := Load(f, b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func loadGolden(t *testing.T, name string) (*goldenModel, []float32) {
	t.Helper()
	b, err := os.ReadFile(golden.Path(t, "models", name+".golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g goldenModel
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(golden.Path(t, "models", name+".logits.f32"))
	if err != nil {
		t.Fatal(err)
	}
	logits := make([]float32, len(raw)/4)
	for i := range logits {
		logits[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
	}
	return &g, logits
}

// TestGoldenModels checks every prompt position's logits against
// llama.cpp's and the greedy continuation up to the first step whose margin
// is below the tolerance.
func TestGoldenModels(t *testing.T) {
	for _, name := range goldenModels {
		t.Run(name, func(t *testing.T) {
			g, want := loadGolden(t, name)
			m := openGoldenModel(t, name, 2)
			cfg := m.Config()
			n := len(g.PromptIDs)
			s := NewScratch(cfg, 512)
			cache := NewCache(cfg, 512)
			got := make([]float32, n*cfg.Vocab)
			if err := Forward(m, s, []Chunk{{Cache: cache, Tokens: g.PromptIDs, All: true, Logits: got}}); err != nil {
				t.Fatal(err)
			}
			tol := tolerance(name)
			var worst float64
			for i := range want {
				worst = max(worst, math.Abs(float64(got[i]-want[i])))
			}
			t.Logf("max |Δlogit| = %.3g (tolerance %g)", worst, tol)
			if worst > tol {
				t.Errorf("max |Δlogit| = %g over %d positions, tolerance %g", worst, n, tol)
			}

			// Greedy continuation, one token at a time as llama.cpp did.
			logits := make([]float32, cfg.Vocab)
			copy(logits, got[(n-1)*cfg.Vocab:])
			pos := n
			// The README's rule: compare up to the first step whose margin is
			// below the tolerance. Where the prompt logits reproduce llama.cpp
			// bit for bit, every step must match.
			limit := tol
			if worst == 0 {
				limit = 0
			}
			for k, step := range g.GreedySteps {
				if step.Margin < limit {
					t.Logf("stopping the comparison at step %d: golden margin %.3g below tolerance", k, step.Margin)
					break
				}
				id := sample.Greedy(logits)
				if id != g.Greedy[k] {
					t.Fatalf("greedy step %d: got %d, want %d (margin %.3g)", k, id, g.Greedy[k], step.Margin)
				}
				if err := Forward(m, s, []Chunk{{Cache: cache, Tokens: []int32{id}, Pos: pos, Logits: logits}}); err != nil {
					t.Fatal(err)
				}
				pos++
			}
		})
	}
}

// goldenModels are the fixture files this engine supports so far.
var goldenModels = []string{
	"llama-f32", "llama-f16", "llama-bf16", "llama-q8_0",
	"llama-q4_0", "llama-q4_1", "llama-q5_0", "llama-q5_1",
	"llama-q2_k", "llama-q3_k", "llama-q4_k", "llama-q5_k", "llama-q6_k", "llama-q4_k_m",
	"qwen2-f16", "qwen2-q8_0", "qwen2-q4_k_m",
	"qwen3-f16", "qwen3-q8_0", "qwen3-q4_k_m",
}

// TestChunksBatchLikeSeparateCalls checks that sequences batched into one
// Forward get exactly the logits they get alone (every row's arithmetic is
// independent of the other rows), and that hidden states come back.
func TestChunksBatchLikeSeparateCalls(t *testing.T) {
	g, _ := loadGolden(t, "llama-q8_0")
	m := openGoldenModel(t, "llama-q8_0", 2)
	cfg := m.Config()
	s := NewScratch(cfg, 64)
	a, bIDs := g.PromptIDs[:12], g.PromptIDs[7:30]

	alone := func(ids []int32) []float32 {
		out := make([]float32, len(ids)*cfg.Vocab)
		if err := Forward(m, s, []Chunk{{Cache: NewCache(cfg, 64), Tokens: ids, All: true, Logits: out}}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	wantA, wantB := alone(a), alone(bIDs)

	gotA := make([]float32, len(a)*cfg.Vocab)
	gotB := make([]float32, cfg.Vocab)
	hidden := make([]float32, 5*cfg.Dim)
	err := Forward(m, s, []Chunk{
		{Cache: NewCache(cfg, 64), Tokens: a, All: true, Logits: gotA},
		{Cache: NewCache(cfg, 64), Tokens: bIDs, Logits: gotB},
		{Cache: NewCache(cfg, 64), Tokens: a[:5], Hidden: hidden},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := range wantA {
		if gotA[i] != wantA[i] {
			t.Fatalf("sequence A logit %d: batched %v, alone %v", i, gotA[i], wantA[i])
		}
	}
	last := wantB[(len(bIDs)-1)*cfg.Vocab:]
	for i := range last {
		if gotB[i] != last[i] {
			t.Fatalf("sequence B logit %d: batched %v, alone %v", i, gotB[i], last[i])
		}
	}
	var norm float64
	for _, v := range hidden {
		norm += float64(v * v)
	}
	if norm == 0 {
		t.Fatal("hidden states not written")
	}
}
