package api

import (
	"strings"
	"testing"
)

func TestStopMatcher(t *testing.T) {
	for _, tc := range []struct {
		name    string
		stops   []string
		pieces  []string
		want    string // everything emitted, flush included unless stopped
		stopped bool
	}{
		{"no stops", nil, []string{"a", "b"}, "ab", false},
		{"empty stop ignored", []string{""}, []string{"a", "b"}, "ab", false},
		{"in one piece", []string{"END"}, []string{"abcENDxyz"}, "abc", true},
		{"across pieces", []string{"<|im_end|>"}, []string{"Hi", "<|im", "_e", "nd|>", "more"}, "Hi", true},
		{"prefix that does not complete", []string{"<|im_end|>"}, []string{"a<|im", "_x"}, "a<|im_x", false},
		{"held at the end is flushed", []string{"STOP"}, []string{"go ST"}, "go ST", false},
		{"earliest of several", []string{"world", "lo w"}, []string{"hello", " world"}, "hel", true},
		{"stop at start", []string{"\n\n"}, []string{"\n", "\nrest"}, "", true},
		{"overlapping prefix", []string{"aab"}, []string{"a", "a", "a", "b"}, "a", true},
		{"utf-8 stop", []string{"é!"}, []string{"café", "!"}, "caf", true},
		{"utf-8 kept whole", []string{"éX"}, []string{"café", "Y"}, "caféY", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newStopMatcher(tc.stops)
			var got strings.Builder
			stopped := false
			for _, p := range tc.pieces {
				out, hit := m.add(p)
				got.WriteString(out)
				if hit {
					stopped = true
					break
				}
			}
			if !stopped {
				got.WriteString(m.flush())
			}
			if got.String() != tc.want || stopped != tc.stopped {
				t.Errorf("got %q stopped=%v, want %q stopped=%v", got.String(), stopped, tc.want, tc.stopped)
			}
		})
	}
}

// TestStopMatcherHoldsOnlyPrefixes checks that text is released as soon as
// it cannot begin a stop string, so streaming is not delayed needlessly.
func TestStopMatcherHoldsOnlyPrefixes(t *testing.T) {
	m := newStopMatcher([]string{"</s>", "###"})
	for _, tc := range []struct{ in, out string }{
		{"Hello", "Hello"}, {" wor<", " wor"}, {"/", ""}, {"x", "</x"}, {"#", ""}, {"#a", "##a"},
	} {
		if out, hit := m.add(tc.in); out != tc.out || hit {
			t.Errorf("add(%q) = %q, %v; want %q", tc.in, out, hit, tc.out)
		}
	}
}

func BenchmarkStopMatcher(b *testing.B) {
	m := newStopMatcher([]string{"<|im_end|>", "<|im_start|>", "\n\nUser:"})
	pieces := strings.Fields(strings.Repeat("the quick brown fox jumps over the lazy dog ", 64))
	b.ResetTimer()
	for range b.N {
		for _, p := range pieces {
			m.add(" " + p)
		}
		m.flush()
	}
}
