package tokenizer

import (
	"sync"
	"unicode"
	"unicode/utf8"
)

// Code point flags, with the bit layout of llama.cpp's unicode_cpt_flags.
// Exactly one category bit is set for every code point up to 0x10FFFF;
// whitespace is a separate property.
const (
	flagUndefined  uint16 = 0x0001 // unassigned (Cn), and anything beyond 0x10FFFF
	flagNumber     uint16 = 0x0002 // \p{N}
	flagLetter     uint16 = 0x0004 // \p{L}
	flagSeparator  uint16 = 0x0008 // \p{Z}
	flagMark       uint16 = 0x0010 // \p{M}
	flagPunct      uint16 = 0x0020 // \p{P}
	flagSymbol     uint16 = 0x0040 // \p{S}
	flagControl    uint16 = 0x0080 // \p{C} other than Cn
	flagWhitespace uint16 = 0x0100 // \s as llama.cpp's unicode_set_whitespace has it
)

// unicode151 lists the code points whose category differs between Go's
// tables (Unicode 15.0) and llama.cpp's unicode-data.cpp (Unicode 15.1).
// A scan of all 0x110000 code points found exactly these; everything else,
// whitespace included, agrees (see TestFlagsAgainstLlamaData).
var unicode151 = []struct {
	lo, hi rune
	flags  uint16
}{
	{0x2FFC, 0x2FFF, flagSymbol},   // new ideographic description characters
	{0x31EF, 0x31EF, flagSymbol},   // CJK stroke
	{0x2EBF0, 0x2EE5D, flagLetter}, // CJK Unified Ideographs Extension I
}

// asciiFlags holds the flags of the first 128 code points, the hot path.
var asciiFlags = func() (t [128]uint16) {
	for r := range rune(128) {
		t[r] = computeFlags(r)
	}
	return t
}()

var (
	bmpOnce  sync.Once
	bmpFlags []uint16 // flags of U+0000..U+FFFF, built on first non-ASCII use
)

// cpFlags returns llama.cpp's flags for code point r.
func cpFlags(r rune) uint16 {
	if r < 128 {
		if r < 0 {
			return flagUndefined
		}
		return asciiFlags[r]
	}
	if r < 0x10000 {
		bmpOnce.Do(func() {
			t := make([]uint16, 0x10000)
			for r := range rune(0x10000) {
				t[r] = computeFlags(r)
			}
			bmpFlags = t
		})
		return bmpFlags[r]
	}
	return computeFlags(r)
}

// computeFlags classifies r with Go's Unicode tables, corrected to the
// Unicode version of llama.cpp's tables.
func computeFlags(r rune) uint16 {
	if r > unicode.MaxRune || r < 0 {
		return flagUndefined
	}
	var f uint16
	for _, o := range unicode151 {
		if o.lo <= r && r <= o.hi {
			f = o.flags
		}
	}
	if f == 0 {
		switch {
		case unicode.IsLetter(r):
			f = flagLetter
		case unicode.IsNumber(r):
			f = flagNumber
		case unicode.IsMark(r):
			f = flagMark
		case unicode.IsPunct(r):
			f = flagPunct
		case unicode.IsSymbol(r):
			f = flagSymbol
		case unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp):
			f = flagSeparator
		case unicode.In(r, unicode.Cc, unicode.Cf, unicode.Cs, unicode.Co):
			f = flagControl
		default:
			f = flagUndefined
		}
	}
	// Go's White_Space property is the same set as llama.cpp's
	// unicode_set_whitespace: 9-13, 32, U+0085, U+00A0, U+1680,
	// U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000.
	if unicode.Is(unicode.White_Space, r) {
		f |= flagWhitespace
	}
	return f
}

