package tokenizer

// Pre-tokenization splits a text fragment into the words that byte-level BPE
// merges within. llama.cpp (unicode_regex_split) applies a list of regexes
// one after the other, each splitting every piece the previous ones left
// into its matches and the gaps between them. Two of the regexes (GPT-2's
// and Llama 3's) run as hand-written code there; the others run through
// std::regex, either on a "collapsed" text where every code point >= 128 is
// replaced by one byte standing for its category, or, for regexes without
// \p{..}, on the code points themselves. The splitters here are hand-written
// for each regex and reproduce std::regex's ECMAScript semantics (first
// alternative that matches, greedy quantifiers with backtracking) on the
// same view of the text, so that they cut exactly where llama.cpp cuts.

// pretext is one fragment prepared for splitting: its code points, their
// flags, and the byte offset of each (offs has one extra entry, the length).
type pretext struct {
	cps   []rune
	flags []uint16
	offs  []int32
}

// load decodes s (already normalized) into t, reusing its buffers.
func (t *pretext) load(s string) {
	if cap(t.cps) < len(s) {
		t.cps, t.flags, t.offs = make([]rune, 0, len(s)), make([]uint16, 0, len(s)), make([]int32, 0, len(s)+1)
	}
	t.cps, t.flags, t.offs = t.cps[:0], t.flags[:0], t.offs[:0]
	for i := 0; i < len(s); {
		var r rune
		n := 1
		if s[i] < 0x80 {
			r = rune(s[i])
		} else {
			r, n = decodeCpt(s, i)
		}
		t.cps = append(t.cps, r)
		t.flags = append(t.flags, cpFlags(r))
		t.offs = append(t.offs, int32(i))
		i += n
	}
	t.offs = append(t.offs, int32(len(s)))
}

// splitter refines the pieces of [lo, hi) by appending the end of every
// sub-piece, in order, to out; the last one appended is hi.
type splitter func(t *pretext, lo, hi int, out []int32) []int32

// matcher returns the end of the match starting at p, looking no further
// than hi (the end of the piece, where lookaheads and $ see the end of the
// text), or -1 when the regex does not match there.
type matcher func(t *pretext, p, hi int) int

// search turns a matcher into a splitter with regex_iterator's rules: find
// the leftmost match, emit the gap before it (if any) and the match, go on
// from its end. None of the regexes we mirror can match the empty string.
func search(m matcher) splitter {
	return func(t *pretext, lo, hi int, out []int32) []int32 {
		last := lo
		for p := lo; p < hi; {
			e := m(t, p, hi)
			if e < 0 {
				p++
				continue
			}
			if p > last {
				out = append(out, int32(p))
			}
			out = append(out, int32(e))
			last, p = e, e
		}
		if last < hi {
			out = append(out, int32(hi))
		}
		return out
	}
}

// preTokenizer is the list of splitters a pre type applies in order.
type preTokenizer []splitter

// split returns the piece ends (code point indices) of t, using buffers a
// and b (one of which it returns).
func (pt preTokenizer) split(t *pretext, a, b []int32) (ends, spare []int32) {
	a = append(a[:0], int32(len(t.cps)))
	for _, s := range pt {
		b = b[:0]
		lo := 0
		for _, e := range a {
			b = s(t, lo, int(e), b)
			lo = int(e)
		}
		a, b = b, a
	}
	return a, b
}

// ---------------------------------------------------------------------------
// Views of a code point.

// Class bits of a "collapsed" character: ASCII as itself, every other code
// point as 0x0B when whitespace, else 0xD1..0xD5 for N, L, P, M, S, else 0xD0.
// The \p{..} classes then become the byte sets unicode_regex_split builds
// (k_ucat_map): note that its \p{S} lacks '~', and \s is the C locale's.
const (
	cWS    uint16 = 1 << iota // \s: \t \n \v \f \r and space
	cL                        // \p{L}: A-Za-z, 0xD2
	cN                        // \p{N}: 0-9, 0xD1
	cP                        // \p{P}: !-#%-*,-/:;?@[-]_{}, 0xD3
	cS                        // \p{S}: $+<=>^`|, 0xD5
	cM                        // \p{M}: 0xD4
	cUpper                    // A-Z
	cLower                    // a-z
)

