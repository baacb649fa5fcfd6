package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/engine/tokenizer"
	"github.com/kiln-llm/kiln/internal/human"
	"github.com/kiln-llm/kiln/internal/version"
	"github.com/kiln-llm/kiln/pack"
)

// bundle validates the inputs, then writes the artifact atomically.
func bundle(c *cli.Context) error {
	if c.Bool("list-targets") {
		return listTargets(os.Stdout)
	}
	out := c.String("output")
	secs := pack.Sections{Manifest: pack.Manifest{KilnVersion: version.Version, Inputs: map[string]string{}}}
	modelPath := c.String("model")

	if mfPath := c.String("modelfile"); mfPath != "" {
		mf, text, err := readModelfile(mfPath)
		if err != nil {
			return err
		}
		secs.Modelfile = text
		secs.Template = mf.Template
		if modelPath == "" {
			if mf.From == "" {
				return fmt.Errorf("%s has no FROM line and no -m was given", mfPath)
			}
			modelPath = mf.From
			if !filepath.IsAbs(modelPath) {
				modelPath = filepath.Join(filepath.Dir(mfPath), modelPath)
			}
		}
		secs.Manifest.Files = append(secs.Manifest.Files, fileRecord("modelfile", mfPath, []byte(text)))
	}
	if modelPath == "" {
		return errors.New("no model: give -m MODEL.gguf (or FROM in the Modelfile)")
	}
	if tp := c.String("template"); tp != "" {
		b, err := os.ReadFile(tp)
		if err != nil {
			return err
		}
		secs.Template = string(b)
		secs.Manifest.Files = append(secs.Manifest.Files, fileRecord("template", tp, b))
	}

	inputs := []string{modelPath, c.String("modelfile"), c.String("template"), c.String("stub")}
	modelPath, cleanup, err := quantizeModel(c, modelPath, &secs.Manifest)
	if err != nil || modelPath == "" {
		return err
	}
	defer cleanup()

	g, err := openGGUF(modelPath)
	if err != nil {
		return err
	}
	defer g.Close()
	cfg, err := validate(g)
	if err != nil {
		return fmt.Errorf("%s: %w", modelPath, err)
	}
	size := int64(len(g.Bytes()))
	secs.Manifest.Architecture = cfg.Arch
	secs.Manifest.Name = modelName(c.String("name"), cfg, modelPath)
	secs.Manifest.Files = append([]pack.SourceFile{{Role: "gguf", Name: filepath.Base(modelPath), Size: size}}, secs.Manifest.Files...)
	secs.GGUFSize = size

	stub, target, rmStub, err := stubFor(c)
	if err != nil {
		return err
	}
	defer rmStub()
	out = artifactName(out, target)
	if err := checkOutput(out, inputs...); err != nil {
		return err
	}
	var r io.Reader = bytes.NewReader(g.Bytes())
	var bar *human.Bar
	if !c.Bool("quiet") && size > 64<<20 {
		bar = human.NewBar("bundling "+filepath.Base(out), size, human.UnitsBytes)
		r = &countingReader{r: r, bar: bar}
	}
	secs.GGUF = r
	err = pack.WriteFile(out, stub, secs)
	if bar != nil {
		bar.Stop(err == nil)
	}
	if err != nil {
		return err
	}
	if !c.Bool("quiet") {
		if err := summary(out, g, cfg, secs.Manifest.Name); err != nil {
			return err
		}
		platformNote(os.Stdout, out, target)
	}
	return nil
}

// checkOutput refuses an output path that names one of the inputs (the
// rename at the end would replace the user's model with the artifact) or
// lies in a folder that does not exist (the temp file's error would name a
// file the user never asked for).
func checkOutput(out string, inputs ...string) error {
	if st, err := os.Stat(out); err == nil {
		for _, in := range inputs {
			if in == "" {
				continue
			}
			if ist, err := os.Stat(in); err == nil && os.SameFile(st, ist) {
				return fmt.Errorf("-o %s is the input %s: bundling would overwrite it", out, in)
			}
		}
	}
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("-o %s: folder %s does not exist", out, dir)
	}
	return nil
}

func openGGUF(path string) (*gguf.File, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a GGUF file", path)
	}
	return gguf.Open(path) // its errors name the file
}

// validate loads the model's structure (every tensor's shape and type) and
// its tokenizer without computing anything, so that an artifact is never
// made from a file the runtime would refuse.
func validate(g *gguf.File) (*model.Config, error) {
	if _, err := tokenizer.FromGGUF(g); err != nil {
		return nil, err
	}
	m, err := model.Load(g, nil)
	if err != nil {
		return nil, err
	}
	return m.Config(), nil
}

func modelName(flag string, cfg *model.Config, path string) string {
	switch {
	case flag != "":
		return flag
	case cfg.Name != "":
		return cfg.Name
	}
	return strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
}

func fileRecord(role, path string, data []byte) pack.SourceFile {
	sum := sha256.Sum256(data)
	return pack.SourceFile{Role: role, Name: filepath.Base(path), Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])}
}

// countingReader moves a progress bar as the GGUF is copied.
type countingReader struct {
	r   io.Reader
	bar *human.Bar
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.bar.Add(int64(n))
	return n, err
}

// summary prints a one-screen table of what was bundled.
func summary(out string, g *gguf.File, cfg *model.Config, name string) error {
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	var params int64
	counts := map[ggml.Type]int64{}
	for i := range g.Tensors {
		t := &g.Tensors[i]
		params += t.Elements()
		counts[t.Type] += t.Elements()
	}
	var main ggml.Type
	for t, n := range counts {
		if n > counts[main] || (n == counts[main] && t < main) {
			main = t
		}
	}
	tw := table.NewWriter()
	tw.SetOutputMirror(os.Stdout)
	tw.SetTitle("bundled " + out)
	tw.AppendRows([]table.Row{
		{"model", name},
		{"architecture", cfg.Arch},
		{"parameters", human.Count(params)},
		{"quant type", fileType(g, main)},
		{"context length", cfg.ContextLen},
		{"GGUF size", human.Bytes(int64(len(g.Bytes())))},
		{"artifact size", human.Bytes(st.Size())},
	})
	tw.Render()
	return nil
}

// fileType names the file's quantization: general.file_type when present,
// else the type holding most parameters.
func fileType(g *gguf.File, main ggml.Type) string {
	if ft, ok := g.Uint("general.file_type"); ok {
		if name, ok := fileTypeNames[ft]; ok {
			return name
		}
	}
	return main.String()
}

// fileTypeNames are llama.cpp's llama_ftype values.
var fileTypeNames = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 25: "IQ4_NL", 32: "BF16",
}

// maxModelfile bounds what bundle reads as a Modelfile: real ones are a few
// kilobytes, and the artifact format caps small sections at 64 MiB.
const maxModelfile = 16 << 20

// readModelfile parses the Modelfile at path and returns it with its text.
func readModelfile(path string) (*pack.Modelfile, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxModelfile+1))
	if err != nil {
		return nil, "", err
	}
	if len(b) > maxModelfile {
		return nil, "", fmt.Errorf("%s: larger than %d MiB; is it really a Modelfile?", path, maxModelfile>>20)
	}
	mf, err := pack.ParseModelfile(bytes.NewReader(b))
	if err != nil {
		return nil, "", fmt.Errorf("%s: %w", path, err)
	}
	if len(mf.Adapters) > 0 {
		return nil, "", fmt.Errorf("%s: ADAPTER is not supported: Kiln does not apply LoRA adapters (merge the adapter into the GGUF first)", path)
	}
	return mf, string(b), nil
}
