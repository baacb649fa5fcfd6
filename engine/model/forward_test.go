package model

import (
	"strings"
	"testing"
)

// TestMicroBatchesMatchOnePass checks that a batch run in passes smaller
// than itself, splitting chunks across passes, gives bit for bit the
// logits and hidden states of one pass.
func TestMicroBatchesMatchOnePass(t *testing.T) {
	for _, name := range []string{"llama-q8_0", "llama-q4_k_m", "qwen2-q4_k_m", "qwen3-f16"} {
		t.Run(name, func(t *testing.T) {
			g, _ := loadGolden(t, name)
			m := openGoldenModel(t, name, 2)
			cfg := m.Config()
			a, c := g.PromptIDs[:len(g.PromptIDs)-3], g.PromptIDs[3:]
			run := func(micro int) (allA, lastC, hidden []float32) {
				s := NewScratch(cfg, micro)
				allA = make([]float32, len(a)*cfg.Vocab)
				lastC = make([]float32, cfg.Vocab)
				hidden = make([]float32, 7*cfg.Dim)
				// A decode-like chunk after a cached prefix, a prompt
				// wanting every row, one wanting the last, one pooling.
				pre := NewCache(cfg, 64)
				if err := Forward(m, s, []Chunk{{Cache: pre, Tokens: c[:4]}}); err != nil {
					t.Fatal(err)
				}
				err := Forward(m, s, []Chunk{
					{Cache: pre, Tokens: c[4:5], Pos: 4, Logits: make([]float32, cfg.Vocab)},
					{Cache: NewCache(cfg, 64), Tokens: a, All: true, Logits: allA},
					{Cache: NewCache(cfg, 64), Tokens: c, Logits: lastC},
					{Cache: NewCache(cfg, 64), Tokens: a[:7], Hidden: hidden},
				})
				if err != nil {
					t.Fatal(err)
				}
				return allA, lastC, hidden
			}
			wantA, wantC, wantH := run(256)
			for _, micro := range []int{1, 5, 16, 31} {
				gotA, gotC, gotH := run(micro)
				for _, cmp := range []struct {
					what      string
					got, want []float32
				}{{"all logits", gotA, wantA}, {"last logits", gotC, wantC}, {"hidden", gotH, wantH}} {
					for i := range cmp.want {
						if cmp.got[i] != cmp.want[i] {
							t.Fatalf("passes of %d: %s[%d] = %v, one pass %v", micro, cmp.what, i, cmp.got[i], cmp.want[i])
						}
					}
				}
			}
		})
	}
}

// TestForwardChecksBeforeRunning checks that a bad chunk anywhere in a
// batch fails the call before any cache changes.
func TestForwardChecksBeforeRunning(t *testing.T) {
	m := openGoldenModel(t, "llama-q8_0", 1)
	cfg := m.Config()
	s := NewScratch(cfg, 4)
	good := func() Chunk { return Chunk{Cache: NewCache(cfg, 16), Tokens: []int32{1, 2, 3, 4, 5, 6}} }
	for _, tc := range []struct {
		name string
		bad  Chunk
		want string
	}{
		{"no tokens", Chunk{Cache: NewCache(cfg, 16)}, "no tokens"},
		{"token id", Chunk{Cache: NewCache(cfg, 16), Tokens: []int32{1, int32(cfg.Vocab)}}, "out of range"},
		{"negative id", Chunk{Cache: NewCache(cfg, 16), Tokens: []int32{-1}}, "out of range"},
		{"past context", Chunk{Cache: NewCache(cfg, 4), Tokens: []int32{1, 2, 3, 4, 5}}, "exceed the context"},
		{"gap in cache", Chunk{Cache: NewCache(cfg, 16), Tokens: []int32{1}, Pos: 3}, "only 0 cached"},
		{"logits buffer", Chunk{Cache: NewCache(cfg, 16), Tokens: []int32{1, 2}, All: true, Logits: make([]float32, cfg.Vocab)}, "too small"},
		{"hidden buffer", Chunk{Cache: NewCache(cfg, 16), Tokens: []int32{1, 2}, Hidden: make([]float32, cfg.Dim)}, "hidden-state buffer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := good()
			err := Forward(m, s, []Chunk{first, tc.bad})
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "chunk 1") {
				t.Fatalf("error %v, want one naming chunk 1 and %q", err, tc.want)
			}
			if n := first.Cache.Len(); n != 0 {
				t.Fatalf("the good chunk's cache holds %d positions after the error", n)
			}
		})
	}
}
