package main

import "testing"

func TestParseTokenizeLine(t *testing.T) {
	for _, c := range []struct {
		line string
		want string
		ok   bool
	}{
		{`"Hello"`, "Hello", true},
		{`""`, "", true},
		{`"a\nb"` + "\r", "a\nb", true},
		{`null`, "", false},
		{` null `, "", false},
		{`123`, "", false},
		{`{}`, "", false},
		{``, "", false},
		{`"unterminated`, "", false},
	} {
		got, err := parseTokenizeLine([]byte(c.line))
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("parseTokenizeLine(%q) = %q, %v; want %q, ok=%v", c.line, got, err, c.want, c.ok)
		}
	}
}
