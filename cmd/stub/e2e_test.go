package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/internal/golden"
	"github.com/kiln-llm/kiln/pack"
)

// The tests in this file run the real programs: TestMain builds the stub
// and the bundler once, and each test bundles and runs artifacts.

var stubBin, bundleBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kiln-e2e")
	if err != nil {
		panic(err)
	}
	stubBin = filepath.Join(dir, "kiln-stub")
	bundleBin = filepath.Join(dir, "bundle")
	for bin, pkg := range map[string]string{stubBin: ".", bundleBin: "../bundle"} {
		cmd := exec.Command("go", "build", "-o", bin, pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			os.Stderr.Write(out)
			os.RemoveAll(dir)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// run executes a program and returns stdout, stderr and the exit code.
func runProg(t *testing.T, bin string, args ...string) (string, string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return out.String(), errb.String(), code
}

// bundle makes an artifact of model in a temp dir and returns its path.
func bundle(t *testing.T, model string, extra ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), strings.TrimSuffix(filepath.Base(model), ".gguf")+".bin")
	args := append([]string{"-q", "--stub", stubBin, "-m", model, "-o", out}, extra...)
	if _, stderr, code := runProg(t, bundleBin, args...); code != 0 {
		t.Fatalf("bundle %s: exit %d: %s", model, code, stderr)
	}
	return out
}

type goldenFile struct {
	PromptIDs   []int32 `json:"prompt_ids"`
	Greedy      []int32 `json:"greedy"`
	GreedySteps []struct {
		Margin float64 `json:"margin"`
	} `json:"greedy_steps"`
}

func idsArg(ids []int32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.Itoa(int(id))
	}
	return strings.Join(s, ",")
}

// TestArtifactGoldenContinuation bundles each golden llama file and checks
// the artifact's greedy continuation and prompt logits against llama.cpp's.
func TestArtifactGoldenContinuation(t *testing.T) {
	for _, tc := range []struct {
		name string
		tol  float64 // the testdata README's logit tolerance for the type
	}{
		{"llama-f32", 3e-2}, {"llama-f16", 3e-2}, {"llama-bf16", 0.15}, {"llama-q8_0", 0.5},
		{"llama-q4_0", 0.5}, {"llama-q4_k_m", 0.5}, {"qwen2-q4_k_m", 0.5}, {"qwen3-f16", 3e-2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g goldenFile
			b, err := os.ReadFile(golden.Path(t, "models", tc.name+".golden.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &g); err != nil {
				t.Fatal(err)
			}
			art := bundle(t, golden.Path(t, "models", tc.name+".gguf"))
			logitsFile := filepath.Join(t.TempDir(), "logits.f32")
			stdout, stderr, code := runProg(t, art, "--raw", "--temp", "0", "-n", "32", "--ignore-eos",
				"--prompt-ids", idsArg(g.PromptIDs), "--print-ids", "--logits-out", logitsFile)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var got []int32
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not one JSON array: %q", stdout)
			}
			if len(got) != 32 {
				t.Fatalf("%d ids, want 32", len(got))
			}
			raw, err := os.ReadFile(logitsFile)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(golden.Path(t, "models", tc.name+".logits.f32"))
			if err != nil {
				t.Fatal(err)
			}
			if len(raw) != len(want) {
				t.Fatalf("--logits-out wrote %d bytes, golden has %d", len(raw), len(want))
			}
			var worst float64
			for i := 0; i < len(raw); i += 4 {
				a := math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))
				w := math.Float32frombits(binary.LittleEndian.Uint32(want[i:]))
				worst = max(worst, math.Abs(float64(a-w)))
			}
			if worst > tc.tol {
				t.Fatalf("max |Δlogit| %g > %g", worst, tc.tol)
			}
			// The README's rule: compare up to the first step whose margin
			// is below the tolerance. Where the prompt logits reproduce
			// llama.cpp bit for bit, every step must match.
			limit := tc.tol
			if worst == 0 {
				limit = 0
			}
			for k := range got {
				if g.GreedySteps[k].Margin < limit {
					break // below the noise floor a divergence is not a bug
				}
				if got[k] != g.Greedy[k] {
					t.Fatalf("step %d: %d, want %d\ngot  %v\nwant %v", k, got[k], g.Greedy[k], got, g.Greedy)
				}
			}
		})
	}
}

// TestTolstoy checks the demo model's greedy text path: prompt text through
// the tokenizer, 64 greedy ids, equal to llama.cpp's.
func TestTolstoy(t *testing.T) {
	var exp struct {
		Files map[string]struct {
			Greedy []struct {
				Prompt string  `json:"prompt"`
				IDs    []int32 `json:"ids"`
			} `json:"greedy"`
		} `json:"files"`
	}
	b, err := os.ReadFile("../../testdata/tolstoy-4m-expected.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &exp); err != nil {
		t.Fatal(err)
	}
	models := map[string]string{"tolstoy-4m-q8_0.gguf": "../../testdata/tolstoy-4m-q8_0.gguf"}
	if dir := golden.Dir(t); dir != "" {
		models["tolstoy-4m-f32.gguf"] = filepath.Join(dir, "trained", "tolstoy-4m-f32.gguf")
	}
	for file, path := range models {
		art := bundle(t, path)
		for _, g := range exp.Files[file].Greedy {
			stdout, stderr, code := runProg(t, art, "-p", g.Prompt, "--temp", "0", "-n", "64", "--print-ids")
			if code != 0 {
				t.Fatalf("%s %q: exit %d: %s", file, g.Prompt, code, stderr)
			}
			if want, _ := json.Marshal(g.IDs); strings.TrimSpace(stdout) != string(want) {
				t.Errorf("%s %q:\ngot  %s\nwant %s", file, g.Prompt, stdout, want)
			}
		}
	}
}

