// Package tokenizer turns text into token ids and back exactly as llama.cpp
// does (llama-vocab.cpp, unicode.cpp), for the vocabularies a GGUF carries:
// SentencePiece ("llama": score-driven merges with byte fallback) and
// byte-level BPE ("gpt2": ranked merges after the pre-tokenizer that
// tokenizer.ggml.pre names). Special tokens are cut out of the text first,
// the way llama.cpp does, and decoding mirrors llama_detokenize, including
// its space clean-up. A Tokenizer is safe for concurrent use.
//
// The pre-tokenizers are hand-written (pretokenize.go): llama.cpp runs most
// of them through std::regex, and each splitter here reproduces that
// regex's ECMAScript semantics on the same view of the text. They were
// checked against llama.cpp itself, compiled from the sources the goldens
// were made with (testdata/oracle, oracle_test.go), on the goldens, on
// testdata/extra.golden.jsonl and on hundreds of thousands of generated
// strings.
//
// Where llama.cpp throws or aborts, this package does something definite
// instead: a code point above U+10FFFF in BPE input (a 4-byte sequence
// llama.cpp decodes but cannot encode again) becomes U+FFFD; a SentencePiece
// byte with neither a <0xNN> nor a one-byte token becomes UNK (or is
// dropped); duplicate token texts are an error at load, and so is a
// tokenizer.ggml.pre value we do not implement (llama.cpp warns and falls
// back to "default"); ids out of range decode to nothing.
package tokenizer

import (
	"fmt"
	"strings"
	"sync"
)

type modelKind uint8

const (
	kindSPM modelKind = iota + 1
	kindBPE
)

// Tokenizer encodes and decodes text for one vocabulary.
type Tokenizer struct {
	model, preName string // as the Vocab named them
	kind           modelKind
	pre            preInfo
	split          preTokenizer

	tokens []string // token texts; empty ones are renamed "[EMPTY_<id>]" as llama.cpp does
	scores []float32
	attrs  []uint16
	index  textIndex // token text -> id

	bos, eos, unk, pad, eot, eom, sep, nl          int32
	fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep int32
	addBOS, addEOS, addSpacePrefix                 bool

	eog map[int32]bool

	special specials

	// pieces holds llama_token_to_piece(id, special = true) of every token.
	pieces   []byte
	pieceEnd []int32

	spm *spmModel
	bpe *bpeModel

	work sync.Pool // *encoder scratch buffers
}

// New builds a Tokenizer from v. It does not modify v, and may keep
// references to its slices, which must not change afterwards.
func New(v *Vocab) (*Tokenizer, error) {
	t := &Tokenizer{
		tokens: make([]string, len(v.Tokens)),
		attrs:  make([]uint16, len(v.Tokens)),
		bos:    v.BOS, eos: v.EOS, unk: v.UNK, pad: v.PAD, eot: v.EOT, eom: v.EOM, sep: v.SEP,
		fimPre: v.FIMPre, fimSuf: v.FIMSuf, fimMid: v.FIMMid, fimPad: v.FIMPad, fimRep: v.FIMRep, fimSep: v.FIMSep,
		addBOS: v.AddBOS, addEOS: v.AddEOS, addSpacePrefix: v.AddSpacePrefix,
		model: v.Model, preName: v.Pre,
	}
	switch v.Model {
	case "llama":
		t.kind = kindSPM
	case "gpt2":
		t.kind = kindBPE
		p, err := lookupPre(v.Pre)
		if err != nil {
			return nil, err
		}
		t.pre, t.split = p, p.split()
	default:
		return nil, unsupportedModel(v.Model)
	}
	n := len(v.Tokens)
	if n == 0 {
		return nil, fmt.Errorf("tokenizer: vocabulary has no tokens")
	}
	if n >= 1<<31-1 {
		return nil, fmt.Errorf("tokenizer: vocabulary has %d tokens, more than an int32 id can address", n)
	}
	if v.Scores != nil && len(v.Scores) != n {
		return nil, fmt.Errorf("tokenizer: %d scores for %d tokens", len(v.Scores), n)
	}
	if v.Types != nil && len(v.Types) != n {
		return nil, fmt.Errorf("tokenizer: %d token types for %d tokens", len(v.Types), n)
	}
	t.scores = v.Scores
	if t.scores == nil {
		t.scores = make([]float32, n)
	}
	t.index = newTextIndex(t.tokens)
	for i, s := range v.Tokens {
		if s == "" {
			s = fmt.Sprintf("[EMPTY_%d]", i)
		}
		t.tokens[i] = s
		if j, dup := t.index.add(int32(i)); dup {
			// llama.cpp asserts that token texts are unique.
			return nil, fmt.Errorf("tokenizer: tokens %d and %d are both %q", j, i, s)
		}
		t.attrs[i] = attrNormal
		if v.Types != nil {
			t.attrs[i] = typeToAttr(v.Types[i])
		}
	}
	for _, s := range []struct {
		name string
		id   int32
	}{{"BOS", t.bos}, {"EOS", t.eos}, {"UNK", t.unk}, {"PAD", t.pad}, {"EOT", t.eot}, {"EOM", t.eom}, {"SEP", t.sep},
		{"FIMPre", t.fimPre}, {"FIMSuf", t.fimSuf}, {"FIMMid", t.fimMid}, {"FIMPad", t.fimPad}, {"FIMRep", t.fimRep}, {"FIMSep", t.fimSep}} {
		if s.id < -1 || s.id >= int32(n) {
			return nil, fmt.Errorf("tokenizer: %s id %d out of range (vocabulary of %d tokens)", s.name, s.id, n)
		}
	}
	if t.addBOS && t.bos < 0 {
		return nil, fmt.Errorf("tokenizer: add_bos_token is set but the vocabulary has no BOS token")
	}
	if t.addEOS && t.eos < 0 {
		return nil, fmt.Errorf("tokenizer: add_eos_token is set but the vocabulary has no EOS token")
	}
	// The merge strings resolve in the background while the rest is built.
	var parts [][3]int32
	resolved := make(chan struct{})
	go func() {
		if t.kind == kindBPE {
			parts = resolveMerges(t, v.Merges)
		}
		close(resolved)
	}()
	t.detectSpecials()
	t.setNameAttrs(v.Name)
	err := t.buildPieces()
	<-resolved
	if err != nil {
		return nil, err
	}
	switch t.kind {
	case kindSPM:
		t.spm = newSPM(t)
	case kindBPE:
		if t.bpe, err = newBPE(t, v.Merges, parts); err != nil {
			return nil, err
		}
	}
	t.special = newSpecials(t)
	t.nl = t.findNewline()
	return t, nil
}

