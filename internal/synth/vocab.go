package synth

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"unicode/utf8"
)

// Token types of tokenizer.ggml.token_type (llama_token_type).
const (
	typeNormal      = 1
	typeControl     = 3
	typeUserDefined = 4
	typeUnused      = 5
)

// vocabulary is a byte-level BPE vocabulary in GGUF form.
type vocabulary struct {
	tokens []string
	types  []int32
	merges []string
	bos    uint32
	eos    uint32
	pad    int64 // -1: none
	addBOS bool
	pre    string
	chat   string
}

// byteSymbols is GPT-2's bytes_to_unicode table in its own order: the
// printable bytes map to themselves, the others to U+0100 onwards. The
// first 256 tokens of a byte-level vocabulary are these symbols, so every
// byte string can be encoded.
func byteSymbols() []string {
	var order []int
	for b := '!'; b <= '~'; b++ {
		order = append(order, int(b))
	}
	for b := 0xA1; b <= 0xAC; b++ {
		order = append(order, b)
	}
	for b := 0xAE; b <= 0xFF; b++ {
		order = append(order, b)
	}
	sym := make([]rune, 256)
	printable := make([]bool, 256)
	for _, b := range order {
		sym[b], printable[b] = rune(b), true
	}
	next := rune(256)
	for b := range 256 {
		if !printable[b] {
			sym[b] = next
			order = append(order, b)
			next++
		}
	}
	out := make([]string, 256)
	for i, b := range order {
		out[i] = string(sym[b])
	}
	return out
}

// space is the byte-level symbol of ' ', which starts word tokens.
const space = "Ġ"

// maxTokenRunes bounds the length of generated tokens.
const maxTokenRunes = 16

// bpeVocab makes a deterministic vocabulary of n normal tokens: the 256
// byte symbols, then n-256 merges, each joining two earlier tokens into a
// new one, so that the merge list is a valid BPE. The first merges build
// every letter pair and space-prefixed letter, the rest random word-like
// pieces (letters, with or without a leading space), so that English text
// is encoded in fewer tokens than bytes.
func bpeVocab(n int, seed uint64) (tokens, merges []string) {
	tokens = byteSymbols()
	seen := make(map[string]bool, n)
	for _, t := range tokens {
		seen[t] = true
	}
	add := func(a, b string) bool {
		if len(tokens) >= n || seen[a+b] {
			return false
		}
		seen[a+b] = true
		tokens = append(tokens, a+b)
		merges = append(merges, a+" "+b)
		return true
	}
	const letters = "etaoinshrdlcumwfgypbvkjxqz"
	for _, a := range letters {
		add(space, string(a))
	}
	for _, a := range letters {
		for _, b := range letters {
			add(string(a), string(b))
		}
	}
	// Random pieces: a word part (possibly with the leading space) joined
	// with a part that has none, drawn from everything made so far.
	var words, parts []string
	for _, t := range tokens[256:] {
		words = append(words, t)
		if !strings.HasPrefix(t, space) {
			parts = append(parts, t)
		}
	}
	for _, c := range letters {
		parts = append(parts, string(c))
	}
	// Picks favour the early, short tokens (u³ skews towards index 0), as
	// a real vocabulary's merges mostly extend short pieces; the space of
	// letter strings is so large that the loop always finds new ones.
	r := rand.New(rand.NewPCG(seed, 0x766f636162)) // "vocab"
	pick := func(s []string) string {
		u := r.Float64()
		return s[int(u*u*u*float64(len(s)))]
	}
	for len(tokens) < n {
		a, b := pick(words), pick(parts)
		if utf8.RuneCountInString(a)+utf8.RuneCountInString(b) > maxTokenRunes {
			continue
		}
		if add(a, b) {
			words = append(words, a+b)
			if !strings.HasPrefix(a, space) {
				parts = append(parts, a+b)
			}
		}
	}
	return tokens, merges
}

