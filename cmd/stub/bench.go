package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/backends/cpu"
	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/engine/quant"
	"github.com/kiln-llm/kiln/engine/sample"
	"github.com/kiln-llm/kiln/internal/human"
)

// The --bench mode measures the model the way llama-bench does, so the two
// tables can be compared line by line: "pp N" evaluates N random tokens as
// one batch (prompt processing), "tg N" generates N tokens one at a time
// from an empty context (each step evaluates one token and takes the most
// likely next one; end-of-generation tokens are ignored). Each test runs
// once to warm up, then -r times; the rate is tokens per second of each
// repetition, averaged. Like llama-bench it times the forward pass alone:
// the tokenizer is not loaded, and scratch memory is sized for the largest
// prompt test.

func init() {
	// -v is --verbose here (llama-bench's and most tools' meaning); the
	// version stays --version.
	cli.VersionFlag = &cli.BoolFlag{Name: "version", Usage: "print the version"}
}

func benchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "bench", Usage: "benchmark the model like llama-bench and exit: prompt processing and generation speed (with --bench, -p and -n take llama-bench's meaning: prompt and generation lengths)"},
		&cli.StringFlag{Name: "bench-prompt", Value: "512", Usage: "with --bench: prompt lengths to test, `N[,N...]`, each evaluated as one batch (llama-bench's -p; 0: none; same as -p with --bench)"},
		&cli.StringFlag{Name: "bench-gen", Value: "128", Usage: "with --bench: generation lengths to test, `N[,N...]`, one token at a time (llama-bench's -n; 0: none; same as -n with --bench)"},
		&cli.IntFlag{Name: "repetitions", Aliases: []string{"r"}, Value: 5, Usage: "with --bench: repetitions of each test"},
		&cli.IntFlag{Name: "ubatch", Aliases: []string{"ub"}, Value: engine.DefaultMicroBatch, Usage: "with --bench: the most tokens of one forward pass; a longer prompt runs in several (llama-bench's -ub)"},
		&cli.BoolFlag{Name: "json", Usage: "with --bench: print a JSON array of results with llama-bench's field names instead of a table"},
		&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "with --bench: also measure the read bandwidth the machine sustains now and print generation's share of it"},
	}
}

// benchResult is one test's outcome, with llama-bench's JSON field names
// (and a few of Kiln's own after them).
type benchResult struct {
	ModelFilename string    `json:"model_filename"`
	ModelType     string    `json:"model_type"`
	ModelSize     int64     `json:"model_size"`
	ModelNParams  int64     `json:"model_n_params"`
	Backends      string    `json:"backends"`
	CPUInfo       string    `json:"cpu_info"`
	NThreads      int       `json:"n_threads"`
	NBatch        int       `json:"n_batch"`
	NUbatch       int       `json:"n_ubatch"`
	NPrompt       int       `json:"n_prompt"`
	NGen          int       `json:"n_gen"`
	TestTime      string    `json:"test_time"`
	AvgNs         int64     `json:"avg_ns"`
	StddevNs      int64     `json:"stddev_ns"`
	AvgTs         float64   `json:"avg_ts"`
	StddevTs      float64   `json:"stddev_ts"`
	SamplesNs     []int64   `json:"samples_ns"`
	SamplesTs     []float64 `json:"samples_ts"`
	SIMD          string    `json:"kiln_simd"`
	// WeightBytes is what one token's forward pass reads of the weights;
	// WeightGBps that times the generation rate.
	WeightBytes int64   `json:"kiln_weight_bytes_per_token,omitempty"`
	WeightGBps  float64 `json:"kiln_weight_gbps,omitempty"`
	// ReadGBps is the machine's read bandwidth measured around a
	// generation test (-v).
	ReadGBps float64 `json:"kiln_read_gbps,omitempty"`
}

