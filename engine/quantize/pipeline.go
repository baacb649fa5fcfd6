package quantize

import (
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/kiln-llm/kiln/engine/quant"
)

// chunkValues is about how many values one unit of work converts: large
// enough that handing chunks between goroutines costs nothing, small
// enough that the few chunks in flight take little memory.
const chunkValues = 1 << 16

// copyPiece is the largest write of a tensor copied unchanged.
const copyPiece = 4 << 20

// write writes item it's bytes to w.
func (p *plan) write(w io.Writer, it *item) error {
	if it.rows == 0 || it.rowLen == 0 {
		return nil
	}
	if it.convert {
		return p.convert(w, it)
	}
	return p.copy(w, it)
}

// copy writes a tensor that keeps its type.
func (p *plan) copy(w io.Writer, it *item) error {
	if fs, ok := p.src.(fileSource); ok {
		data, err := fs.view(it.src)
		if err != nil {
			return err
		}
		for len(data) > 0 {
			n := min(len(data), copyPiece)
			if _, err := w.Write(data[:n]); err != nil {
				return err
			}
			p.advance(int64(n))
			data = data[n:]
		}
		return nil
	}
	step := max(1, copyPiece/it.inRow)
	buf := make([]byte, min(step, it.rows)*it.inRow)
	for first := int64(0); first < it.rows; first += step {
		b := buf[:min(step, it.rows-first)*it.inRow]
		if err := p.src.ReadRows(it.src, first, b); err != nil {
			return err
		}
		if _, err := w.Write(b); err != nil {
			return err
		}
		p.advance(int64(len(b)))
	}
	return nil
}

// chunk is one run of rows being converted.
type chunk struct {
	first, n int64
	out      []byte
	err      error
	done     chan struct{}
}

// scratch is one worker's memory.
type scratch struct {
	raw    []byte // source rows, when the source cannot be viewed in place
	floats []float32
}

// convert quantizes (or converts) a tensor chunk by chunk on p.threads
// goroutines and writes the chunks in order, so the bytes do not depend on
// the thread count. At most about three chunks per worker are in memory.
func (p *plan) convert(w io.Writer, it *item) error {
	var view []byte
	if fs, ok := p.src.(fileSource); ok {
		var err error
		if view, err = fs.view(it.src); err != nil {
			return err
		}
	}
	chunkRows := max(1, chunkValues/it.rowLen)
	nChunks := (it.rows + chunkRows - 1) / chunkRows
	workers := int(min(int64(p.threads), nChunks))
	newScratch := func() *scratch {
		s := &scratch{floats: make([]float32, chunkRows*it.rowLen)}
		if view == nil {
			s.raw = make([]byte, chunkRows*it.inRow)
		}
		return s
	}
	if workers <= 1 {
		s := newScratch()
		out := make([]byte, chunkRows*it.outRow)
		for first := int64(0); first < it.rows; first += chunkRows {
			n := min(chunkRows, it.rows-first)
			o := out[:n*it.outRow]
			if err := p.convertChunk(it, view, s, first, n, o); err != nil {
				return err
			}
			if _, err := w.Write(o); err != nil {
				return err
			}
			p.advance(n * it.inRow)
		}
		return nil
	}

	jobs := make(chan *chunk)
	inOrder := make(chan *chunk, 2*workers)
	stop := make(chan struct{})
	free := make(chan []byte, 3*workers+1)
	var wg sync.WaitGroup
	go func() { // producer: the order of inOrder is the output order
		defer close(jobs)
		defer close(inOrder)
		for first := int64(0); first < it.rows; first += chunkRows {
			c := &chunk{first: first, n: min(chunkRows, it.rows-first), done: make(chan struct{})}
			select {
			case inOrder <- c:
			case <-stop:
				return
			}
			select {
			case jobs <- c:
			case <-stop:
				return
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := newScratch()
			for c := range jobs {
				select {
				case c.out = <-free:
				default:
					c.out = make([]byte, chunkRows*it.outRow)
				}
				c.out = c.out[:c.n*it.outRow]
				c.err = p.convertChunk(it, view, s, c.first, c.n, c.out)
				close(c.done)
			}
		}()
	}
	var err error
	for c := range inOrder {
		<-c.done
		if err = c.err; err == nil {
			_, err = w.Write(c.out)
		}
		if err != nil {
			break
		}
		p.advance(c.n * it.inRow)
		select {
		case free <- c.out[:cap(c.out)]:
		default:
		}
	}
	close(stop)
	for range inOrder { // let the producer finish
	}
	wg.Wait()
	return err
}

// convertChunk converts rows [first, first+n) of it into out.
func (p *plan) convertChunk(it *item, view []byte, s *scratch, first, n int64, out []byte) error {
	t := &p.tensors[it.src]
	var in []byte
	if view != nil {
		in = view[first*it.inRow : (first+n)*it.inRow]
	} else {
		in = s.raw[:n*it.inRow]
		if err := p.src.ReadRows(it.src, first, in); err != nil {
			return err
		}
	}
	vals := s.floats[:n*it.rowLen]
	from, _ := quant.Lookup(t.Type)
	to, _ := quant.Lookup(it.to)
	from.Dequantize(in, vals)
	// llama.cpp notices a NaN or an infinity only when it reaches a scale
	// (ggml_validate_row_data below); some quantizers absorb them into
	// finite garbage. A weight that is not finite is a broken model either
	// way, so it is refused wherever it is.
	for i, v := range vals {
		if math.Float32bits(v)&0x7f800000 == 0x7f800000 { // NaN or ±Inf
			return fmt.Errorf("quantize: tensor %q: row %d, value %d is %v; cannot quantize non-finite weights",
				t.Name, first+int64(i)/it.rowLen, int64(i)%it.rowLen, v)
		}
	}
	to.Quantize(vals, out)
	if bad := firstInvalid(it.to, out); bad >= 0 {
		row := first + int64(bad)*int64(it.to.BlockSize())/it.rowLen
		if !isQuantized(it.to) {
			return fmt.Errorf("quantize: tensor %q: row %d, value %d overflows %v", t.Name, row, int64(bad)%it.rowLen, it.to)
		}
		return fmt.Errorf("quantize: tensor %q: row %d: a %v scale overflows FP16 (values too large)", t.Name, row, it.to)
	}
	return nil
}
