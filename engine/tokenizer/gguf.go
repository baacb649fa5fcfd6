package tokenizer

import (
	"fmt"

	"github.com/kiln-llm/kiln/engine/gguf"
)

// FromGGUF reads the tokenizer.ggml.* keys of a GGUF (metadata only; no
// tensor data is touched) and builds the Tokenizer.
func FromGGUF(f *gguf.File) (*Tokenizer, error) {
	v, err := VocabFromGGUF(f)
	if err != nil {
		return nil, err
	}
	return New(v)
}

// Metadata is the part of *gguf.File that VocabFromGGUF reads.
type Metadata interface {
	String(key string) (string, bool)
	Uint(key string) (uint64, bool)
	Bool(key string) (bool, bool)
	Strings(key string) ([]string, bool)
	Float32s(key string) ([]float32, bool)
	Int32s(key string) ([]int32, bool)
}

var _ Metadata = (*gguf.File)(nil)

// VocabFromGGUF reads a Vocab from GGUF metadata the way llama.cpp's
// llama_vocab::load does: defaults by model and pre-tokenizer first, then
// whatever keys are present. A special id that is out of range is ignored,
// keeping the default, as llama.cpp does (it warns).
func VocabFromGGUF(m Metadata) (*Vocab, error) {
	model, ok := m.String("tokenizer.ggml.model")
	if !ok {
		return nil, fmt.Errorf("tokenizer: key tokenizer.ggml.model not found")
	}
	pre, _ := m.String("tokenizer.ggml.pre")
	v, err := Defaults(model, pre)
	if err != nil {
		return nil, err
	}
	if v.Tokens, ok = m.Strings("tokenizer.ggml.tokens"); !ok {
		return nil, fmt.Errorf("tokenizer: key tokenizer.ggml.tokens not found (or not an array of strings)")
	}
	n := uint64(len(v.Tokens))
	v.Scores, _ = m.Float32s("tokenizer.ggml.scores")
	v.Types, _ = m.Int32s("tokenizer.ggml.token_type")
	if model == "gpt2" {
		if v.Merges, ok = m.Strings("tokenizer.ggml.merges"); !ok {
			return nil, fmt.Errorf("tokenizer: key tokenizer.ggml.merges not found (needed by a gpt2 vocabulary)")
		}
	}
	if b, ok := m.Bool("tokenizer.ggml.add_space_prefix"); ok {
		v.AddSpacePrefix = b
	}
	for _, k := range []struct {
		key string
		id  *int32
	}{
		{"bos_token_id", &v.BOS}, {"eos_token_id", &v.EOS}, {"eot_token_id", &v.EOT}, {"eom_token_id", &v.EOM},
		{"unknown_token_id", &v.UNK}, {"seperator_token_id", &v.SEP}, {"padding_token_id", &v.PAD},
		{"fim_pre_token_id", &v.FIMPre}, {"fim_suf_token_id", &v.FIMSuf}, {"fim_mid_token_id", &v.FIMMid},
		{"fim_pad_token_id", &v.FIMPad}, {"fim_rep_token_id", &v.FIMRep}, {"fim_sep_token_id", &v.FIMSep},
		// deprecated spellings, read last as llama.cpp does
		{"prefix_token_id", &v.FIMPre}, {"suffix_token_id", &v.FIMSuf}, {"middle_token_id", &v.FIMMid},
	} {
		if id, ok := m.Uint("tokenizer.ggml." + k.key); ok && id < n {
			*k.id = int32(id)
		}
	}
	if b, ok := m.Bool("tokenizer.ggml.add_bos_token"); ok {
		v.AddBOS = b
	}
	if b, ok := m.Bool("tokenizer.ggml.add_eos_token"); ok {
		v.AddEOS = b
	}
	v.Name, _ = m.String("general.name")
	// Defaults may name ids the vocabulary does not have (gpt2's BOS 11 in
	// a tiny vocabulary); llama.cpp keeps them and fails only when one is
	// used. We drop them so that New does not reject the file.
	for _, id := range []*int32{&v.BOS, &v.EOS, &v.UNK} {
		if uint64(*id) >= n && *id >= 0 {
			*id = -1
		}
	}
	return v, nil
}
