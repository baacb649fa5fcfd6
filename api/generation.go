package api

import (
	"strings"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/tokenizer"
)

// generation turns the engine's tokens into the text a client sees: UTF-8
// completed across tokens, special tokens written out (so that a template's
// stop strings such as "<|im_end|>" can match them), stop strings cut, and
// the log-probabilities of the tokens whose text has been released.
type generation struct {
	m       *Model
	dec     *tokenizer.Decoder
	stop    *stopMatcher
	emit    func(Chunk) bool
	wantLP  bool
	text    strings.Builder
	ids     []int32
	stopped bool // a stop string ended the reply
	aborted bool // emit returned false

	decoded int       // bytes of text decoded so far
	lps     []Logprob // tokens whose text is not all released yet
	ends    []int     // where each of lps ends in the decoded text
}

func newGeneration(m *Model, stops []string, wantLP bool, emit func(Chunk) bool) *generation {
	return &generation{m: m, dec: m.e.Tokenizer.NewDecoder(true), stop: newStopMatcher(stops), emit: emit, wantLP: wantLP}
}

// token is the scheduler's emit callback.
func (g *generation) token(t engine.Token) bool {
	g.ids = append(g.ids, t.ID)
	piece := g.dec.Add(t.ID)
	g.decoded += len(piece)
	if g.wantLP {
		g.lps = append(g.lps, g.logprob(t))
		g.ends = append(g.ends, g.decoded)
	}
	out, stopped := g.stop.add(piece)
	if stopped {
		g.stopped = true
		g.send(out, false)
		return false
	}
	return g.send(out, false)
}

// finish releases what the decoder and the stop matcher still hold.
func (g *generation) finish() {
	if g.stopped || g.aborted {
		return
	}
	out, stopped := g.stop.add(g.dec.Flush())
	if stopped {
		g.stopped = true
	} else {
		out += g.stop.flush()
	}
	g.send(out, !stopped)
}

// send emits text with the log-probabilities of the tokens whose text is
// now wholly emitted (all: every remaining token, at the end). The emitted
// text is always a prefix of the decoded text, so a token's end offset in
// the decoded text says whether it is out; tokens that formed a stop string
// never are, and are not reported.
func (g *generation) send(out string, all bool) bool {
	g.text.WriteString(out)
	var lps []Logprob
	if g.wantLP {
		released := g.text.Len()
		n := 0
		for n < len(g.lps) && (all || g.ends[n] <= released) {
			n++
		}
		lps = g.lps[:n:n]
		g.lps, g.ends = g.lps[n:], g.ends[n:]
	}
	if out == "" && len(lps) == 0 {
		return true
	}
	if !g.emit(Chunk{Text: out, Logprobs: lps}) {
		g.aborted = true
		return false
	}
	return true
}

func (g *generation) logprob(t engine.Token) Logprob {
	lp := Logprob{TokenLogprob: g.tokenLogprob(t.ID, t.Logprob)}
	for _, c := range t.Top {
		lp.Top = append(lp.Top, g.tokenLogprob(c.ID, c.Logprob))
	}
	return lp
}

func (g *generation) tokenLogprob(id int32, logprob float32) TokenLogprob {
	b := g.m.e.Tokenizer.TokenPiece(id, true)
	return TokenLogprob{Token: strings.ToValidUTF8(string(b), "\uFFFD"), Bytes: append([]byte(nil), b...), Logprob: float64(logprob)}
}
