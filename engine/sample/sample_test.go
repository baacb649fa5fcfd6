package sample

import "testing"

func TestGreedyTiesGoToLowestID(t *testing.T) {
	if got := Greedy([]float32{1, 3, 3, 2}); got != 1 {
		t.Fatalf("Greedy = %d, want 1", got)
	}
}

func TestSampleSeededIsDeterministic(t *testing.T) {
	logits := func() []float32 { return []float32{1, 2, 3, 2.5, 0.5, -1} }
	p := Params{Temperature: 0.8, TopK: 4, TopP: 0.95, Seed: 42}
	a, b := New(p), New(p)
	for i := 0; i < 50; i++ {
		x, y := a.Sample(logits(), nil), b.Sample(logits(), nil)
		if x != y {
			t.Fatalf("step %d: %d != %d with the same seed", i, x, y)
		}
	}
}

func TestSampleFilters(t *testing.T) {
	tests := []struct {
		name    string
		p       Params
		allowed map[int32]bool
	}{
		{"top-k 1 is greedy", Params{Temperature: 1, TopK: 1}, map[int32]bool{2: true}},
		{"top-k 2", Params{Temperature: 5, TopK: 2}, map[int32]bool{2: true, 3: true}},
		{"min-p keeps near-top", Params{Temperature: 1, MinP: 0.5}, map[int32]bool{2: true, 3: true}},
		{"top-p small keeps top", Params{Temperature: 1, TopP: 0.1}, map[int32]bool{2: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(tt.p)
			for i := 0; i < 200; i++ {
				id := s.Sample([]float32{1, 2, 5, 4.5, 0.5, -1}, nil)
				if !tt.allowed[id] {
					t.Fatalf("sampled %d, allowed %v", id, tt.allowed)
				}
			}
		})
	}
}

func TestRepeatPenalty(t *testing.T) {
	s := New(Params{Temperature: 1, TopK: 1, RepeatPenalty: 2, RepeatLastN: 64})
	logits := []float32{4, 3, -1}
	if got := s.Sample(logits, []int32{0}); got != 1 {
		t.Fatalf("with token 0 penalised (4/2=2 < 3) want 1, got %d (logits %v)", got, logits)
	}
	if logits[0] != 2 {
		t.Fatalf("penalised logit = %v, want 2", logits[0])
	}
}

func TestGreedyIgnoresPenalties(t *testing.T) {
	s := New(Params{RepeatPenalty: 2, RepeatLastN: 64})
	if got := s.Sample([]float32{4, 3, -1}, []int32{0}); got != 0 {
		t.Fatalf("temperature 0 must be the raw argmax, got %d", got)
	}
}