var collapsedClass = func() (t [256]uint16) {
	for _, c := range "\t\n\v\f\r " {
		t[c] |= cWS
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] |= cL | cUpper
		t[c+'a'-'A'] |= cL | cLower
	}
	for c := '0'; c <= '9'; c++ {
		t[c] |= cN
	}
	for _, c := range "!\"#%&'()*,-./:;?@[\\]_{}" {
		t[c] |= cP
	}
	for _, c := range "$+<=>^`|" {
		t[c] |= cS
	}
	t[0xD1] |= cN
	t[0xD2] |= cL
	t[0xD3] |= cP
	t[0xD4] |= cM
	t[0xD5] |= cS
	return t
}()

// col returns the collapsed character of code point i.
func (t *pretext) col(i int) byte {
	r := t.cps[i]
	if r < 128 {
		return byte(r)
	}
	f := t.flags[i]
	switch {
	case f&flagWhitespace != 0:
		return 0x0B
	case f&flagNumber != 0:
		return 0xD1
	case f&flagLetter != 0:
		return 0xD2
	case f&flagPunct != 0:
		return 0xD3
	case f&flagMark != 0:
		return 0xD4
	case f&flagSymbol != 0:
		return 0xD5
	}
	return 0xD0
}

// cc returns the collapsed class bits of code point i.
func (t *pretext) cc(i int) uint16 { return collapsedClass[t.col(i)] }

// wide returns code point i as the std::wregex path sees it: non-ASCII
// whitespace becomes 0x0B.
func (t *pretext) wide(i int) rune {
	r := t.cps[i]
	if r >= 128 && t.flags[i]&flagWhitespace != 0 {
		return 0x0B
	}
	return r
}

// wideSpace is \s for std::wregex in the C locale: ASCII whitespace only
// (non-ASCII whitespace was turned into 0x0B beforehand).
func wideSpace(r rune) bool { return r == ' ' || (r >= '\t' && r <= '\r') }

// run returns the end of the run of code points from p (below hi) whose
// collapsed class has a bit of mask.
func (t *pretext) run(p, hi int, mask uint16) int {
	for p < hi && t.cc(p)&mask != 0 {
		p++
	}
	return p
}

// crlf skips a run of \r and \n.
func (t *pretext) crlf(p, hi int, slash bool) int {
	for p < hi {
		c := t.cps[p]
		if c != '\r' && c != '\n' && !(slash && c == '/') {
			break
		}
		p++
	}
	return p
}

// contraction matches (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])
// at p and returns its end, or -1.
func (t *pretext) contraction(p, hi int) int {
	if t.cps[p] != '\'' || p+1 >= hi {
		return -1
	}
	a := lowerASCII(t.cps[p+1])
	switch a {
	case 's', 't', 'm', 'd':
		return p + 2
	}
	if p+2 < hi {
		b := lowerASCII(t.cps[p+2])
		if (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') {
			return p + 3
		}
	}
	return -1
}

// lowerASCII is unicode_tolower restricted to what matters here: no code
// point outside A-Z lowers to an ASCII letter in llama.cpp's table.
func lowerASCII(r rune) rune {
	if r >= 'A' && r <= 'Z' {
		return r + 'a' - 'A'
	}
	return r
}

// spaces matches the three whitespace alternatives that end the GPT-4-style
// regexes, \s*[\r\n]+|\s+(?!\S)|\s+, on the collapsed text.
func (t *pretext) spaces(p, hi int) int {
	w, last := p, -1
	for w < hi && t.cc(w)&cWS != 0 {
		if c := t.cps[w]; c == '\r' || c == '\n' {
			last = w
		}
		w++
	}
	switch {
	case last >= 0:
		return last + 1
	case w == p:
		return -1
	case w == hi || w-p == 1:
		return w
	}
	return w - 1 // \s+(?!\S) gives back the space before a non-space
}

// ---------------------------------------------------------------------------
// The two splitters llama.cpp hand-writes (unicode_regex_split_custom_gpt2
// and _llama3), mirrored line by line: they are not exactly their regexes
// (see the as_uint checks), and llama.cpp uses them, not the regexes.

const outOfRange = rune(-1)

func (t *pretext) cptAt(i, lo, hi int) rune {
	if i >= lo && i < hi {
		return t.cps[i]
	}
	return outOfRange
}

func (t *pretext) flagsAt(i, lo, hi int) uint16 {
	if i >= lo && i < hi {
		return t.flags[i]
	}
	return 0
}

const flagLN = flagLetter | flagNumber

