// Package quantize converts a GGUF model stored in F32, F16 or BF16 to one
// of llama.cpp's quantization recipes (Q4_K_M, Q8_0, ...), choosing each
// tensor's type with llama.cpp's own mixture rules (llama-quant.cpp), so
// that the output is the file llama-quantize would write: the same tensor
// types, the same bytes (engine/quant's quantizers are bit-identical to
// ggml's reference ones), the same tensor order and the same metadata.
//
// The output is streamed tensor by tensor; only a few chunks of rows are in
// memory at a time, and those chunks are quantized on all cores.
package quantize

import (
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/engine/quant"
)

// QuantizationVersion is the general.quantization_version written, ggml's
// GGML_QNT_VERSION.
const QuantizationVersion = 2

// Options choose the recipe and how the work is done.
type Options struct {
	// Recipe names the llama.cpp file type: Q4_K_M, Q4_K_S, Q5_K_M,
	// Q5_K_S, Q6_K, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q3_K_S, Q3_K_M, Q3_K_L,
	// Q2_K, IQ4_NL, F16, BF16 or F32 (see Recipes); case does not matter.
	Recipe string
	// Pure gives every quantized weight the recipe's plain type, without
	// the mixture rules (llama-quantize --pure): Q4_K_M then means Q4_K
	// everywhere, token embedding and output included.
	Pure bool
	// Threads is the number of goroutines that quantize (0: GOMAXPROCS).
	// The output does not depend on it.
	Threads int
	// Progress, when set, is called from the writing goroutine as the
	// source's tensor bytes are consumed.
	Progress func(done, total int64)
}

// Report says what was written.
type Report struct {
	Recipe    string // the recipe's canonical name
	FileType  uint32 // general.file_type written (llama_ftype)
	Tensors   []TensorReport
	Before    int64 // tensor bytes of the source
	After     int64 // tensor bytes of the output
	Written   int64 // bytes of the whole output file
	Fallbacks int   // tensors whose rows forced llama.cpp's fallback type
	Elapsed   time.Duration
}

// TensorReport is one tensor of the output, in output order.
type TensorReport struct {
	Name     string
	Dims     []int64
	From, To ggml.Type
	Before   int64 // bytes in the source
	After    int64 // bytes in the output
	Fallback bool  // the row length ruled out the mixture's type
}

// Source is a model to quantize. File wraps a *gguf.File as one;
// internal/synth generates its tensors on the fly instead.
type Source interface {
	// Metadata returns the key-value pairs, in order.
	Metadata() []gguf.KV
	// Tensors returns the tensor infos; Offset is not used.
	Tensors() []gguf.TensorInfo
	// ReadRows fills dst, a whole number of rows, with the bytes of
	// tensor i (in its own type) from row first on. It is called from
	// several goroutines at once.
	ReadRows(i int, first int64, dst []byte) error
}

// File quantizes the GGUF src with o.Recipe and writes the new GGUF to w.
func File(src *gguf.File, w io.Writer, o Options) (*Report, error) {
	return Write(fileSource{src}, w, o)
}

// Write quantizes src with o.Recipe and writes the GGUF to w, tensor by
// tensor. Every choice is made, and every input checked, before the first
// byte is written.
func Write(src Source, w io.Writer, o Options) (*Report, error) {
	start := time.Now()
	p, err := newPlan(src, o)
	if err != nil {
		return nil, err
	}
	b, err := p.builder()
	if err != nil {
		return nil, err
	}
	n, err := b.WriteTo(w)
	if err != nil {
		return nil, err
	}
	rep := p.report
	rep.Written = n
	rep.Elapsed = time.Since(start)
	return &rep, nil
}

// plan is every decision of a quantization, made up front.
type plan struct {
	src      Source
	kv       []gguf.KV
	tensors  []gguf.TensorInfo // as the source gave them
	items    []item            // output order
	recipe   recipe
	threads  int
	progress func(done, total int64)
	done     int64
	report   Report
}

