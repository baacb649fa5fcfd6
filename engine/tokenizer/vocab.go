package tokenizer

import "fmt"

// Vocab is everything a tokenizer needs, as a GGUF stores it under
// tokenizer.ggml.*. Special ids are final: -1 means the vocabulary has none.
// FromGGUF fills the ones a file lacks with llama.cpp's defaults; a Vocab
// built by hand can start from Defaults to get the same.
type Vocab struct {
	Model  string    // tokenizer.ggml.model: "llama" (SentencePiece) or "gpt2" (byte-level BPE)
	Pre    string    // tokenizer.ggml.pre ("" means "default"); ignored for "llama"
	Tokens []string  // tokenizer.ggml.tokens
	Scores []float32 // tokenizer.ggml.scores; may be nil (all 0)
	Types  []int32   // tokenizer.ggml.token_type (TypeNormal ...); may be nil (all normal)
	Merges []string  // tokenizer.ggml.merges, "a b" pairs in rank order (BPE only)

	BOS, EOS, UNK, PAD, EOT, EOM, SEP int32
	// Fill-in-the-middle ids; FIMPad, FIMRep and FIMSep also end generation.
	FIMPre, FIMSuf, FIMMid, FIMPad, FIMRep, FIMSep int32

	AddBOS, AddEOS, AddSpacePrefix bool

	// Name is general.name: llama.cpp gives the special tokens of models
	// named Phi-3 the rstrip attribute by it.
	Name string
}

// Token types as GGUF stores them (tokenizer.ggml.token_type).
const (
	TypeUndefined   = 0
	TypeNormal      = 1
	TypeUnknown     = 2
	TypeControl     = 3
	TypeUserDefined = 4
	TypeUnused      = 5
	TypeByte        = 6
)

// Token attributes, llama.cpp's llama_token_attr bits.
const (
	attrUnknown     uint16 = 1 << 0
	attrUnused      uint16 = 1 << 1
	attrNormal      uint16 = 1 << 2
	attrControl     uint16 = 1 << 3
	attrUserDefined uint16 = 1 << 4
	attrByte        uint16 = 1 << 5
	attrLStrip      uint16 = 1 << 7
	attrRStrip      uint16 = 1 << 8
)

func typeToAttr(t int32) uint16 {
	switch t {
	case TypeUnknown:
		return attrUnknown
	case TypeUnused:
		return attrUnused
	case TypeNormal:
		return attrNormal
	case TypeControl:
		return attrControl
	case TypeUserDefined:
		return attrUserDefined
	case TypeByte:
		return attrByte
	}
	return 0 // LLAMA_TOKEN_ATTR_UNDEFINED, also for out-of-range types
}

// preInfo is what a tokenizer.ggml.pre value selects in llama.cpp's load():
// the splitters and the flags that go with them.
type preInfo struct {
	split        func() preTokenizer
	cleanSpaces  bool // clean_up_tokenization_spaces on detokenize
	ignoreMerges bool // a word that is a whole token skips the merges
	addBOS       bool // the default of add_bos_token
	noBOS        bool // no default BOS id (chatglm)
	// cutAfterNewline: a '\n' followed by an ASCII letter is always a word
	// boundary, and nothing before it depends on what follows. True for the
	// GPT-4-style regexes (a newline run ends \s*[\r\n]+ or [\r\n]*, and
	// no other alternative reaches across a newline); false for GPT-2's,
	// whose \s+(?!\S) splits "\n\n" differently at the end of the text.
	cutAfterNewline bool
}

