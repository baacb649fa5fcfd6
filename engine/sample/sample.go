// Package sample picks the next token from logits: greedy, or seeded
// sampling through llama.cpp's default chain (repetition penalties, top-k,
// top-p, min-p, temperature).
package sample

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Params are the sampling settings. The zero value of a field disables its
// step (Temperature 0 is greedy).
type Params struct {
	Temperature      float32
	TopK             int     // keep the k most likely (0: all)
	TopP             float32 // keep the smallest set with this much mass (0 or 1: all)
	MinP             float32 // drop tokens below MinP × the top probability
	RepeatPenalty    float32 // divide positive logits of recent tokens by this (1 or 0: off)
	RepeatLastN      int     // how many recent tokens the penalties look at (-1: all)
	PresencePenalty  float32
	FrequencyPenalty float32
	Seed             uint64
}

// Sampler draws tokens with one Params and its own random stream.
type Sampler struct {
	p     Params
	rng   *rand.Rand
	cands []candidate
	count map[int32]int
}

type candidate struct {
	id    int32
	logit float32
	p     float32
}

// New returns a sampler for p.
func New(p Params) *Sampler {
	return &Sampler{p: p, rng: rand.New(rand.NewPCG(p.Seed, 0x6b696c6e)), count: map[int32]int{}}
}

// Greedy returns the id of the largest logit, the lowest id on ties (as
// llama.cpp's greedy sampler does).
func Greedy(logits []float32) int32 {
	best := 0
	for i, v := range logits {
		if v > logits[best] {
			best = i
		}
	}
	return int32(best)
}

// Sample returns the next token given the logits (which it may modify) and
// the tokens so far (for the penalties).
//
// Temperature 0 is plain greedy decoding on the raw logits, penalties
// included: the argmax a user comparing with llama.cpp's greedy output
// expects (and what Ollama's sampler does).
func (s *Sampler) Sample(logits []float32, history []int32) int32 {
	if s.p.Temperature <= 0 {
		return Greedy(logits)
	}
	s.penalize(logits, history)
	c := s.cands[:0]
	for i, v := range logits {
		c = append(c, candidate{id: int32(i), logit: v})
	}
	slices.SortFunc(c, func(a, b candidate) int {
		if a.logit != b.logit {
			if a.logit > b.logit {
				return -1
			}
			return 1
		}
		return int(a.id - b.id)
	})
	if k := s.p.TopK; k > 0 && k < len(c) {
		c = c[:k]
	}
	softmax(c, 1)
	if tp := s.p.TopP; tp > 0 && tp < 1 {
		var cum float32
		for i := range c {
			cum += c[i].p
			if cum >= tp {
				c = c[:i+1]
				break
			}
		}
	}
	if mp := s.p.MinP; mp > 0 {
		limit := c[0].p * mp
		for i := range c {
			if c[i].p < limit {
				c = c[:max(i, 1)]
				break
			}
		}
	}
	softmax(c, s.p.Temperature)
	s.cands = c
	r := s.rng.Float32()
	var cum float32
	for _, x := range c {
		cum += x.p
		if r < cum {
			return x.id
		}
	}
	return c[len(c)-1].id
}

// penalize applies llama.cpp's penalties over the last RepeatLastN tokens.
func (s *Sampler) penalize(logits []float32, history []int32) {
	p := s.p
	repeat := p.RepeatPenalty != 0 && p.RepeatPenalty != 1
	if !repeat && p.PresencePenalty == 0 && p.FrequencyPenalty == 0 {
		return
	}
	if n := p.RepeatLastN; n >= 0 && len(history) > n {
		history = history[len(history)-n:]
	}
	clear(s.count)
	for _, t := range history {
		if t >= 0 && int(t) < len(logits) {
			s.count[t]++
		}
	}
	for t, n := range s.count {
		l := logits[t]
		if repeat {
			if l > 0 {
				l /= p.RepeatPenalty
			} else {
				l *= p.RepeatPenalty
			}
		}
		l -= float32(n)*p.FrequencyPenalty + p.PresencePenalty
		logits[t] = l
	}
}

// softmax sets the probabilities of sorted candidates at temperature t.
func softmax(c []candidate, t float32) {
	m := c[0].logit
	var sum float64
	for i := range c {
		e := math.Exp(float64((c[i].logit - m) / t))
		c[i].p = float32(e)
		sum += e
	}
	for i := range c {
		c[i].p = float32(float64(c[i].p) / sum)
	}
}
