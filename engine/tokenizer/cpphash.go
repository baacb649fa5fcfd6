package tokenizer

import "encoding/binary"

// llama.cpp finds EOT, EOM and the FIM tokens by walking its token_to_id
// map, a std::unordered_map<std::string, int> filled with ids 0..n-1 in
// order, and takes the first token of a role's list it meets. When a
// vocabulary has several candidates for one role (Qwen's <|im_end|> and
// <|endoftext|> for EOT), the answer is the map's iteration order, which
// this file reproduces for libstdc++ (GCC's standard library, as in the
// Linux builds the goldens come from): its string hash and its hashtable's
// bucket growth, insertion and rehash rules. A build of llama.cpp with
// another standard library may pick another candidate.

// cppStringHash is libstdc++'s std::hash<std::string> on a 64-bit target:
// std::_Hash_bytes (a MurmurHash2 variant) with seed 0xc70f6907.
func cppStringHash(s string) uint64 {
	const mul = 0xc6a4a7935bd1e995
	shiftMix := func(v uint64) uint64 { return v ^ v>>47 }
	h := uint64(0xc70f6907) ^ uint64(len(s))*mul
	n := len(s) &^ 7
	for i := 0; i < n; i += 8 {
		d := shiftMix(binary.LittleEndian.Uint64([]byte(s[i:i+8]))*mul) * mul
		h ^= d
		h *= mul
	}
	if r := len(s) & 7; r != 0 {
		var d uint64
		for i := len(s) - 1; i >= n; i-- {
			d = d<<8 | uint64(s[i])
		}
		h ^= d
		h *= mul
	}
	h = shiftMix(h) * mul
	return shiftMix(h)
}

// cppRehash lists, for a default-constructed unordered_map under
// libstdc++'s prime rehash policy (max load factor 1), the element count
// whose insertion first needs a larger table, and that table's bucket
// count (measured with GCC 12; the policy has not changed in years).
var cppRehash = [][2]uint64{
	{1, 13}, {14, 29}, {30, 59}, {60, 127}, {128, 257}, {258, 541}, {542, 1109}, {1110, 2357},
	{2358, 5087}, {5088, 10273}, {10274, 20753}, {20754, 42043}, {42044, 85229}, {85230, 172933},
	{172934, 351061}, {351062, 712697}, {712698, 1447153}, {1447154, 2938679}, {2938680, 5967347},
	{5967348, 12117689},
}

// cppMapOrder returns the ids 0..len(texts)-1 in the order libstdc++
// iterates an unordered_map into which texts[i] -> i were inserted in
// order, or nil when the vocabulary is too large for the table above.
func cppMapOrder(texts []string) []int32 {
	n := len(texts)
	if n == 0 || uint64(n) >= cppRehash[len(cppRehash)-1][0] {
		return nil
	}
	hash := make([]uint64, n)
	for i, s := range texts {
		hash[i] = cppStringHash(s)
	}
	// Nodes are ids; bb stands for the list's before-begin node, whose
	// successor is head. buckets[b] is the node before bucket b's first
	// node, or -1.
	bb := int32(n)
	next := make([]int32, n)
	head := int32(-1)
	nextOf := func(p int32) int32 {
		if p == bb {
			return head
		}
		return next[p]
	}
	setNext := func(p, q int32) {
		if p == bb {
			head = q
		} else {
			next[p] = q
		}
	}
	var buckets []int32
	var nb uint64
	rehash := func(count uint64) {
		nbk := make([]int32, count)
		for i := range nbk {
			nbk[i] = -1
		}
		p := head
		head = -1
		var bbBucket uint64
		for p != -1 {
			q := next[p]
			b := hash[p] % count
			if nbk[b] == -1 {
				next[p] = head
				head = p
				nbk[b] = bb
				if next[p] != -1 {
					nbk[bbBucket] = p
				}
				bbBucket = b
			} else {
				next[p] = nextOf(nbk[b])
				setNext(nbk[b], p)
			}
			p = q
		}
		buckets, nb = nbk, count
	}
	r := 0
	for i := range n {
		if r < len(cppRehash) && uint64(i+1) == cppRehash[r][0] {
			rehash(cppRehash[r][1])
			r++
		}
		node := int32(i)
		b := hash[i] % nb
		if buckets[b] != -1 {
			next[node] = nextOf(buckets[b])
			setNext(buckets[b], node)
		} else {
			next[node] = head
			head = node
			if next[node] != -1 {
				buckets[hash[next[node]]%nb] = node
			}
			buckets[b] = bb
		}
	}
	order := make([]int32, 0, n)
	for p := head; p != -1; p = next[p] {
		order = append(order, p)
	}
	return order
}