// detectSpecials mirrors the second half of llama_vocab::impl::load: ids of
// EOT, EOM and the FIM tokens that the GGUF did not give are found by their
// text; tokens that look like control tokens are made control tokens; and
// the end-of-generation set is assembled.
func (t *Tokenizer) detectSpecials() {
	roles := []struct {
		id    *int32
		texts []string
	}{
		{&t.eot, []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
			"<EOT>", "_<EOT>", "<｜end▁of▁sentence｜>", "<end_of_utterance>"}},
		{&t.eom, []string{"<|eom_id|>"}},
		{&t.fimPre, []string{"<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<｜fim▁begin｜>", "<PRE>", "▁<PRE>", "<|code_prefix|>"}},
		{&t.fimSuf, []string{"<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<｜fim▁hole｜>", "<SUF>", "▁<SUF>", "<|code_suffix|>"}},
		{&t.fimMid, []string{"<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<｜fim▁end｜>", "<MID>", "▁<MID>", "<|code_middle|>"}},
		{&t.fimPad, []string{"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>"}},
		{&t.fimRep, []string{"<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>"}},
		{&t.fimSep, []string{"<|file_sep|>"}},
	}
	// llama.cpp walks its token_to_id map and each role takes the first
	// candidate it meets, so with several candidates the map's iteration
	// order decides (see cpphash.go). It is computed only when needed.
	cands := make([][]int32, len(roles))
	ambiguous := false
	for i, r := range roles {
		if *r.id != -1 {
			continue
		}
		for _, s := range r.texts {
			if j, ok := t.index.get(s); ok {
				cands[i] = append(cands[i], j)
			}
		}
		ambiguous = ambiguous || len(cands[i]) > 1
	}
	var pos map[int32]int // iteration position of every candidate
	if ambiguous {
		pos = map[int32]int{}
		for _, c := range cands {
			for _, id := range c {
				pos[id] = -1
			}
		}
		for i, id := range cppMapOrder(t.tokens) {
			if _, ok := pos[id]; ok {
				pos[id] = i
			}
		}
	}
	for i, r := range roles {
		if len(cands[i]) == 0 {
			continue
		}
		best := cands[i][0]
		for _, c := range cands[i][1:] {
			if pos[c] < pos[best] {
				best = c
			}
		}
		*r.id = best
		t.forceControl(best)
	}

	t.eog = map[int32]bool{}
	for _, id := range []int32{t.fimPad, t.fimRep, t.fimSep} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
	for _, s := range []string{"<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<end_of_turn>",
		"<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>", "<|end_of_text|>", "<end_of_utterance>"} {
		if j, ok := t.index.get(s); ok {
			t.eog[j] = true
			t.forceControl(j)
		}
	}
	// gpt-oss: these are always rendered.
	for _, s := range []string{"<|channel|>", "<|message|>", "<|start|>", "<|constrain|>"} {
		if j, ok := t.index.get(s); ok {
			t.attrs[j] = attrUserDefined
		}
	}
	for _, id := range []int32{t.eos, t.eot, t.eom} {
		if id >= 0 {
			t.eog[id] = true
		}
	}
	// o200k_harmony: with <|return|> and <|call|>, <|end|> does not end
	// generation.
	var hasReturn, hasCall bool
	end := int32(-1)
	for id := range t.eog {
		switch t.tokens[id] {
		case "<|return|>":
			hasReturn = true
		case "<|call|>":
			hasCall = true
		case "<|end|>":
			end = id
		}
	}
	if hasReturn && hasCall && end >= 0 {
		delete(t.eog, end)
		t.attrs[end] = attrUserDefined
	}
}

