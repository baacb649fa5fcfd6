package pack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// MaxModelfileSize bounds the Modelfile ParseModelfile reads: the artifact
// stores it in a section of at most that size.
const MaxModelfileSize = MaxSmallSection

// Modelfile is a parsed Modelfile in Ollama's format. Commands that may
// appear once keep the last value given, as in Ollama; FROM must appear
// exactly once.
type Modelfile struct {
	From     string    // FROM: the GGUF path (or model name)
	Adapters []string  // ADAPTER lines; Kiln does not apply LoRA adapters
	Template string    // TEMPLATE
	System   string    // SYSTEM
	Params   []Param   // PARAMETER settings, in the order of the parameter table
	Messages []Message // MESSAGE lines, in order
	Licenses []string  // LICENSE lines, in order
	Requires string    // REQUIRES: the minimum version, without a leading "v"
	Renderer string    // RENDERER
	Parser   string    // PARSER
}

// Message is a MESSAGE line: a turn of conversation placed before the user's.
type Message struct {
	Role    string // system, user or assistant
	Content string
}

// ParseError is a Modelfile syntax or value error.
type ParseError struct {
	Line int // 1-based; 0 when the error is about the whole file
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("pack: Modelfile line %d: %s", e.Line, e.Msg)
	}
	return "pack: Modelfile: " + e.Msg
}

var commandNames = []string{"FROM", "PARAMETER", "TEMPLATE", "SYSTEM", "ADAPTER", "MESSAGE", "LICENSE", "REQUIRES", "RENDERER", "PARSER"}

// ParseModelfile parses a Modelfile. It follows Ollama's parser: a command
// name (any case) and one space or tab, then a value that is bare (to the
// end of the line, trimmed), "double-quoted" or """triple-quoted""". A quoted
// value may span lines and ends at the first line break where the text so
// far, trimmed, ends with its closing quotes; there are no escapes, the
// quotes simply delimit raw text. '#' starts a comment where a command could
// start. A leading byte-order mark is skipped, and UTF-16 with a BOM is
// decoded, as Ollama does.
//
// Unlike Ollama it keeps every character of a value (Ollama drops
// non-printing ones), counts a CRLF as one line, allows several spaces
// between a command's words, takes PARAMETER names and MESSAGE roles in any
// case, and checks each PARAMETER's name and value type here, with the line.
func ParseModelfile(r io.Reader) (*Modelfile, error) {
	raw, err := io.ReadAll(io.LimitReader(r, MaxModelfileSize+1))
	if err != nil {
		return nil, fmt.Errorf("pack: read Modelfile: %w", err)
	}
	if len(raw) > MaxModelfileSize {
		return nil, &ParseError{Msg: fmt.Sprintf("larger than %d bytes", MaxModelfileSize)}
	}
	p := &mfParser{src: decodeText(raw), line: 1}
	return p.parse()
}

// decodeText turns the file's bytes into text: UTF-8 without its BOM, or
// UTF-16 with one. Invalid UTF-8 is kept as is; values are raw text.
func decodeText(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xef, 0xbb, 0xbf}):
		return string(b[3:])
	case bytes.HasPrefix(b, []byte{0xff, 0xfe}), bytes.HasPrefix(b, []byte{0xfe, 0xff}):
		big := b[0] == 0xfe
		u := make([]uint16, 0, len(b)/2)
		for i := 2; i+1 < len(b); i += 2 {
			if big {
				u = append(u, uint16(b[i])<<8|uint16(b[i+1]))
			} else {
				u = append(u, uint16(b[i+1])<<8|uint16(b[i]))
			}
		}
		return string(utf16.Decode(u))
	}
	return string(b)
}

type mfParser struct {
	src      string
	pos      int
	line     int
	fromLine int
	m        Modelfile
}

func (p *mfParser) errorf(line int, format string, args ...any) error {
	return &ParseError{Line: line, Msg: fmt.Sprintf(format, args...)}
}

