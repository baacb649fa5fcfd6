package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/internal/golden"
	"github.com/kiln-llm/kiln/pack"
)

// quantizeContext parses args with the flags quantizeModel reads.
func quantizeContext(t *testing.T, args ...string) *cli.Context {
	t.Helper()
	flags := append([]cli.Flag{
		&cli.StringFlag{Name: "output", Aliases: []string{"o"}},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}},
	}, quantizeFlags...)
	set := flag.NewFlagSet("bundle", flag.ContinueOnError)
	for _, f := range flags {
		if err := f.Apply(set); err != nil {
			t.Fatal(err)
		}
	}
	if err := set.Parse(append([]string{"--quiet"}, args...)); err != nil {
		t.Fatal(err)
	}
	return cli.NewContext(&cli.App{Flags: flags}, set, nil)
}

// --gguf-out alone writes llama.cpp's file and nothing else.
func TestQuantizeOnly(t *testing.T) {
	src := golden.Path(t, "trained", "tolstoy-4m-f32.gguf")
	dir := t.TempDir()
	out := filepath.Join(dir, "t.gguf")
	man := pack.Manifest{Inputs: map[string]string{}}
	path, cleanup, err := quantizeModel(quantizeContext(t, "--quantize", "Q8_0", "--gguf-out", out), src, &man)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if path != "" {
		t.Errorf("path to bundle %q, want none", path)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(golden.Path(t, "trained", "tolstoy-4m-q8_0.gguf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("--gguf-out differs from llama.cpp's tolstoy-4m-q8_0.gguf")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only t.gguf", len(entries))
	}
}

// With -o, the quantized file lives in a temporary folder beside the
// output until cleanup, and the manifest records the recipe.
func TestQuantizeForBundle(t *testing.T) {
	src := golden.Path(t, "trained", "tolstoy-4m-f32.gguf")
	dir := t.TempDir()
	man := pack.Manifest{Inputs: map[string]string{}}
	path, cleanup, err := quantizeModel(quantizeContext(t, "--quantize", "q4_k_m", "--output", filepath.Join(dir, "t.bin")), src, &man)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "tolstoy-4m-q4_k_m.gguf" || !strings.HasPrefix(path, dir) {
		t.Errorf("quantized file at %s, want tolstoy-4m-q4_k_m.gguf inside %s", path, dir)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
	if man.Inputs["quantize"] != "Q4_K_M" || man.Inputs["file_type"] != "15" || len(man.Files) != 1 || man.Files[0].Role != "source" {
		t.Errorf("manifest: %+v", man)
	}
	cleanup()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("after cleanup the folder still holds %v", entries)
	}
}

func TestQuantizeFlagErrors(t *testing.T) {
	src := filepath.Join(t.TempDir(), "none.gguf")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--pure", "--output", "x"}, "--pure needs --quantize"},
		{[]string{"--gguf-out", "x.gguf", "--output", "x"}, "--gguf-out needs --quantize"},
		{[]string{"--ppl-text", "t.txt", "--output", "x"}, "--ppl-text needs --quantize"},
		{nil, "no output: give -o FILE"},
		{[]string{"--quantize", "Q8_0"}, "or --gguf-out FILE"},
		{[]string{"--quantize", "Q9_0", "--output", "x"}, `unknown recipe "Q9_0"`},
		{[]string{"--quantize", "Q8_0", "--output", "x"}, "none.gguf"},
	} {
		man := pack.Manifest{Inputs: map[string]string{}}
		_, cleanup, err := quantizeModel(quantizeContext(t, tc.args...), src, &man)
		cleanup()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.args, err, tc.want)
		}
	}
}

func TestQuantizedName(t *testing.T) {
	for src, want := range map[string]string{
		"/m/tolstoy-4m-f32.gguf":  "tolstoy-4m-q4_k_m.gguf",
		"Llama-3.2-1B-F16.gguf":   "Llama-3.2-1B-q4_k_m.gguf",
		"model.bf16.gguf":         "model-q4_k_m.gguf",
		"model.gguf":              "model-q4_k_m.gguf",
		"qwen2.5-0.5b-f32-x.gguf": "qwen2.5-0.5b-f32-x-q4_k_m.gguf",
	} {
		if got := quantizedName(src, "Q4_K_M"); got != want {
			t.Errorf("quantizedName(%q) = %q, want %q", src, got, want)
		}
	}
}