// decodeCpt decodes one code point at s[i:] the way llama.cpp's
// unicode_cpts_from_utf8 does: lead byte and continuation bits are checked,
// but overlong forms, surrogates and values up to 0x1FFFFF are accepted.
// An invalid sequence yields U+FFFD and advances one byte.
func decodeCpt(s string, i int) (rune, int) {
	b0 := s[i]
	if b0 < 0x80 {
		return rune(b0), 1
	}
	n := len(s) - i
	switch {
	case b0&0x40 == 0:
		return utf8.RuneError, 1
	case b0&0x20 == 0:
		if n < 2 || s[i+1]&0xC0 != 0x80 {
			return utf8.RuneError, 1
		}
		return rune(b0&0x1F)<<6 | rune(s[i+1]&0x3F), 2
	case b0&0x10 == 0:
		if n < 3 || s[i+1]&0xC0 != 0x80 || s[i+2]&0xC0 != 0x80 {
			return utf8.RuneError, 1
		}
		return rune(b0&0x0F)<<12 | rune(s[i+1]&0x3F)<<6 | rune(s[i+2]&0x3F), 3
	case b0&0x08 == 0:
		if n < 4 || s[i+1]&0xC0 != 0x80 || s[i+2]&0xC0 != 0x80 || s[i+3]&0xC0 != 0x80 {
			return utf8.RuneError, 1
		}
		return rune(b0&0x07)<<18 | rune(s[i+1]&0x3F)<<12 | rune(s[i+2]&0x3F)<<6 | rune(s[i+3]&0x3F), 4
	}
	return utf8.RuneError, 1
}

// appendCpt appends the UTF-8 form of r as llama.cpp's unicode_cpt_to_utf8
// writes it, surrogates included. llama.cpp throws for r > 0x10FFFF (only
// reachable from a 4-byte sequence above U+10FFFF); we write U+FFFD instead.
func appendCpt(b []byte, r rune) []byte {
	switch {
	case r < 0x80:
		return append(b, byte(r))
	case r < 0x800:
		return append(b, 0xC0|byte(r>>6), 0x80|byte(r)&0x3F)
	case r < 0x10000:
		return append(b, 0xE0|byte(r>>12), 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	case r <= 0x10FFFF:
		return append(b, 0xF0|byte(r>>18), 0x80|byte(r>>12)&0x3F, 0x80|byte(r>>6)&0x3F, 0x80|byte(r)&0x3F)
	}
	return append(b, 0xEF, 0xBF, 0xBD)
}

// normalizeUTF8 returns s as llama.cpp's BPE path sees it: decoded with
// decodeCpt (invalid bytes become U+FFFD) and encoded again. Valid UTF-8
// comes back unchanged, without a copy.
func normalizeUTF8(s string, buf []byte) (string, []byte) {
	if utf8.ValidString(s) {
		return s, buf
	}
	buf = buf[:0]
	for i := 0; i < len(s); {
		r, n := decodeCpt(s, i)
		buf = appendCpt(buf, r)
		i += n
	}
	return string(buf), buf
}

// utf8Len is llama.cpp's unicode_len_utf8: the sequence length announced
// by a lead byte, from its high nibble alone. SentencePiece splits its input
// into symbols with it, valid or not.
func utf8Len(b byte) int {
	return int(utf8LenTable[b>>4])
}

var utf8LenTable = [16]uint8{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4}

// GPT-2's byte-to-unicode table: printable Latin-1 bytes stand for
// themselves, the other 68 bytes map to U+0100..U+0143 in byte order.
// byteLevel[b] is the UTF-8 form of the character for byte b; levelByte
// maps a character back (-1 outside the alphabet).
var byteLevel, levelByte = func() (enc [256]string, dec [0x144]int16) {
	for i := range dec {
		dec[i] = -1
	}
	n := rune(0)
	for b := range 256 {
		r := rune(b)
		if !((b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)) {
			r = 256 + n
			n++
		}
		enc[b] = string(r)
		dec[r] = int16(b)
	}
	return enc, dec
}()

// byteOf returns the byte that character r of the byte-level alphabet
// stands for.
func byteOf(r rune) (byte, bool) {
	if r < 0 || r >= rune(len(levelByte)) || levelByte[r] < 0 {
		return 0, false
	}
	return byte(levelByte[r]), true
}

// appendByteLevel appends the byte-level (GPT-2 alphabet) form of raw.
func appendByteLevel(buf []byte, raw string) []byte {
	for i := 0; i < len(raw); i++ {
		buf = append(buf, byteLevel[raw[i]]...)
	}
	return buf
}