// bench runs the --bench tests on src.
func bench(c *cli.Context, src *source) error {
	prompts, err := benchSizes(c, "bench-prompt", "prompt")
	if err != nil {
		return err
	}
	gens, err := benchSizes(c, "bench-gen", "num-predict")
	if err != nil {
		return err
	}
	reps := c.Int("repetitions")
	if reps < 1 {
		return fmt.Errorf("-r %d: need at least one repetition", reps)
	}
	ubatch := c.Int("ubatch")
	if ubatch < 1 || ubatch > 1<<16 {
		return fmt.Errorf("--ubatch %d: want a token count from 1 to 65536", ubatch)
	}
	ctx, batch := 1, 1
	for _, n := range prompts {
		ctx, batch = max(ctx, n), max(batch, n)
	}
	for _, n := range gens {
		ctx = max(ctx, n)
	}
	// The forward pass alone, as llama-bench measures it: no tokenizer (the
	// tokens are random), scratch memory for the largest batch only.
	b := cpu.New(c.Int("threads"))
	defer b.Close()
	m, err := model.Load(src.gguf, b)
	if err != nil {
		return err
	}
	cfg := m.Config()
	ubatch = min(ubatch, batch)
	scratch := model.NewScratch(cfg, ubatch)
	cache := model.NewCache(cfg, ctx)
	logits := make([]float32, cfg.Vocab)
	chunks := []model.Chunk{{Cache: cache, Logits: logits}}

	base := benchResult{
		ModelFilename: src.name,
		ModelType:     modelType(src.gguf),
		Backends:      b.Name(),
		CPUInfo:       cpuName(),
		NThreads:      b.Threads(),
		NBatch:        batch,
		NUbatch:       ubatch,
		SIMD:          quant.SIMD(),
		WeightBytes:   m.Bytes(),
	}
	for i := range src.gguf.Tensors {
		base.ModelSize += src.gguf.Tensors[i].Size
		base.ModelNParams += src.gguf.Tensors[i].Elements()
	}
	// With -v, a generation test's share of the machine's read bandwidth.
	// On a shared machine the bandwidth moves by a third within minutes,
	// so it is measured right before and right after the test, and the
	// higher of the two counts.
	readGBps := func() float64 {
		if !c.Bool("verbose") {
			return 0
		}
		fmt.Fprintf(os.Stderr, "measuring read bandwidth (2 GiB, %d threads)...\n", base.NThreads)
		return cpu.ReadBandwidth(base.NThreads, 2<<30) / 1e9
	}

	rng := rand.New(rand.NewPCG(1, 2))
	ids := make([]int32, batch)
	pp := func(n int) (time.Duration, error) {
		for i := range ids[:n] {
			ids[i] = int32(rng.IntN(cfg.Vocab))
		}
		cache.Truncate(0)
		chunks[0].Tokens, chunks[0].Pos = ids[:n], 0
		start := time.Now()
		err := model.Forward(m, scratch, chunks)
		return time.Since(start), err
	}
	tg := func(n int) (time.Duration, error) {
		cache.Truncate(0)
		next := []int32{int32(rng.IntN(cfg.Vocab))}
		chunks[0].Tokens = next
		start := time.Now()
		for pos := range n {
			chunks[0].Pos = pos
			if err := model.Forward(m, scratch, chunks); err != nil {
				return 0, err
			}
			next[0] = sample.Greedy(logits)
		}
		return time.Since(start), nil
	}

	var results []benchResult
	runTest := func(nPrompt, nGen int) error {
		r := base
		r.NPrompt, r.NGen = nPrompt, nGen
		r.TestTime = time.Now().UTC().Format(time.RFC3339)
		run, n := pp, nPrompt
		if nGen > 0 {
			run, n = tg, nGen
		}
		// Warm-up, as llama-bench: the first pass maps the weights in.
		warm := n
		if nGen > 0 {
			warm = 1
		}
		if _, err := run(warm); err != nil {
			return err
		}
		if nGen > 0 {
			r.ReadGBps = readGBps()
		}
		for range reps {
			d, err := run(n)
			if err != nil {
				return err
			}
			r.SamplesNs = append(r.SamplesNs, d.Nanoseconds())
			r.SamplesTs = append(r.SamplesTs, float64(n)/d.Seconds())
		}
		if nGen > 0 {
			r.ReadGBps = max(r.ReadGBps, readGBps())
		}
		r.AvgNs, r.StddevNs = meanStd64(r.SamplesNs)
		r.AvgTs, r.StddevTs = meanStd(r.SamplesTs)
		if nGen > 0 {
			r.WeightGBps = float64(r.WeightBytes) * r.AvgTs / 1e9
		} else {
			r.WeightBytes = 0
		}
		results = append(results, r)
		if !c.Bool("json") {
			fmt.Fprintf(os.Stderr, "%s: %.2f ± %.2f t/s\n", testName(r), r.AvgTs, r.StddevTs)
		}
		return nil
	}
	for _, n := range prompts {
		if err := runTest(n, 0); err != nil {
			return err
		}
	}
	for _, n := range gens {
		if err := runTest(0, n); err != nil {
			return err
		}
	}
	if c.Bool("json") {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(results)
	}
	printBench(os.Stdout, results, c.Bool("verbose"))
	return nil
}