// splitGPT2 mirrors 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+.
func splitGPT2(t *pretext, lo, hi int, out []int32) []int32 {
	for pos := lo; pos < hi; {
		cpt := t.cps[pos]
		flags := t.flags[pos]
		if cpt == '\'' && pos+1 < hi {
			next := t.cps[pos+1]
			if next == 's' || next == 't' || next == 'm' || next == 'd' {
				pos += 2
				out = append(out, int32(pos))
				continue
			}
			if pos+2 < hi {
				nn := t.cps[pos+2]
				if (next == 'r' && nn == 'e') || (next == 'v' && nn == 'e') || (next == 'l' && nn == 'l') {
					pos += 3
					out = append(out, int32(pos))
					continue
				}
			}
		}
		flags2 := flags
		if cpt == ' ' {
			flags2 = t.flagsAt(pos+1, lo, hi)
		}
		skip := 0
		if cpt == ' ' {
			skip = 1
		}
		switch {
		case flags2&flagLetter != 0:
			pos += skip
			for t.flagsAt(pos, lo, hi)&flagLetter != 0 {
				pos++
			}
			out = append(out, int32(pos))
			continue
		case flags2&flagNumber != 0:
			pos += skip
			for t.flagsAt(pos, lo, hi)&flagNumber != 0 {
				pos++
			}
			out = append(out, int32(pos))
			continue
		case flags2&(flagWhitespace|flagLN) == 0 && flags2 != 0:
			pos += skip
			for f := t.flagsAt(pos, lo, hi); f&(flagWhitespace|flagLN) == 0 && f != 0; f = t.flagsAt(pos, lo, hi) {
				pos++
			}
			out = append(out, int32(pos))
			continue
		}
		n := 0
		for t.flagsAt(pos+n, lo, hi)&flagWhitespace != 0 {
			n++
		}
		switch {
		case n > 1 && pos+n < hi:
			pos += n - 1
		case n > 0:
			pos += n
		default:
			pos++
		}
		out = append(out, int32(pos))
	}
	return out
}

// splitLlama3 mirrors (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
// ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+.
func splitLlama3(t *pretext, lo, hi int, out []int32) []int32 {
	for pos := lo; pos < hi; {
		cpt := t.cps[pos]
		flags := t.flags[pos]
		if e := t.contraction(pos, hi); e >= 0 {
			pos = e
			out = append(out, int32(pos))
			continue
		}
		if !(cpt == '\r' || cpt == '\n' || flags&flagNumber != 0) {
			if flags&flagLetter != 0 || t.flagsAt(pos+1, lo, hi)&flagLetter != 0 {
				pos++
				for t.flagsAt(pos, lo, hi)&flagLetter != 0 {
					pos++
				}
				out = append(out, int32(pos))
				continue
			}
		}
		if flags&flagNumber != 0 {
			ini := pos
			for t.flagsAt(pos, lo, hi)&flagNumber != 0 {
				pos++
				if pos-ini >= 3 {
					out = append(out, int32(pos))
					ini = pos
				}
			}
			if pos > ini {
				out = append(out, int32(pos))
			}
			continue
		}
		flags2 := flags
		if cpt == ' ' {
			flags2 = t.flagsAt(pos+1, lo, hi)
		}
		if flags2&(flagWhitespace|flagLN) == 0 && flags != 0 {
			if cpt == ' ' {
				pos++
			}
			for flags2&(flagWhitespace|flagLN) == 0 && flags2 != 0 {
				pos++
				flags2 = t.flagsAt(pos, lo, hi)
			}
			for c := t.cptAt(pos, lo, hi); c == '\r' || c == '\n'; c = t.cptAt(pos, lo, hi) {
				pos++
			}
			out = append(out, int32(pos))
			continue
		}
		n, lastRN := 0, 0
		for t.flagsAt(pos+n, lo, hi)&flagWhitespace != 0 {
			if c := t.cps[pos+n]; c == '\r' || c == '\n' {
				lastRN = pos + n + 1
			}
			n++
		}
		switch {
		case lastRN > 0:
			pos = lastRN
		case n > 1 && pos+n < hi:
			pos += n - 1
		case n > 0:
			pos += n
		default:
			pos++
		}
		out = append(out, int32(pos))
	}
	return out
}

// ---------------------------------------------------------------------------
// Regexes that llama.cpp runs through std::regex on the collapsed text.