// forceControl is llama.cpp's fix for a "control-looking token" that the
// GGUF did not mark as control: its attributes become exactly control.
func (t *Tokenizer) forceControl(id int32) {
	if t.attrs[id]&attrControl == 0 {
		t.attrs[id] = attrControl
	}
}

// setNameAttrs applies llama.cpp's per-model token attributes: for a model
// named Phi-3, special tokens swallow the whitespace that follows them.
func (t *Tokenizer) setNameAttrs(name string) {
	name = strings.ToLower(name)
	if !strings.Contains(name, "phi-3") && !strings.Contains(name, "phi3") {
		return
	}
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			t.attrs[id] |= attrRStrip
		}
	}
	if j, ok := t.index.get("</s>"); ok {
		t.attrs[j] |= attrRStrip
	}
	for _, s := range []string{"<unk>", "<s>", "<|endoftext|>"} {
		if j, ok := t.index.get(s); ok {
			t.attrs[j] &^= attrRStrip
		}
	}
}

// findNewline is llama.cpp's linefeed_id: the byte token for '\n' in SPM,
// the first token of "\n" in BPE, else the PAD id.
func (t *Tokenizer) findNewline() int32 {
	if t.kind == kindSPM {
		if id := t.spm.byteToken['\n']; id >= 0 {
			return id
		}
		return t.pad
	}
	if ids := t.Encode("\n", false, false); len(ids) > 0 {
		return ids[0]
	}
	return t.pad
}

// Model returns the tokenizer model, "llama" (SentencePiece) or "gpt2"
// (byte-level BPE).
func (t *Tokenizer) Model() string { return t.model }

// Pre returns the pre-tokenizer name (tokenizer.ggml.pre) of a BPE
// vocabulary; "" means "default".
func (t *Tokenizer) Pre() string { return t.preName }

// NumTokens returns the size of the vocabulary.
func (t *Tokenizer) NumTokens() int { return len(t.tokens) }

// Token returns the text of token id as the vocabulary stores it, or ""
// when id is out of range.
func (t *Tokenizer) Token(id int32) string {
	if !t.valid(id) {
		return ""
	}
	return t.tokens[id]
}

// ID returns the id of the token whose text is s.
func (t *Tokenizer) ID(s string) (int32, bool) {
	return t.index.get(s)
}

func (t *Tokenizer) valid(id int32) bool { return id >= 0 && int(id) < len(t.tokens) }

// BOS returns the beginning-of-sequence id, or -1.
func (t *Tokenizer) BOS() int32 { return t.bos }

// EOS returns the end-of-sequence id, or -1.
func (t *Tokenizer) EOS() int32 { return t.eos }

// EOT returns the end-of-turn id, or -1.
func (t *Tokenizer) EOT() int32 { return t.eot }

// EOM returns the end-of-message id (Llama 3.1 tool calls), or -1.
func (t *Tokenizer) EOM() int32 { return t.eom }

// UNK returns the unknown-token id, or -1.
func (t *Tokenizer) UNK() int32 { return t.unk }

// PAD returns the padding id, or -1.
func (t *Tokenizer) PAD() int32 { return t.pad }

// NL returns the newline token id (llama.cpp's token_nl), or -1.
func (t *Tokenizer) NL() int32 { return t.nl }

// AddBOS reports whether Encode with addSpecial puts BOS first.
func (t *Tokenizer) AddBOS() bool { return t.addBOS }

// AddEOS reports whether Encode with addSpecial puts EOS last.
func (t *Tokenizer) AddEOS() bool { return t.addEOS }

// IsEOG reports whether id ends generation: EOS, EOT, EOM, and the tokens
// llama.cpp recognizes by their text (<|im_end|>, <end_of_turn>,
// <|endoftext|>, ...), plus the FIM pad/repo/file-separator tokens.
func (t *Tokenizer) IsEOG(id int32) bool { return t.eog[id] }

// EOG returns the end-of-generation ids in increasing order.
func (t *Tokenizer) EOG() []int32 {
	out := make([]int32, 0, len(t.eog))
	for id := range t.tokens {
		if t.eog[int32(id)] {
			out = append(out, int32(id))
		}
	}
	return out
}

// IsControl reports whether id is a control token (not rendered unless
// asked, not matched in text unless parse-special is on).
func (t *Tokenizer) IsControl(id int32) bool { return t.valid(id) && t.attrs[id]&attrControl != 0 }

// IsUserDefined reports whether id is a user-defined token, matched in text
// even with parse-special off.
func (t *Tokenizer) IsUserDefined(id int32) bool {
	return t.valid(id) && t.attrs[id]&attrUserDefined != 0
}

// IsByte reports whether id is one of SentencePiece's <0xNN> byte tokens.
func (t *Tokenizer) IsByte(id int32) bool { return t.valid(id) && t.attrs[id]&attrByte != 0 }
