package tokenizer

import "strings"

// Special tokens (control, user-defined and unknown ones) are cut out of the
// text before the model's tokenizer sees it, by llama.cpp's
// tokenizer_st_partition: for each special token in turn, longest text
// first, every occurrence in the text that earlier tokens left is replaced by
// the token's id. User-defined tokens are matched even with parse-special
// off; control and unknown tokens only with it on.

// fragment is a piece of the input: a token id, or the text [lo, hi).
type fragment struct {
	lo, hi int
	tok    int32 // -1 for text
}

// specials holds the special tokens in llama.cpp's matching order and a trie
// over their texts that finds which of them occur in a text at all, so that
// a text without special tokens costs one pass.
type specials struct {
	order []int32    // token ids, in the order cache_special_tokens has them
	trie  []trieNode // trie[0] is the root
	edges []trieEdge // children of node n: edges[trie[n].first : trie[n].first+trie[n].n]
	root  [256]int32 // child of the root for each first byte, or -1
	text  []string   // text of order[i]
	attr  []uint16   // attributes of order[i]
}

type trieNode struct {
	first, n int32
	rank     int32 // index into order of the token ending here, or -1
}

type trieEdge struct {
	b     byte
	child int32
}

func newSpecials(t *Tokenizer) specials {
	var s specials
	for id, a := range t.attrs {
		if a&(attrControl|attrUserDefined|attrUnknown) != 0 {
			s.order = append(s.order, int32(id))
		}
	}
	// std::sort is not stable: tokens of equal length come out in the order
	// libstdc++'s introsort leaves them, which decides between two
	// overlapping matches of equal length. cppSort reproduces it.
	cppSort(s.order, func(a, b int32) bool { return len(t.tokens[a]) > len(t.tokens[b]) })
	s.text = make([]string, len(s.order))
	s.attr = make([]uint16, len(s.order))
	for i, id := range s.order {
		s.text[i] = t.tokens[id]
		s.attr[i] = t.attrs[id]
	}
	s.buildTrie()
	return s
}

// buildTrie builds the trie breadth-first from a map-based one, so that the
// children of a node are contiguous in edges.
func (s *specials) buildTrie() {
	type bnode struct {
		kids map[byte]int
		rank int32
	}
	nodes := []bnode{{kids: map[byte]int{}, rank: -1}}
	for r, txt := range s.text {
		n := 0
		for i := 0; i < len(txt); i++ {
			c, ok := nodes[n].kids[txt[i]]
			if !ok {
				c = len(nodes)
				nodes = append(nodes, bnode{kids: map[byte]int{}, rank: -1})
				nodes[n].kids[txt[i]] = c
			}
			n = c
		}
		if n != 0 && nodes[n].rank < 0 {
			nodes[n].rank = int32(r)
		}
	}
	s.trie = make([]trieNode, len(nodes))
	for n, bn := range nodes {
		s.trie[n] = trieNode{first: int32(len(s.edges)), n: int32(len(bn.kids)), rank: bn.rank}
		for b := range 256 {
			if c, ok := bn.kids[byte(b)]; ok {
				s.edges = append(s.edges, trieEdge{byte(b), int32(c)})
			}
		}
	}
	for b := range s.root {
		s.root[b] = -1
		if c, ok := nodes[0].kids[byte(b)]; ok {
			s.root[b] = int32(c)
		}
	}
}

func (s *specials) child(n int32, b byte) int32 {
	nd := &s.trie[n]
	for _, e := range s.edges[nd.first : nd.first+nd.n] {
		if e.b == b {
			return e.child
		}
	}
	return -1
}

// usable reports whether special number r is matched in text.
func (s *specials) usable(r int32, parseSpecial bool) bool {
	return parseSpecial || s.attr[r]&(attrControl|attrUnknown) == 0
}

// partition splits text into fragments as tokenizer_st_partition does,
// appending them to out. seen is scratch space.
func (s *specials) partition(text string, parseSpecial bool, out []fragment, tmp []fragment, seen []bool) ([]fragment, []fragment, []bool) {
	out = append(out[:0], fragment{0, len(text), -1})
	if len(s.order) == 0 || len(text) == 0 {
		return out, tmp, seen
	}
	if cap(seen) < len(s.order) {
		seen = make([]bool, len(s.order))
	}
	seen = seen[:len(s.order)]
	clear(seen)
	found := false
	for i := 0; i < len(text); i++ {
		n := s.root[text[i]]
		for j := i + 1; n >= 0; j++ {
			if r := s.trie[n].rank; r >= 0 && s.usable(r, parseSpecial) {
				seen[r], found = true, true
			}
			if j >= len(text) {
				break
			}
			n = s.child(n, text[j])
		}
	}
	if !found {
		return out, tmp, seen
	}
	for r, ok := range seen {
		if !ok {
			continue
		}
		tmp = s.split(text, out, int32(r), tmp[:0])
		out, tmp = tmp, out
	}
	return out, tmp, seen
}