// matchQwen2 is (?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|
// [^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// (qwen2, stablelm2, hunyuan, grok-2).
func matchQwen2(t *pretext, p, hi int) int {
	if e := t.contraction(p, hi); e >= 0 {
		return e
	}
	c := t.cc(p)
	cr := t.cps[p] == '\r' || t.cps[p] == '\n'
	if c&(cL|cN) == 0 && !cr && p+1 < hi && t.cc(p+1)&cL != 0 {
		return t.run(p+1, hi, cL)
	}
	if c&cL != 0 {
		return t.run(p, hi, cL)
	}
	if c&cN != 0 {
		return p + 1
	}
	if e := t.punctRun(p, hi, cWS|cL|cN, false); e >= 0 {
		return e
	}
	return t.spaces(p, hi)
}

// punctRun matches " ?[^...]+[\r\n]*" where the class excludes the bits in
// notMask (and [\r\n/]* when slash is set).
func (t *pretext) punctRun(p, hi int, notMask uint16, slash bool) int {
	start := -1
	switch {
	case t.cps[p] == ' ' && p+1 < hi && t.cc(p+1)&notMask == 0:
		start = p + 1
	case t.cc(p)&notMask == 0:
		start = p
	default:
		return -1
	}
	e := start
	for e < hi && t.cc(e)&notMask == 0 {
		e++
	}
	return t.crlf(e, hi, slash)
}

// casedWord matches the cased-word alternatives of tekken and gpt-4o:
//
//	[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+  (upperFirst false)
//	[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*  (upperFirst true)
//
// On the collapsed text, "a letter but not a-z" is A-Z or 0xD2 (any
// non-ASCII letter), "a letter but not A-Z" is a-z or 0xD2. It returns the
// end, or -1.
func (t *pretext) casedWord(p, hi int, upperFirst bool) int {
	s := p
	c := t.cc(p)
	if c&(cL|cN) == 0 && t.cps[p] != '\r' && t.cps[p] != '\n' {
		s = p + 1 // the optional prefix is taken first; without it, no letter starts at p
	}
	isUp := func(i int) bool { return i < hi && t.cc(i)&cL != 0 && t.cc(i)&cLower == 0 }
	isLo := func(i int) bool { return i < hi && t.cc(i)&cL != 0 && t.cc(i)&cUpper == 0 }
	k := s
	for isUp(k) {
		k++
	}
	if upperFirst {
		if k == s {
			return -1
		}
		for isLo(k) {
			k++
		}
		return k
	}
	// Backtrack the upper run until a lower-case letter follows it.
	for ; k >= s; k-- {
		if isLo(k) {
			e := k + 1
			for isLo(e) {
				e++
			}
			return e
		}
	}
	return -1
}

// matchTekken is tekken's regex: the two cased-word alternatives, \p{N},
// ?[^\s\p{L}\p{N}]+[\r\n/]*, then the whitespace alternatives.
func matchTekken(t *pretext, p, hi int) int {
	if e := t.casedWord(p, hi, false); e >= 0 {
		return e
	}
	if e := t.casedWord(p, hi, true); e >= 0 {
		return e
	}
	if t.cc(p)&cN != 0 {
		return p + 1
	}
	if e := t.punctRun(p, hi, cWS|cL|cN, true); e >= 0 {
		return e
	}
	return t.spaces(p, hi)
}

// matchGPT4o is gpt-4o's (o200k) regex: tekken's cased words each followed
// by an optional contraction, \p{N}{1,3}, then as tekken.
func matchGPT4o(t *pretext, p, hi int) int {
	for _, upper := range [2]bool{false, true} {
		if e := t.casedWord(p, hi, upper); e >= 0 {
			if e < hi {
				if c := t.contraction(e, hi); c >= 0 {
					return c
				}
			}
			return e
		}
	}
	if t.cc(p)&cN != 0 {
		e := p + 1
		for e < hi && e < p+3 && t.cc(e)&cN != 0 {
			e++
		}
		return e
	}
	if e := t.punctRun(p, hi, cWS|cL|cN, true); e >= 0 {
		return e
	}
	return t.spaces(p, hi)
}

// matchDeepSeek3 is deepseek-v3's third regex:
// [!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+|
// ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
func matchDeepSeek3(t *pretext, p, hi int) int {
	r := t.cps[p]
	if isASCIIPunct(r) && p+1 < hi && t.cc(p+1)&(cUpper|cLower) != 0 {
		e := p + 1
		for e < hi && t.cc(e)&(cUpper|cLower) != 0 {
			e++
		}
		return e
	}
	c := t.cc(p)
	if c&(cL|cP|cS) == 0 && r != '\r' && r != '\n' && p+1 < hi && t.cc(p+1)&(cL|cM) != 0 {
		return t.run(p+1, hi, cL|cM)
	}
	if c&(cL|cM) != 0 {
		return t.run(p, hi, cL|cM)
	}
	start := -1
	switch {
	case r == ' ' && p+1 < hi && t.cc(p+1)&(cP|cS) != 0:
		start = p + 1
	case c&(cP|cS) != 0:
		start = p
	}
	if start >= 0 {
		return t.crlf(t.run(start, hi, cP|cS), hi, false)
	}
	return t.spaces(p, hi)
}