// item is one output tensor.
type item struct {
	src      int // index into plan.tensors
	dims     []int64
	to       ggml.Type
	convert  bool // quantize or convert; otherwise copy the bytes
	rowLen   int64
	rows     int64
	inRow    int64 // bytes of one source row
	outRow   int64 // bytes of one output row
	fallback bool
}

func newPlan(src Source, o Options) (*plan, error) {
	r, err := lookupRecipe(o.Recipe)
	if err != nil {
		return nil, err
	}
	p := &plan{src: src, kv: src.Metadata(), tensors: src.Tensors(), recipe: r, progress: o.Progress,
		threads: o.Threads}
	if p.threads <= 0 {
		p.threads = runtime.GOMAXPROCS(0)
	}
	p.report = Report{Recipe: r.name, FileType: r.ftype}
	if n, ok := metadata(p.kv).uint("split.count"); ok && n > 1 {
		return nil, fmt.Errorf("quantize: the model is split into %d files; merge them first (llama-gguf-split --merge)", n)
	}
	fs, isFile := src.(fileSource)
	for i := range p.tensors {
		if err := checkTensor(&p.tensors[i]); err != nil {
			return nil, err
		}
		if isFile {
			if _, err := fs.view(i); err != nil {
				return nil, err
			}
		}
	}
	var rl *rules
	if !o.Pure && isQuantized(r.typ) {
		if rl, err = newRules(r.ftype, p.kv, p.tensors); err != nil {
			return nil, err
		}
	}
	for _, i := range outputOrder(p.tensors) {
		it, err := p.decide(i, rl)
		if err != nil {
			return nil, err
		}
		p.items = append(p.items, it)
		t := &p.tensors[i]
		after := it.outRow * it.rows
		p.report.Tensors = append(p.report.Tensors, TensorReport{Name: t.Name, Dims: it.dims, From: t.Type, To: it.to,
			Before: t.Size, After: after, Fallback: it.fallback})
		p.report.Before += t.Size
		p.report.After += after
		if it.fallback {
			p.report.Fallbacks++
		}
	}
	return p, nil
}

// decide picks tensor i's output type as llama_model_quantize_impl does.
func (p *plan) decide(i int, rl *rules) (item, error) {
	t := &p.tensors[i]
	// gguf_write stores ggml_n_dims dimensions: trailing 1s are dropped.
	dims := append([]int64(nil), t.Dims[:trimmedDims(t.Dims)]...)
	it := item{src: i, dims: dims, to: t.Type, rowLen: t.Dims[0]}
	if it.rowLen > 0 {
		it.rows = t.Elements() / it.rowLen
	}
	it.inRow, _ = t.Type.RowSize(it.rowLen)
	if quantizable(t.Name, t.Dims) {
		to := p.recipe.typ
		if rl != nil {
			var err error
			if to, it.fallback, err = rl.tensorType(t.Name, t.Dims, to); err != nil {
				return item{}, err
			}
		}
		it.to, it.convert = to, to != t.Type
	}
	if it.convert {
		switch {
		case t.Type != ggml.F32 && t.Type != ggml.F16 && t.Type != ggml.BF16 && isQuantized(t.Type):
			return item{}, fmt.Errorf("quantize: tensor %q is already %v: requantizing loses precision and llama.cpp refuses it; start from the F32, F16 or BF16 model", t.Name, t.Type)
		case t.Type != ggml.F32 && t.Type != ggml.F16 && t.Type != ggml.BF16:
			return item{}, fmt.Errorf("quantize: tensor %q: cannot convert type %v to %v", t.Name, t.Type, it.to)
		}
		if f, ok := quant.Lookup(it.to); !ok || f.Quantize == nil {
			return item{}, fmt.Errorf("quantize: tensor %q: Kiln has no quantizer for %v", t.Name, it.to)
		}
		if it.rowLen%int64(it.to.BlockSize()) != 0 {
			return item{}, fmt.Errorf("quantize: tensor %q: rows of %d values are not a whole number of %v blocks of %d (--pure has no fallback type)",
				t.Name, it.rowLen, it.to, it.to.BlockSize())
		}
	}
	it.outRow, _ = it.to.RowSize(it.rowLen)
	return it, nil
}

