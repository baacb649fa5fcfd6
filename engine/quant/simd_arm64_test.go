package quant

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"golang.org/x/sys/cpu"
)

// armVariants are the arm64 kernel sets this CPU can run: plain NEON
// always, SDOT where the CPU has the dot-product extension (qemu-aarch64's
// default CPU has it; `-cpu cortex-a72` has not).
func armVariants(t testing.TB) map[string][]*MatKernel {
	v := map[string][]*MatKernel{"neon": armKernels(false)}
	if cpu.ARM64.HasASIMDDP {
		v["dotprod"] = armKernels(true)
	} else {
		t.Logf("no dot-product extension on this CPU: only the plain NEON kernels are tested")
	}
	return v
}

// TestARMKernelsMatchScalar checks both arm64 variants, whichever the
// dispatch picked, against the scalar kernels, bit for bit.
func TestARMKernelsMatchScalar(t *testing.T) {
	for variant, ks := range armVariants(t) {
		for _, k := range ks {
			t.Run(fmt.Sprintf("%s/%s", variant, k.Type), func(t *testing.T) {
				f, _ := Lookup(k.Type)
				vf, _ := Lookup(f.VecDotType)
				rng := rand.New(rand.NewPCG(uint64(k.Type), 7))
				for _, cols := range fastCols(k.Type) {
					const rows = 13
					w := randomWeights(rng, k.Type, rows, cols)
					rb := len(w) / rows
					for ai, x := range randomActivations(rng, cols) {
						xq := make([]byte, rowBytes(t, f.VecDotType, cols))
						vf.Quantize(x, xq)
						act := make([]byte, k.ActSize(cols))
						k.Quantize(x, act)
						got := make([]float32, rows)
						k.Rows(got, w, rb, act, cols)
						for r := range rows {
							want := f.VecDot(cols, w[r*rb:(r+1)*rb], xq)
							if math.Float32bits(got[r]) != math.Float32bits(want) {
								t.Fatalf("cols %d, activations %d, row %d: %s %v (%#x), scalar %v (%#x)",
									cols, ai, r, variant, got[r], math.Float32bits(got[r]), want, math.Float32bits(want))
							}
						}
					}
				}
			})
		}
	}
}

// TestARMRowsEdges checks the wrapper's handling of no rows, no blocks and
// a short activation row (a panic, as the scalar kernels' indexing gives).
func TestARMRowsEdges(t *testing.T) {
	for _, k := range armKernels(false) {
		k.Rows(nil, nil, 0, nil, 256)
		out := []float32{7, 7}
		k.Rows(out, nil, 0, nil, 0)
		if out[0] != 0 || out[1] != 0 {
			t.Errorf("%s: zero columns gave %v, want zeros", k.Type, out)
		}
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: short activations did not panic", k.Type)
				}
			}()
			cols := k.Type.BlockSize() * 2
			rb, _ := k.Type.RowSize(int64(cols))
			k.Rows(make([]float32, 1), make([]byte, rb), int(rb), make([]byte, k.ActSize(cols)-1), cols)
		}()
	}
}

// BenchmarkARMDot measures one 4096-wide row (16 Q4_K super-blocks, 128
// Q8_0 blocks) per operation, arm64 kernels against the scalar ones. Under
// qemu the times are only a smoke test (it emulates each NEON instruction
// in a helper); count instructions instead: qemu-aarch64 -singlestep
// -d exec,nochain logs one line per executed instruction, with its
// function's name.
func BenchmarkARMDot(b *testing.B) {
	const cols = 4096
	for variant, ks := range armVariants(b) {
		for _, k := range ks {
			if variant != "neon" && k.Name == "neon" {
				continue // the same kernel as in the plain set
			}
			f, _ := Lookup(k.Type)
			vf, _ := Lookup(f.VecDotType)
			rng := rand.New(rand.NewPCG(1, 2))
			w := randomWeights(rng, k.Type, 2, cols)[:len(w0(k, cols))]
			x := randomActivations(rng, cols)[0]
			act := make([]byte, k.ActSize(cols))
			k.Quantize(x, act)
			xq := make([]byte, rowBytes(b, f.VecDotType, cols))
			vf.Quantize(x, xq)
			out := make([]float32, 1)
			b.Run(k.Type.String()+"/"+variant, func(b *testing.B) {
				for b.Loop() {
					k.Rows(out, w, len(w), act, cols)
				}
			})
			if variant == "neon" {
				b.Run(k.Type.String()+"/scalar", func(b *testing.B) {
					for b.Loop() {
						out[0] = f.VecDot(cols, w, xq)
					}
				})
			}
		}
	}
}

func w0(k *MatKernel, cols int) []byte {
	rb, _ := k.Type.RowSize(int64(cols))
	return make([]byte, rb)
}