func isASCIIPunct(r rune) bool {
	return (r >= 0x21 && r <= 0x2F) || (r >= 0x3A && r <= 0x40) || (r >= 0x5B && r <= 0x60) || (r >= 0x7B && r <= 0x7E)
}

// classRun returns a matcher for [class]+ on the collapsed text.
func classRun(mask uint16) matcher {
	return func(t *pretext, p, hi int) int {
		if t.cc(p)&mask == 0 {
			return -1
		}
		return t.run(p, hi, mask)
	}
}

// numbers returns a matcher for \p{N}{1,max} on the collapsed text.
func numbers(max int) matcher {
	return func(t *pretext, p, hi int) int {
		e := p
		for e < hi && e < p+max && t.cc(e)&cN != 0 {
			e++
		}
		if e == p {
			return -1
		}
		return e
	}
}

// defaultPunct is the first regex of the default pre-tokenizer,
// [\p{P}\$\+<=>\^~\|]+, on the collapsed text.
func matchDefaultPunct(t *pretext, p, hi int) int {
	e := p
	for e < hi {
		r := t.cps[e]
		if t.cc(e)&cP == 0 && r != '$' && r != '+' && r != '<' && r != '=' && r != '>' && r != '^' && r != '~' && r != '|' {
			break
		}
		e++
	}
	if e == p {
		return -1
	}
	return e
}

// ---------------------------------------------------------------------------
// Regexes without \p{..}, which llama.cpp runs with std::wregex on the code
// points (non-ASCII whitespace replaced by 0x0B).

// runeClass is a bracket expression of single code points and ranges.
type runeClass [][2]rune

func (c runeClass) has(r rune) bool {
	for _, x := range c {
		if x[0] <= r && r <= x[1] {
			return true
		}
	}
	return false
}

// parseClass reads the inside of a bracket expression written as in the
// llama.cpp source: literal characters and a-b ranges.
func parseClass(s string) runeClass {
	rs := []rune(s)
	var c runeClass
	for i := 0; i < len(rs); i++ {
		if i+2 < len(rs) && rs[i+1] == '-' {
			c = append(c, [2]rune{rs[i], rs[i+2]})
			i += 2
			continue
		}
		c = append(c, [2]rune{rs[i], rs[i]})
	}
	return c
}

// wideRun returns a matcher for \s?[class]+ (optSpace) or [class]+ on the
// wide text.
func wideRun(c runeClass, optSpace bool) matcher {
	// A bitmap of the BMP keeps the per-character test cheap.
	var bmp [0x10000 / 64]uint64
	for _, x := range c {
		for r := x[0]; r <= x[1] && r < 0x10000; r++ {
			bmp[r/64] |= 1 << (r % 64)
		}
	}
	in := func(r rune) bool {
		if r < 0x10000 {
			return bmp[r/64]&(1<<(r%64)) != 0
		}
		return c.has(r)
	}
	return func(t *pretext, p, hi int) int {
		s := p
		switch {
		case optSpace && wideSpace(t.wide(p)) && p+1 < hi && in(t.wide(p+1)):
			s = p + 1
		case in(t.wide(p)):
		default:
			return -1
		}
		for s < hi && in(t.wide(s)) {
			s++
		}
		return s
	}
}

// matchNewline is [\r\n].
func matchNewline(t *pretext, p, hi int) int {
	if r := t.cps[p]; r == '\r' || r == '\n' {
		return p + 1
	}
	return -1
}

// matchThreeDigits is [0-9][0-9][0-9].
func matchThreeDigits(t *pretext, p, hi int) int {
	if p+3 > hi {
		return -1
	}
	for i := p; i < p+3; i++ {
		if r := t.cps[i]; r < '0' || r > '9' {
			return -1
		}
	}
	return p + 3
}

// splitTrailingSpace is \s+$: the trailing whitespace of a piece is cut off.
func splitTrailingSpace(t *pretext, lo, hi int, out []int32) []int32 {
	q := hi
	for q > lo && wideSpace(t.wide(q-1)) {
		q--
	}
	if q > lo && q < hi {
		out = append(out, int32(q))
	}
	return append(out, int32(hi))
}
