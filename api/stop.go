package api

import "strings"

// stopMatcher cuts generated text at the first stop string. Text that could
// still grow into a stop string is held back until the next piece decides
// it, so a stop string split across tokens ("<|im_" + "end|>") is found
// and never reaches the client, as Ollama's runner does.
type stopMatcher struct {
	stops []string
	held  string
}

func newStopMatcher(stops []string) *stopMatcher {
	m := &stopMatcher{}
	for _, s := range stops {
		if s != "" {
			m.stops = append(m.stops, s)
		}
	}
	return m
}

// add appends a piece of text and returns what may be emitted now. When a
// stop string is complete, out is the text before it and stopped is true;
// the stop string and everything after it are dropped.
func (m *stopMatcher) add(piece string) (out string, stopped bool) {
	if len(m.stops) == 0 {
		return piece, false
	}
	buf := m.held + piece
	first := -1
	for _, s := range m.stops {
		if i := strings.Index(buf, s); i >= 0 && (first < 0 || i < first) {
			first = i
		}
	}
	if first >= 0 {
		m.held = ""
		return buf[:first], true
	}
	// Hold the longest tail of buf that begins some stop string. A stop
	// string's first byte starts a character, so the cut never splits one.
	keep := 0
	for _, s := range m.stops {
		for k := min(len(s)-1, len(buf)); k > keep; k-- {
			if strings.HasSuffix(buf, s[:k]) {
				keep = k
				break
			}
		}
	}
	m.held = buf[len(buf)-keep:]
	return buf[:len(buf)-keep], false
}

// flush returns the held text at the end of generation: it turned out not
// to be a stop string.
func (m *stopMatcher) flush() string {
	s := m.held
	m.held = ""
	return s
}