// preTypes maps each supported tokenizer.ggml.pre value to its behaviour,
// as llama-vocab.cpp's load() and llm_tokenizer_bpe do. Values that select
// a pre-tokenizer we do not implement are absent, so that New rejects them.
var preTypes = func() map[string]preInfo {
	m := map[string]preInfo{}
	add := func(p preInfo, names ...string) {
		for _, n := range names {
			m[n] = p
		}
	}
	// clean_spaces defaults to true for BPE; most named types turn it off.
	add(preInfo{split: preDefault, cleanSpaces: true}, "default")
	add(preInfo{split: preLlama3, cleanSpaces: true, ignoreMerges: true, addBOS: true, cutAfterNewline: true},
		"llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2")
	add(preInfo{split: preLlama3, cleanSpaces: true, cutAfterNewline: true}, "dbrx", "smaug-bpe")
	add(preInfo{split: preLlama3, cleanSpaces: true, noBOS: true, cutAfterNewline: true}, "glm4", "chatglm-bpe")
	add(preInfo{split: preDeepSeekLLM}, "deepseek-llm")
	add(preInfo{split: preDeepSeek3, cutAfterNewline: true}, "deepseek-v3", "hunyuan-dense")
	add(preInfo{split: preGPT2, cleanSpaces: true},
		"gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
		"mpt", "olmo", "jais", "exaone4")
	add(preInfo{split: preGPT2}, "trillion", "granite-docling")
	add(preInfo{split: preStarcoder, cleanSpaces: true},
		"starcoder", "refact", "codeshell", "exaone", "minerva-7b")
	add(preInfo{split: preStarcoder}, "smollm", "command-r")
	add(preInfo{split: preQwen2, cutAfterNewline: true}, "qwen2", "deepseek-r1-qwen", "kormo", "hunyuan", "grok-2")
	add(preInfo{split: preQwen2, cleanSpaces: true, cutAfterNewline: true}, "stablelm2", "megrez")
	add(preInfo{split: preTekken, ignoreMerges: true, addBOS: true, cutAfterNewline: true}, "tekken")
	add(preInfo{split: preGPT4o, cutAfterNewline: true}, "gpt-4o", "llama4", "minimax-m2")
	return m
}()

func preDefault() preTokenizer {
	return preTokenizer{search(matchDefaultPunct), splitGPT2, search(numbers(1 << 30)), search(matchThreeDigits)}
}
func preLlama3() preTokenizer    { return preTokenizer{splitLlama3} }
func preGPT2() preTokenizer      { return preTokenizer{splitGPT2} }
func preStarcoder() preTokenizer { return preTokenizer{search(numbers(1)), splitGPT2} }
func preQwen2() preTokenizer     { return preTokenizer{search(matchQwen2)} }
func preTekken() preTokenizer    { return preTokenizer{search(matchTekken)} }
func preGPT4o() preTokenizer     { return preTokenizer{search(matchGPT4o)} }

func preDeepSeekLLM() preTokenizer {
	return preTokenizer{
		search(matchNewline),
		search(wideRun(parseClass("A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\U00010400-\U0001044f\U000104b0-\U000104d3\U000104d8-\U000104fb\U00010c80-\U00010cb2\U00010cc0-\U00010cf2\U000118a0-\U000118df\U0001e900-\U0001e943"), true)),
		search(wideRun(parseClass("!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002"), true)),
		splitTrailingSpace,
		search(wideRun(parseClass("\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff"), false)),
		search(classRun(cN)),
	}
}

func preDeepSeek3() preTokenizer {
	return preTokenizer{
		search(numbers(3)),
		search(wideRun(parseClass("\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff"), false)),
		search(matchDeepSeek3),
	}
}

// Defaults returns an empty Vocab carrying the special ids and flags that
// llama.cpp uses for model and pre when a GGUF lacks the keys.
func Defaults(model, pre string) (*Vocab, error) {
	v := &Vocab{
		Model: model, Pre: pre,
		BOS: -1, EOS: -1, UNK: -1, PAD: -1, EOT: -1, EOM: -1, SEP: -1,
		FIMPre: -1, FIMSuf: -1, FIMMid: -1, FIMPad: -1, FIMRep: -1, FIMSep: -1,
	}
	switch model {
	case "llama":
		v.BOS, v.EOS, v.UNK = 1, 2, 0
		v.AddBOS, v.AddSpacePrefix = true, true
	case "gpt2":
		p, err := lookupPre(pre)
		if err != nil {
			return nil, err
		}
		v.BOS, v.EOS = 11, 11
		if p.noBOS {
			v.BOS = -1
		}
		v.AddBOS = p.addBOS
	default:
		return nil, unsupportedModel(model)
	}
	return v, nil
}

func unsupportedModel(model string) error {
	return fmt.Errorf("tokenizer: unsupported tokenizer model %q (supported: \"llama\", \"gpt2\")", model)
}

func lookupPre(pre string) (preInfo, error) {
	if pre == "" {
		pre = "default"
	}
	p, ok := preTypes[pre]
	if !ok {
		return preInfo{}, fmt.Errorf("tokenizer: unsupported pre-tokenizer %q (tokenizer.ggml.pre)", pre)
	}
	return p, nil
}