// split replaces every occurrence of special number r in the text fragments
// of frags, appending the result to out.
func (s *specials) split(text string, frags []fragment, r int32, out []fragment) []fragment {
	tok, attr, id := s.text[r], s.attr[r], s.order[r]
	for _, f := range frags {
		if f.tok >= 0 {
			out = append(out, f)
			continue
		}
		off, end := f.lo, f.hi
		for off < end {
			k := strings.Index(text[off:end], tok)
			if k < 0 {
				out = append(out, fragment{off, end, -1})
				break
			}
			m := off + k
			l := m
			if attr&attrLStrip != 0 {
				for l > off && isCSpace(text[l-1]) {
					l--
				}
			}
			if l > off {
				out = append(out, fragment{off, l, -1})
			}
			out = append(out, fragment{tok: id})
			off = m + len(tok)
			if attr&attrRStrip != 0 {
				for off < end && isCSpace(text[off]) {
					off++
				}
			}
		}
	}
	return out
}

// isCSpace is isspace in the C locale.
func isCSpace(b byte) bool { return b == ' ' || (b >= '\t' && b <= '\r') }

// cppSort sorts a as libstdc++'s std::sort does (introsort: median-of-three
// quicksort down to 16 elements, heapsort past the depth limit, then an
// insertion sort), so that elements that compare equal end up where
// llama.cpp's do.
func cppSort(a []int32, less func(x, y int32) bool) {
	if len(a) < 2 {
		return
	}
	lg := 0
	for n := len(a); n > 1; n >>= 1 {
		lg++
	}
	introsortLoop(a, 0, len(a), 2*lg, less)
	finalInsertionSort(a, 0, len(a), less)
}

const sortThreshold = 16

func introsortLoop(a []int32, first, last, depth int, less func(x, y int32) bool) {
	for last-first > sortThreshold {
		if depth == 0 {
			heapSort(a[first:last], less)
			return
		}
		depth--
		cut := partitionPivot(a, first, last, less)
		introsortLoop(a, cut, last, depth, less)
		last = cut
	}
}

func partitionPivot(a []int32, first, last int, less func(x, y int32) bool) int {
	mid := first + (last-first)/2
	moveMedianToFirst(a, first, first+1, mid, last-1, less)
	// unguarded partition of [first+1, last) around a[first]
	lo, hi := first+1, last
	for {
		for less(a[lo], a[first]) {
			lo++
		}
		hi--
		for less(a[first], a[hi]) {
			hi--
		}
		if lo >= hi {
			return lo
		}
		a[lo], a[hi] = a[hi], a[lo]
		lo++
	}
}

func moveMedianToFirst(a []int32, result, x, y, z int, less func(x, y int32) bool) {
	switch {
	case less(a[x], a[y]):
		switch {
		case less(a[y], a[z]):
			a[result], a[y] = a[y], a[result]
		case less(a[x], a[z]):
			a[result], a[z] = a[z], a[result]
		default:
			a[result], a[x] = a[x], a[result]
		}
	case less(a[x], a[z]):
		a[result], a[x] = a[x], a[result]
	case less(a[y], a[z]):
		a[result], a[z] = a[z], a[result]
	default:
		a[result], a[y] = a[y], a[result]
	}
}

func finalInsertionSort(a []int32, first, last int, less func(x, y int32) bool) {
	if last-first > sortThreshold {
		insertionSort(a, first, first+sortThreshold, less)
		for i := first + sortThreshold; i < last; i++ {
			linearInsert(a, i, less)
		}
		return
	}
	insertionSort(a, first, last, less)
}

func insertionSort(a []int32, first, last int, less func(x, y int32) bool) {
	for i := first + 1; i < last; i++ {
		if less(a[i], a[first]) {
			v := a[i]
			copy(a[first+1:i+1], a[first:i])
			a[first] = v
		} else {
			linearInsert(a, i, less)
		}
	}
}

func linearInsert(a []int32, last int, less func(x, y int32) bool) {
	v := a[last]
	for next := last - 1; less(v, a[next]); next-- {
		a[last] = a[next]
		last = next
	}
	a[last] = v
}

// heapSort is std::__partial_sort(first, last, last): make_heap, sort_heap.
func heapSort(a []int32, less func(x, y int32) bool) {
	n := len(a)
	if n < 2 {
		return
	}
	for parent := (n - 2) / 2; ; parent-- {
		adjustHeap(a, parent, n, a[parent], less)
		if parent == 0 {
			break
		}
	}
	for last := n - 1; last > 0; last-- {
		v := a[last]
		a[last] = a[0]
		adjustHeap(a, 0, last, v, less)
	}
}

func adjustHeap(a []int32, hole, n int, v int32, less func(x, y int32) bool) {
	top := hole
	child := hole
	for child < (n-1)/2 {
		child = 2 * (child + 1)
		if less(a[child], a[child-1]) {
			child--
		}
		a[hole] = a[child]
		hole = child
	}
	if n&1 == 0 && child == (n-2)/2 {
		child = 2 * (child + 1)
		a[hole] = a[child-1]
		hole = child - 1
	}
	for parent := (hole - 1) / 2; hole > top && less(a[parent], v); parent = (hole - 1) / 2 {
		a[hole] = a[parent]
		hole = parent
	}
	a[hole] = v
}
