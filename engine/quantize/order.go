package quantize

import (
	"math"
	"sort"

	"github.com/kiln-llm/kiln/engine/gguf"
)

// blockNumber reads the layer number of a tensor name the way
// sscanf(name, "blk.%d.", &n) does: after the "blk." prefix, optional
// white space, an optional sign and at least one digit. ok is false when
// there is no number (sscanf matches nothing).
func blockNumber(name string) (n int, ok bool) {
	const prefix = "blk."
	if len(name) < len(prefix) || name[:len(prefix)] != prefix {
		return 0, false
	}
	s := name[len(prefix):]
	for len(s) > 0 && (s[0] == ' ' || s[0] >= '\t' && s[0] <= '\r') {
		s = s[1:]
	}
	neg := false
	if len(s) > 0 && (s[0] == '+' || s[0] == '-') {
		neg = s[0] == '-'
		s = s[1:]
	}
	v := int64(0)
	digits := 0
	for ; digits < len(s) && s[digits] >= '0' && s[digits] <= '9'; digits++ {
		v = min(v*10+int64(s[digits]-'0'), math.MaxInt32+1)
	}
	if digits == 0 {
		return 0, false
	}
	if neg {
		v = -v
	}
	return int(max(min(v, math.MaxInt32), math.MinInt32)), true
}

// blockIndex is the layer that llama.cpp's weight_name_comparer sorts a
// tensor by: its block number, or -1 for tensors outside the blocks.
func blockIndex(name string) int {
	if n, ok := blockNumber(name); ok {
		return n
	}
	return -1
}

// outputOrder returns the indices of tensors in the order llama-quantize
// writes them: the order of its weights_map, which sorts by block number
// (-1 for the tensors outside the blocks, so they come first) and then by
// name, byte-wise. For a llama model that is output.weight, output_norm,
// token_embd, then each block's tensors alphabetically.
func outputOrder(tensors []gguf.TensorInfo) []int {
	idx := make([]int, len(tensors))
	layer := make([]int, len(tensors))
	for i := range tensors {
		idx[i] = i
		layer[i] = blockIndex(tensors[i].Name)
	}
	sort.SliceStable(idx, func(a, b int) bool {
		ia, ib := idx[a], idx[b]
		if layer[ia] != layer[ib] {
			return layer[ia] < layer[ib]
		}
		return tensors[ia].Name < tensors[ib].Name
	})
	return idx
}