// trimmedDims is ggml_n_dims, except that a dimension of 0 is kept, so that
// an empty tensor does not gain elements when written.
func trimmedDims(dims []int64) int {
	n := len(dims)
	for n > 1 && dims[n-1] == 1 {
		n--
	}
	return n
}

// checkTensor validates a source tensor's description, which a Source other
// than a parsed file may get wrong.
func checkTensor(t *gguf.TensorInfo) error {
	if !t.Type.Known() {
		return fmt.Errorf("quantize: tensor %q: unknown tensor type %d", t.Name, uint32(t.Type))
	}
	if len(t.Dims) < 1 || len(t.Dims) > 4 {
		return fmt.Errorf("quantize: tensor %q: %d dimensions, want 1 to 4", t.Name, len(t.Dims))
	}
	elems := int64(1)
	for j, d := range t.Dims {
		if d < 0 || d > 1<<40 {
			return fmt.Errorf("quantize: tensor %q: dimension %d is %d", t.Name, j, d)
		}
		if d != 0 && elems > (1<<50)/d {
			return fmt.Errorf("quantize: tensor %q: shape %v is too large", t.Name, t.Dims)
		}
		elems *= d
	}
	if bs := int64(t.Type.BlockSize()); t.Dims[0]%bs != 0 {
		return fmt.Errorf("quantize: tensor %q: row of %d values is not a multiple of the %v block size %d", t.Name, t.Dims[0], t.Type, bs)
	}
	want, err := t.Type.RowSize(elems)
	if err != nil {
		return fmt.Errorf("quantize: tensor %q: %w", t.Name, err)
	}
	if t.Size != want {
		return fmt.Errorf("quantize: tensor %q: %d bytes, but %d values of %v take %d", t.Name, t.Size, elems, t.Type, want)
	}
	return nil
}

// isQuantized is ggml_is_quantized: block types, not the plain float and
// integer ones.
func isQuantized(t ggml.Type) bool { return t.BlockSize() > 1 }

// builder lays out the output: llama.cpp's metadata, then every tensor
// with a function that writes it.
func (p *plan) builder() (*gguf.Builder, error) {
	b := gguf.NewBuilder()
	// llama.cpp copies every pair, then sets these two, which moves them
	// to the end, and drops the split keys (the output is one file).
	// general.alignment is copied too; llama.cpp would then still pad to
	// 32 bytes, contradicting the key, while Builder pads to what it says.
	for _, kv := range p.kv {
		switch kv.Key {
		case "general.quantization_version", "general.file_type", "split.no", "split.count", "split.tensors.count":
			continue
		}
		if err := b.Set(kv.Key, kv.Value); err != nil {
			return nil, fmt.Errorf("quantize: %w", err)
		}
	}
	if err := b.Set("general.quantization_version", uint32(QuantizationVersion)); err != nil {
		return nil, err
	}
	if err := b.Set("general.file_type", p.recipe.ftype); err != nil {
		return nil, err
	}
	for k := range p.items {
		it := &p.items[k]
		t := &p.tensors[it.src]
		if err := b.AddTensorFunc(t.Name, it.to, it.dims, func(w io.Writer) error { return p.write(w, it) }); err != nil {
			return nil, fmt.Errorf("quantize: %w", err)
		}
	}
	return b, nil
}

// advance reports that n more source bytes are done.
func (p *plan) advance(n int64) {
	p.done += n
	if p.progress != nil {
		p.progress(p.done, p.report.Before)
	}
}