func (p *mfParser) parse() (*Modelfile, error) {
	for {
		p.skip(" \t\r\n")
		if p.pos >= len(p.src) {
			break
		}
		if p.src[p.pos] == '#' {
			if i := strings.IndexAny(p.src[p.pos:], "\r\n"); i >= 0 {
				p.pos += i
			} else {
				p.pos = len(p.src)
			}
			continue
		}
		if err := p.command(); err != nil {
			return nil, err
		}
	}
	if p.fromLine == 0 {
		return nil, &ParseError{Msg: "no FROM line"}
	}
	return &p.m, nil
}

// skip advances over the characters in set, counting lines.
func (p *mfParser) skip(set string) {
	for p.pos < len(p.src) && strings.IndexByte(set, p.src[p.pos]) >= 0 {
		p.newline()
		p.pos++
	}
}

// newline counts a line if the byte at pos ends one (CRLF counts once).
func (p *mfParser) newline() {
	switch p.src[p.pos] {
	case '\n':
		p.line++
	case '\r':
		if p.pos+1 >= len(p.src) || p.src[p.pos+1] != '\n' {
			p.line++
		}
	}
}

// word reads characters accepted by ok and reports whether a space or tab
// follows them (what separates a command's words).
func (p *mfParser) word(ok func(byte) bool) (string, bool) {
	start := p.pos
	for p.pos < len(p.src) && ok(p.src[p.pos]) {
		p.pos++
	}
	w := p.src[start:p.pos]
	return w, p.pos < len(p.src) && (p.src[p.pos] == ' ' || p.src[p.pos] == '\t')
}

