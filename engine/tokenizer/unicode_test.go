package tokenizer

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFlagsAgainstLlamaData compares cpFlags with llama.cpp's own table
// (unicode-data.cpp, Unicode 15.1) for every code point, when the Ollama
// module that vendors llama.cpp is in the module cache. Go's tables are
// Unicode 15.0; the unicode151 corrections make them agree everywhere.
func TestFlagsAgainstLlamaData(t *testing.T) {
	cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
	if err != nil {
		t.Skip("no go command:", err)
	}
	path := filepath.Join(strings.TrimSpace(string(cache)), "github.com/ollama/ollama@v0.17.4/llama/llama.cpp/src/unicode-data.cpp")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("llama.cpp sources not in the module cache: %v", err)
	}
	defer f.Close()
	type rng struct {
		start rune
		flags uint16
	}
	var ranges []rng
	ws := map[rune]bool{}
	section := ""
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.Contains(l, "unicode_ranges_flags = {"):
			section = "flags"
			continue
		case strings.Contains(l, "unicode_set_whitespace = {"):
			section = "ws"
			continue
		case strings.HasPrefix(l, "};"):
			section = ""
			continue
		}
		switch section {
		case "flags":
			p := strings.Split(strings.Trim(l, "{},"), ", ")
			a, err1 := strconv.ParseUint(p[0], 0, 32)
			b, err2 := strconv.ParseUint(strings.TrimSuffix(p[1], "}"), 0, 16)
			if err1 != nil || err2 != nil {
				t.Fatalf("cannot parse %q", l)
			}
			ranges = append(ranges, rng{rune(a), uint16(b)})
		case "ws":
			c, err := strconv.ParseUint(strings.Trim(l, ","), 0, 32)
			if err != nil {
				t.Fatalf("cannot parse %q", l)
			}
			ws[rune(c)] = true
		}
	}
	if len(ranges) < 1000 || len(ws) < 20 {
		t.Fatalf("parsed %d ranges and %d whitespace code points; the file's layout changed", len(ranges), len(ws))
	}
	bad := 0
	for i := 0; i+1 < len(ranges); i++ {
		for r := ranges[i].start; r < ranges[i+1].start; r++ {
			want := ranges[i].flags
			if ws[r] {
				want |= flagWhitespace
			}
			if got := cpFlags(r); got != want {
				if bad++; bad <= 10 {
					t.Errorf("cpFlags(%U) = %#x, llama.cpp has %#x", r, got, want)
				}
			}
		}
	}
}
