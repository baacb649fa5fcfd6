package templates

import (
	_ "embed"
	"encoding/json"
	"strings"
	"sync"
	"unicode/utf8"
)

// jinjaJSON is Ollama's template/index.json: Hugging Face chat_template
// texts, each with the name of the Ollama template that renders it.
//
//go:embed builtin/jinja.json
var jinjaJSON []byte

type knownJinja struct {
	Name     string `json:"name"`
	Template string `json:"template"`
	runes    []rune
}

var knownTexts = sync.OnceValue(func() []knownJinja {
	var known []knownJinja
	if err := json.Unmarshal(jinjaJSON, &known); err != nil {
		panic("templates: embedded builtin/jinja.json: " + err.Error()) // the tests load it
	}
	for i := range known {
		known[i].runes = []rune(known[i].Template)
	}
	return known
})

// maxDistance is Ollama's bound: a chat_template whose closest known text is
// this many edits away or more is not recognised by that text.
const maxDistance = 100

// FromChatTemplate names the built-in template for a GGUF's
// tokenizer.chat_template Jinja text, or returns ok=false (and "") when it
// knows none; the caller then falls back to raw completion and says so.
//
// It first does what Ollama does on import: take the known Jinja text with
// the smallest Levenshtein distance (counted in characters; the earlier
// entry wins a tie) and accept it when fewer than 100 edits away. When that
// text belongs to a family Kiln has no template for (zephyr, alpaca, ...),
// the answer is no. Otherwise, where Ollama would give up, the family is
// told by its marker tokens, since most current models (Llama 3.2, Qwen 2.5
// and 3, Mistral v0.3) ship chat templates too long or too new for Ollama's
// list.
func FromChatTemplate(jinja string) (name string, ok bool) {
	if jinja == "" {
		return "", false
	}
	if n, found := closestKnown(jinja); found {
		name, ok = ollamaNames[n]
		return name, ok
	}
	return byMarkers(jinja)
}

// closestKnown returns the Ollama name of the closest known Jinja text, as
// Ollama's template.Named picks it.
func closestKnown(jinja string) (string, bool) {
	n := utf8.RuneCountInString(jinja)
	var r []rune // converted only when some known text is near in length
	best, name := maxDistance, ""
	for _, k := range knownTexts() {
		if abs(n-len(k.runes)) >= best {
			continue // the length difference alone costs that many edits
		}
		if r == nil {
			r = []rune(jinja)
		}
		if d := distance(r, k.runes, best); d < best {
			best, name = d, k.Name
		}
	}
	return name, name != ""
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// byMarkers recognises a family from the special tokens its chat template
// writes. Formats that share a marker but differ in layout are excluded
// first (Phi-4 writes <|im_start|> with <|im_sep|>, not ChatML's newline).
func byMarkers(j string) (string, bool) {
	has := func(s string) bool { return strings.Contains(j, s) }
	switch {
	case has("<|start_header_id|>") && has("<|end_header_id|>"):
		return "llama3", true
	case has("<|im_start|>") && !has("<|im_sep|>"):
		return "chatml", true
	case has("<start_of_turn>"):
		// Gemma 3 puts the system text inside the first user turn and knows
		// images; Gemma 1 and 2 refuse a system role.
		if has("<start_of_image>") || has("first_user_prefix") {
			return "gemma3", true
		}
		return "gemma", true
	case has("[INST]") && has("<<SYS>>"):
		return "llama2", true
	case has("[INST]"):
		return "mistral", true
	case has("<|user|>") && has("<|end|>"):
		return "phi3", true
	}
	return "", false
}

// distance returns the Levenshtein distance between a and b (unit cost for
// insertion, deletion and substitution), or limit when it is limit or more.
// Only the diagonal band of width limit is computed: a cell further from the
// diagonal already costs more than limit.
func distance(a, b []rune, limit int) int {
	if limit <= 0 {
		return limit
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	if len(a)-len(b) >= limit {
		return limit
	}
	if len(b) == 0 {
		return len(a)
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = min(j, limit)
	}
	for i := 1; i <= len(a); i++ {
		lo, hi := max(1, i-limit), min(len(b), i+limit)
		if lo == 1 {
			cur[0] = min(i, limit)
		} else {
			cur[lo-1] = limit
		}
		rowMin := cur[lo-1]
		for j := lo; j <= hi; j++ {
			d := prev[j-1]
			if a[i-1] != b[j-1] {
				d++
			}
			d = min(d, prev[j]+1, cur[j-1]+1, limit)
			cur[j] = d
			rowMin = min(rowMin, d)
		}
		if hi < len(b) {
			cur[hi+1] = limit // the next row reads it as outside the band
		}
		if rowMin >= limit {
			return limit
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
