package tokenizer

import "hash/maphash"

// textIndex maps token texts to ids: open addressing over 8-byte slots
// holding 32 bits of the hash and the id, verified against the token
// text on a match. It is built several times faster than a Go map of
// strings and is smaller, which matters when the 840k merge strings of
// a large vocabulary are looked up at load.
type textIndex struct {
	seed  maphash.Seed
	slots []uint64 // hash>>32 <<32 | id+1; 0 is empty
	texts []string
}

// newTextIndex returns an empty index over texts, sized for all of them;
// add puts them in.
func newTextIndex(texts []string) textIndex {
	n := 16
	for n < 2*len(texts) {
		n <<= 1
	}
	return textIndex{seed: maphash.MakeSeed(), slots: make([]uint64, n), texts: texts}
}

// add inserts texts[id], unless an id with the same text is there already,
// which it returns.
func (x *textIndex) add(id int32) (int32, bool) {
	s := x.texts[id]
	h := maphash.String(x.seed, s)
	mask := uint64(len(x.slots) - 1)
	fp := h >> 32 << 32
	for i := h & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			x.slots[i] = fp | uint64(id+1)
			return 0, false
		}
		if v>>32<<32 == fp && x.texts[uint32(v)-1] == s {
			return int32(uint32(v) - 1), true
		}
	}
}

func (x *textIndex) get(s string) (int32, bool) {
	h := maphash.String(x.seed, s)
	return x.find(h, s)
}

// getBytes is get for a byte slice, without converting it (which would
// allocate).
func (x *textIndex) getBytes(b []byte) (int32, bool) {
	h := maphash.Bytes(x.seed, b)
	mask := uint64(len(x.slots) - 1)
	fp := h >> 32 << 32
	for i := h & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return -1, false
		}
		if v>>32<<32 == fp && x.texts[uint32(v)-1] == string(b) {
			return int32(uint32(v) - 1), true
		}
	}
}

func (x *textIndex) find(h uint64, s string) (int32, bool) {
	mask := uint64(len(x.slots) - 1)
	fp := h >> 32 << 32
	for i := h & mask; ; i = (i + 1) & mask {
		v := x.slots[i]
		if v == 0 {
			return -1, false
		}
		if v>>32<<32 == fp && x.texts[uint32(v)-1] == s {
			return int32(uint32(v) - 1), true
		}
	}
}