// TestBundleIsDeterministic bundles the same inputs twice.
func TestBundleIsDeterministic(t *testing.T) {
	a := bundle(t, "../../testdata/tolstoy-4m-q8_0.gguf")
	b := bundle(t, "../../testdata/tolstoy-4m-q8_0.gguf")
	x, _ := os.ReadFile(a)
	y, _ := os.ReadFile(b)
	if !bytes.Equal(x, y) {
		t.Fatal("two bundles of the same inputs differ")
	}
}

// TestBadInput checks that every kind of damaged input gets a one-line
// error and a non-zero exit, never a panic.
func TestBadInput(t *testing.T) {
	tmpl := filepath.Join(t.TempDir(), "chat.tmpl")
	if err := os.WriteFile(tmpl, []byte("{{ .System }}\n{{ .Prompt }}"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := bundle(t, "../../testdata/tolstoy-4m-q8_0.gguf", "-f", "../../testdata/tolstoy.Modelfile", "--template", tmpl)
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	a, err := pack.Open(good)
	if err != nil {
		t.Fatal(err)
	}
	sections := a.Sections()
	a.Close()

	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	flip := func(off int64) []byte {
		c := bytes.Clone(data)
		c[off] ^= 0x40
		return c
	}

	type tc struct {
		name string
		args []string
		want string // a fragment of the error
	}
	var cases []tc
	cases = append(cases,
		tc{"truncated artifact", []string{write("trunc.bin", data[:len(data)-1000]), "-p", "x"}, "truncat"},
		tc{"truncated to the stub", []string{write("half.bin", data[:len(data)/2]), "-p", "x"}, ""},
	)
	for _, s := range sections {
		if s.Stored == 0 {
			continue // an empty section has no byte to flip
		}
		name := "flipped byte in " + s.Name
		args := []string{write(s.Name+".bin", flip(s.Offset+s.Stored/2)), "-p", "x"}
		if s.Name == "gguf" {
			args = []string{args[0], "--verify"} // a normal start must not hash the weights
		}
		cases = append(cases, tc{name, args, s.Name})
	}
	past := bytes.Clone(data)
	// The trailer's section slots start 64 bytes into it; the first slot's
	// offset field is 8 bytes into the slot.
	tr := len(past) - pack.TrailerSize
	binary.LittleEndian.PutUint64(past[tr+64+8:], uint64(len(data))*4)
	cases = append(cases, tc{"trailer pointing past the end", []string{write("past.bin", past), "-p", "x"}, ""})

	absurd := append([]byte("GGUF"), 3, 0, 0, 0)
	absurd = binary.LittleEndian.AppendUint64(absurd, 1<<62) // tensor count
	absurd = binary.LittleEndian.AppendUint64(absurd, 0)
	cases = append(cases,
		tc{"GGUF with an absurd tensor count", []string{"-m", write("absurd.gguf", absurd), "-p", "x"}, "tensor"},
		tc{"empty file", []string{"-m", write("empty.gguf", nil), "-p", "x"}, ""},
		tc{"directory as -m", []string{"-m", dir, "-p", "x"}, "directory"},
		tc{"missing file", []string{"-m", filepath.Join(dir, "nope.gguf"), "-p", "x"}, "no such file"},
		tc{"bad prompt ids", []string{"-m", "../../testdata/tolstoy-4m-q8_0.gguf", "--prompt-ids", "1,99999"}, "out of range"},
		tc{"prompt longer than the context", []string{"-m", "../../testdata/tolstoy-4m-q8_0.gguf", "-c", "8", "-p", strings.Repeat("Natasha ", 20)}, "context"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := stubBin
			if !strings.HasPrefix(c.args[0], "-") {
				bin, c.args = c.args[0], c.args[1:]
			}
			_, stderr, code := runProg(t, bin, c.args...)
			if code == 0 {
				t.Fatalf("exit 0, want an error")
			}
			if strings.Contains(stderr, "panic") || strings.Contains(stderr, "goroutine ") {
				t.Fatalf("panicked: %s", stderr)
			}
			if lines := strings.Count(strings.TrimSpace(stderr), "\n") + 1; lines != 1 {
				t.Errorf("want a one-line error, got %d lines: %s", lines, stderr)
			}
			if !strings.Contains(strings.ToLower(stderr), c.want) {
				t.Errorf("error %q does not mention %q", strings.TrimSpace(stderr), c.want)
			}
		})
	}
}

// TestTokenizeVocabOnly tokenizes with a vocabulary-only GGUF (no tensors).
func TestTokenizeVocabOnly(t *testing.T) {
	vocab := golden.Gunzip(t, "tokenizer", "llama3-bpe.vocab.gguf.gz")
	stdout, stderr, code := runProg(t, stubBin, "-m", vocab, "--tokenize", "Hello world")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.TrimSpace(stdout) != "[128000,9906,1917]" {
		t.Fatalf("got %s", stdout)
	}
}
