package quantize

import (
	"fmt"
	"strings"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// recipe is one of llama.cpp's file types (enum llama_ftype): the number
// written as general.file_type and the default type of the weights, which
// the mixture rules of rules.go then adjust per tensor.
type recipe struct {
	name  string
	ftype uint32
	typ   ggml.Type
}

// recipes are the llama_ftype values Kiln can produce, numbered as in
// llama.h. The IQ2/IQ3/IQ1 mixtures and Q2_K_S are absent: llama.cpp refuses
// them without an importance matrix, and Kiln has none.
var recipes = []recipe{
	{"F32", 0, ggml.F32},
	{"F16", 1, ggml.F16},
	{"Q4_0", 2, ggml.Q4_0},
	{"Q4_1", 3, ggml.Q4_1},
	{"Q8_0", 7, ggml.Q8_0},
	{"Q5_0", 8, ggml.Q5_0},
	{"Q5_1", 9, ggml.Q5_1},
	{"Q2_K", 10, ggml.Q2_K},
	{"Q3_K_S", 11, ggml.Q3_K},
	{"Q3_K_M", 12, ggml.Q3_K},
	{"Q3_K_L", 13, ggml.Q3_K},
	{"Q4_K_S", 14, ggml.Q4_K},
	{"Q4_K_M", 15, ggml.Q4_K},
	{"Q5_K_S", 16, ggml.Q5_K},
	{"Q5_K_M", 17, ggml.Q5_K},
	{"Q6_K", 18, ggml.Q6_K},
	{"IQ4_NL", 25, ggml.IQ4_NL},
	{"BF16", 32, ggml.BF16},
}

// aliases are the short names llama-quantize accepts for the K-quant
// mixtures: "Q4_K" is Q4_K_M, and so on. With Pure every weight gets the
// plain type either way; the file type stays the _M variant, as the golden
// pure files record.
var aliases = map[string]string{
	"Q3_K": "Q3_K_M",
	"Q4_K": "Q4_K_M",
	"Q5_K": "Q5_K_M",
}

// Recipes lists the recipe names Options.Recipe accepts, in llama_ftype
// order (the short aliases Q3_K, Q4_K and Q5_K are accepted too).
func Recipes() []string {
	names := make([]string, len(recipes))
	for i, r := range recipes {
		names[i] = r.name
	}
	return names
}

// FileType returns the llama_ftype number that a file quantized with the
// recipe called name records as general.file_type, or an error naming the
// known recipes.
func FileType(name string) (uint32, error) {
	r, err := lookupRecipe(name)
	return r.ftype, err
}

// lookupRecipe finds a recipe by name, case-insensitively.
func lookupRecipe(name string) (recipe, error) {
	up := strings.ToUpper(strings.TrimSpace(name))
	if a, ok := aliases[up]; ok {
		up = a
	}
	for _, r := range recipes {
		if r.name == up {
			return r, nil
		}
	}
	if name == "" {
		return recipe{}, fmt.Errorf("quantize: no recipe given (one of %s)", strings.Join(Recipes(), ", "))
	}
	return recipe{}, fmt.Errorf("quantize: unknown recipe %q (known: %s, and Q3_K, Q4_K, Q5_K)", name, strings.Join(Recipes(), ", "))
}