// token returns the text up to the next blank, for error messages.
func (p *mfParser) token(start int) string {
	end := start
	for end < len(p.src) && end-start < 40 && !strings.ContainsRune(" \t\r\n", rune(p.src[end])) {
		_, n := utf8.DecodeRuneInString(p.src[end:])
		end += n
	}
	return p.src[start:end]
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool {
	return isLetter(c) || c >= '0' && c <= '9' || c == '_'
}

func (p *mfParser) command() error {
	line, start := p.line, p.pos
	name, spaced := p.word(isLetter)
	cmd := strings.ToUpper(name)
	known := false
	for _, c := range commandNames {
		known = known || c == cmd
	}
	if !known || (p.pos < len(p.src) && !spaced && !strings.ContainsRune("\r\n", rune(p.src[p.pos]))) {
		return p.errorf(line, "unknown command %q (want one of %s)", p.token(start), strings.Join(commandNames, ", "))
	}
	if !spaced {
		return p.errorf(line, "%s has no value", cmd)
	}
	p.skip(" \t")

	var arg string
	switch cmd {
	case "PARAMETER", "MESSAGE":
		argStart := p.pos
		var spaced bool
		if cmd == "PARAMETER" {
			arg, spaced = p.word(isNameChar)
		} else {
			arg, spaced = p.word(isLetter)
		}
		arg = strings.ToLower(arg)
		if arg == "" || (!spaced && p.pos < len(p.src) && !strings.ContainsRune("\r\n", rune(p.src[p.pos]))) {
			what := "parameter name"
			if cmd == "MESSAGE" {
				what = "message role"
			}
			return p.errorf(line, "%s: invalid %s %q", cmd, what, p.token(argStart))
		}
		if cmd == "MESSAGE" && arg != "system" && arg != "user" && arg != "assistant" {
			return p.errorf(line, "MESSAGE role %q is not system, user or assistant", p.token(argStart))
		}
		if _, _, ok := lookupParam(arg); cmd == "PARAMETER" && !ok {
			return p.errorf(line, "unknown parameter %q", arg)
		}
		if !spaced {
			return p.errorf(line, "%s %s has no value", cmd, arg)
		}
		p.skip(" \t")
	}

	value, err := p.value(line, cmd)
	if err != nil {
		return err
	}
	return p.apply(line, cmd, arg, value)
}

// value reads a command's value: to the first line break at which what was
// read, trimmed, is complete (a bare value, or one whose quotes close). The
// trimmed end is tracked line by line, so that blank lines inside a long
// quoted value are not rescanned at every line break.
func (p *mfParser) value(line int, cmd string) (string, error) {
	start := p.pos // a non-blank byte, or the line break of an empty value
	end := start   // end of the text read so far, trailing blanks excluded
	for {
		lineEnd := len(p.src)
		if i := strings.IndexAny(p.src[p.pos:], "\r\n"); i >= 0 {
			lineEnd = p.pos + i
		}
		if seg := strings.TrimRight(p.src[p.pos:lineEnd], " \t"); seg != "" {
			end = p.pos + len(seg)
		}
		p.pos = lineEnd
		if v, ok := unquote(p.src[start:end]); ok {
			return v, nil
		}
		if lineEnd == len(p.src) {
			quote := `"`
			if strings.HasPrefix(p.src[start:], `"""`) {
				quote = `"""`
			}
			return "", p.errorf(line, "%s: unterminated %s string (it must end a line with %s)", cmd, quote, quote)
		}
		p.newline()
		p.pos++
	}
}

// unquote strips the quotes of a complete value; ok is false while a quoted
// value has not closed yet.
func unquote(s string) (string, bool) {
	if strings.HasPrefix(s, `"""`) {
		if len(s) >= 6 && strings.HasSuffix(s, `"""`) {
			return s[3 : len(s)-3], true
		}
		return "", false
	}
	if strings.HasPrefix(s, `"`) {
		if len(s) >= 2 && strings.HasSuffix(s, `"`) {
			return s[1 : len(s)-1], true
		}
		return "", false
	}
	return s, true
}

func (p *mfParser) apply(line int, cmd, arg, value string) error {
	m := &p.m
	switch cmd {
	case "FROM":
		if p.fromLine != 0 {
			return p.errorf(line, "second FROM (the first is on line %d); a Modelfile packs one model", p.fromLine)
		}
		if value == "" {
			return p.errorf(line, "FROM has an empty value")
		}
		p.fromLine, m.From = line, value
	case "ADAPTER":
		m.Adapters = append(m.Adapters, value)
	case "TEMPLATE":
		m.Template = value
	case "SYSTEM":
		m.System = value
	case "LICENSE":
		m.Licenses = append(m.Licenses, value)
	case "RENDERER":
		m.Renderer = value
	case "PARSER":
		m.Parser = value
	case "REQUIRES":
		v := strings.TrimPrefix(value, "v")
		if !validVersion(v) {
			return p.errorf(line, "REQUIRES %q is not a version like 0.14.0", value)
		}
		m.Requires = v
	case "MESSAGE":
		m.Messages = append(m.Messages, Message{Role: arg, Content: value})
	case "PARAMETER":
		_, spec, _ := lookupParam(arg)
		v, err := parseParamValue(spec, value)
		if err != nil {
			return p.errorf(line, "%v", err)
		}
		m.setParam(arg, v)
	default:
		return errors.New("pack: unreachable Modelfile command " + cmd)
	}
	return nil
}

// validVersion accepts what Ollama's REQUIRES accepts (semver.IsValid after
// a "v" is added): MAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]].
func validVersion(v string) bool {
	core, build, hasBuild := strings.Cut(v, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	nums := strings.Split(core, ".")
	if len(nums) > 3 || (len(nums) < 3 && (hasPre || hasBuild)) {
		return false
	}
	for _, n := range nums {
		if !isNumber(n) {
			return false
		}
	}
	if hasPre && !validIdents(pre, true) || hasBuild && !validIdents(build, false) {
		return false
	}
	return true
}

// isNumber reports whether s is a decimal number without leading zeros.
func isNumber(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func validIdents(s string, numericNoZero bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		digits := true
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !(isLetter(c) || c >= '0' && c <= '9' || c == '-') {
				return false
			}
			digits = digits && c >= '0' && c <= '9'
		}
		if digits && numericNoZero && !isNumber(id) {
			return false
		}
	}
	return true
}