// benchSizes parses the comma-separated sizes of flag name, or of the
// ordinary flag alias (-p, -n) when that was given with --bench.
func benchSizes(c *cli.Context, name, alias string) ([]int, error) {
	s, flag := c.String(name), "--"+name
	if c.IsSet(alias) && !c.IsSet(name) {
		s, flag = fmt.Sprint(c.Value(alias)), "-"+alias[:1]
		if alias == "num-predict" {
			s = strconv.Itoa(c.Int(alias))
		}
	}
	var sizes []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 0 || n > 1<<20 {
			return nil, fmt.Errorf("%s %q: with --bench it takes token counts like 512 or 128,256", flag, s)
		}
		if n > 0 {
			sizes = append(sizes, n)
		}
	}
	return sizes, nil
}

func printBench(w io.Writer, results []benchResult, verbose bool) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	header := table.Row{"model", "size", "params", "backend", "threads", "test", "t/s", "weights GB/s"}
	if verbose {
		header = append(header, "of read bw")
	}
	t.AppendHeader(header)
	right := []table.ColumnConfig{}
	for _, col := range []int{2, 3, 5, 7, 8, 9} {
		right = append(right, table.ColumnConfig{Number: col, Align: text.AlignRight})
	}
	t.SetColumnConfigs(right)
	for _, r := range results {
		bw, share := "", ""
		if r.NGen > 0 {
			bw = fmt.Sprintf("%.1f", r.WeightGBps)
			if r.ReadGBps > 0 {
				share = fmt.Sprintf("%.0f%% of %.1f", 100*r.WeightGBps/r.ReadGBps, r.ReadGBps)
			}
		}
		row := table.Row{r.ModelType, sizeMiB(r.ModelSize), human.Count(r.ModelNParams), r.Backends + " " + r.SIMD,
			r.NThreads, testName(r), fmt.Sprintf("%.2f ± %.2f", r.AvgTs, r.StddevTs), bw}
		if verbose {
			row = append(row, share)
		}
		t.AppendRow(row)
	}
	t.Render()
	if len(results) > 0 {
		fmt.Fprintf(w, "%s, %s\n", results[0].ModelFilename, results[0].CPUInfo)
	}
}

// sizeMiB prints a size as llama-bench does.
func sizeMiB(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	}
	return fmt.Sprintf("%.2f MiB", float64(n)/(1<<20))
}

func testName(r benchResult) string {
	if r.NGen > 0 {
		return fmt.Sprintf("tg%d", r.NGen)
	}
	return fmt.Sprintf("pp%d", r.NPrompt)
}

// modelType describes the model as llama-bench does: architecture, size
// class and the file's weight type.
func modelType(f *gguf.File) string {
	s := f.Architecture()
	if name, ok := f.String("general.size_label"); ok {
		s += " " + name
	}
	if ft, ok := f.Uint("general.file_type"); ok {
		s += " " + fileTypeName(ft)
	} else {
		// Name the type most of the weights have.
		bytes := map[string]int64{}
		best := ""
		for i := range f.Tensors {
			name := f.Tensors[i].Type.String()
			bytes[name] += f.Tensors[i].Size
			if bytes[name] > bytes[best] {
				best = name
			}
		}
		s += " " + best
	}
	return s
}

// fileTypeName names llama_ftype values (general.file_type).
func fileTypeName(ft uint64) string {
	names := map[uint64]string{0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
		10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
		16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 25: "IQ4_NL", 32: "BF16"}
	if n, ok := names[ft]; ok {
		return n
	}
	return "ftype " + strconv.FormatUint(ft, 10)
}

// cpuName is the processor's model name where the OS tells it.
func cpuName() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				return strings.TrimSpace(v)
			}
		}
	}
	return runtime.GOARCH
}

func meanStd(xs []float64) (mean, std float64) {
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	if len(xs) < 2 {
		return mean, 0
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}

func meanStd64(xs []int64) (mean, std int64) {
	f := make([]float64, len(xs))
	for i, x := range xs {
		f[i] = float64(x)
	}
	m, s := meanStd(f)
	return int64(m), int64(s)
}