// llama3Specials are the names of Llama 3's 256 special tokens, ids
// 128000-128255 in the real vocabulary.
func llama3Specials() []string {
	s := []string{"<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
		"<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
		"<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"}
	for i := 3; len(s) < 256; i++ {
		s = append(s, fmt.Sprintf("<|reserved_special_token_%d|>", i))
	}
	return s
}

// qwenSpecials are Qwen2.5's added tokens, ids 151643-151664 in the real
// vocabulary; the control ones are flagged.
var qwenSpecials = []struct {
	text    string
	control bool
}{
	{"<|endoftext|>", true}, {"<|im_start|>", true}, {"<|im_end|>", true},
	{"<|object_ref_start|>", true}, {"<|object_ref_end|>", true}, {"<|box_start|>", true},
	{"<|box_end|>", true}, {"<|quad_start|>", true}, {"<|quad_end|>", true},
	{"<|vision_start|>", true}, {"<|vision_end|>", true}, {"<|vision_pad|>", true},
	{"<|image_pad|>", true}, {"<|video_pad|>", true}, {"<tool_call>", false}, {"</tool_call>", false},
	{"<|fim_prefix|>", false}, {"<|fim_middle|>", false}, {"<|fim_suffix|>", false},
	{"<|fim_pad|>", false}, {"<|repo_name|>", false}, {"<|file_sep|>", false},
}

// Short chat templates in the two families' formats, enough for
// templates.FromChatTemplate to recognise them.
const (
	llama3Chat = "{{- bos_token }}{%- for message in messages %}{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n' + message['content'] | trim + '<|eot_id|>' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{%- endif %}"
	chatML     = "{%- for message in messages %}{{- '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\n' }}{%- endif %}"
)

// newVocabulary lays out a vocabulary of size tokens in the family's
// layout. Llama 3 (pre llama-bpe): normal tokens, then its 256 specials at
// the end; BOS <|begin_of_text|>, EOS <|eot_id|>, BOS added. Qwen 2
// (pre qwen2): at most 151643 normal tokens, its 22 added tokens, then
// "[PADn]" fillers up to the size, as convert_hf_to_gguf writes them;
// BOS and padding <|endoftext|>, EOS <|im_end|>, no BOS added.
func newVocabulary(family string, size int, seed uint64) (*vocabulary, error) {
	v := &vocabulary{pad: -1}
	switch family {
	case "llama3":
		specials := llama3Specials()
		normal := size - len(specials)
		if normal < 256 {
			return nil, fmt.Errorf("synth: a Llama 3 vocabulary needs at least %d tokens, not %d", 256+len(specials), size)
		}
		v.tokens, v.merges = bpeVocab(normal, seed)
		v.types = fill(normal, typeNormal)
		v.tokens = append(v.tokens, specials...)
		v.types = append(v.types, fill(len(specials), typeControl)...)
		v.bos, v.eos, v.addBOS = uint32(normal), uint32(normal+9), true
		v.pre, v.chat = "llama-bpe", llama3Chat
	case "qwen2":
		normal := min(size-len(qwenSpecials), 151643)
		if normal < 256 {
			return nil, fmt.Errorf("synth: a Qwen 2 vocabulary needs at least %d tokens, not %d", 256+len(qwenSpecials), size)
		}
		v.tokens, v.merges = bpeVocab(normal, seed)
		v.types = fill(normal, typeNormal)
		for _, s := range qwenSpecials {
			v.tokens = append(v.tokens, s.text)
			if s.control {
				v.types = append(v.types, typeControl)
			} else {
				v.types = append(v.types, typeUserDefined)
			}
		}
		for i := len(v.tokens); i < size; i++ {
			v.tokens = append(v.tokens, fmt.Sprintf("[PAD%d]", i))
			v.types = append(v.types, typeUnused)
		}
		v.bos, v.eos, v.pad = uint32(normal), uint32(normal+2), int64(normal)
		v.pre, v.chat = "qwen2", chatML
	default:
		return nil, fmt.Errorf("synth: unknown vocabulary family %q", family)
	}
	return v, nil
}

func fill(n int, t int32) []int32 {
	s := make([]int32, n)
	for i := range s {
		s[i] = t
	}
	return s
}
