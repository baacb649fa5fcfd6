package tokenizer

import (
	"slices"
	"testing"
)

// The expected values were printed by std::hash<std::string> of GCC 12.
func TestCppStringHash(t *testing.T) {
	for _, c := range []struct {
		s    string
		want uint64
	}{
		{"", 0x553e93901e462a6e},
		{"a", 0x454ddee488c1ed6b},
		{"<|im_end|>", 0x1c4ad163ccd5c545},
		{"hello world, 123", 0xdbbb364fdc0334ab},
	} {
		if got := cppStringHash(c.s); got != c.want {
			t.Errorf("cppStringHash(%q) = %#x, want %#x", c.s, got, c.want)
		}
	}
}

func TestCppMapOrderIsPermutation(t *testing.T) {
	texts := make([]string, 3000)
	for i := range texts {
		texts[i] = string(rune('a'+i%26)) + string(rune(0x100+i))
	}
	order := cppMapOrder(texts)
	slices.Sort(order)
	for i, id := range order {
		if id != int32(i) {
			t.Fatalf("order is not a permutation at %d", i)
		}
	}
}
