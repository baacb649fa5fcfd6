package pack

import (
	"strings"
)

// String writes the Modelfile back as text in a fixed order (FROM, ADAPTER,
// TEMPLATE, SYSTEM, PARAMETER in Params order, MESSAGE, LICENSE, REQUIRES,
// RENDERER, PARSER), each value bare where that reads back the same and
// quoted otherwise, so that parsing the result gives an equal Modelfile.
// The one exception cannot come from ParseModelfile: a hand-set value in
// which a """ is followed (after optional blanks) by a line break has no
// spelling in the format, and is written triple-quoted anyway.
func (m *Modelfile) String() string {
	var b strings.Builder
	line := func(parts ...string) {
		b.WriteString(strings.Join(parts, " "))
		b.WriteByte('\n')
	}
	line("FROM", quote(m.From))
	for _, a := range m.Adapters {
		line("ADAPTER", quote(a))
	}
	if m.Template != "" {
		line("TEMPLATE", quote(m.Template))
	}
	if m.System != "" {
		line("SYSTEM", quote(m.System))
	}
	for _, p := range m.Params {
		for _, v := range formatParamValues(p.Value) {
			line("PARAMETER", p.Name, v)
		}
	}
	for _, msg := range m.Messages {
		line("MESSAGE", msg.Role, quote(msg.Content))
	}
	for _, l := range m.Licenses {
		line("LICENSE", quote(l))
	}
	if m.Requires != "" {
		line("REQUIRES", quote(m.Requires))
	}
	if m.Renderer != "" {
		line("RENDERER", quote(m.Renderer))
	}
	if m.Parser != "" {
		line("PARSER", quote(m.Parser))
	}
	return b.String()
}

// quote spells a value so that the parser reads it back unchanged: bare if
// it is one line with no blank at either end and no leading quote; else in
// double quotes if it holds none; else in triple quotes.
func quote(v string) string {
	if v != "" && !strings.ContainsAny(v, "\r\n") &&
		!strings.ContainsRune(" \t\"", rune(v[0])) && !strings.ContainsRune(" \t", rune(v[len(v)-1])) {
		return v
	}
	if !strings.Contains(v, `"`) {
		return `"` + v + `"`
	}
	return `"""` + v + `"""`
}

// quotable reports whether quote(v) reads back as v: false only for a value
// whose triple-quoted form would close early, at a line break that follows
// a """ (after optional blanks) inside the value.
func quotable(v string) bool {
	if !strings.Contains(v, `"`) {
		return true
	}
	for i := 0; i < len(v); i++ {
		if v[i] != '\r' && v[i] != '\n' {
			continue
		}
		if s := strings.TrimRight(`"""`+v[:i], " \t\r\n"); len(s) >= 6 && strings.HasSuffix(s, `"""`) {
			return false
		}
	}
	return true
}
