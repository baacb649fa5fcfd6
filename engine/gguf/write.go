package gguf

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// Builder assembles a GGUF file: metadata in insertion order, then tensors in
// the order they were added, laid out as ggml's gguf_write does (each tensor's
// data padded to the alignment, offsets packed in order). The same calls give
// the same bytes. The zero value is not ready; use NewBuilder.
type Builder struct {
	version   uint32
	alignment int64
	kv        []KV
	keys      map[string]int // index into kv
	tensors   []pendingTensor
	names     map[string]bool
	err       error // from SetAlignment or SetVersion, reported by WriteTo
}

type pendingTensor struct {
	info  TensorInfo
	data  []byte
	write func(io.Writer) error
}

// NewBuilder returns an empty Builder for a version 3 file with the default
// alignment of 32 bytes.
func NewBuilder() *Builder {
	return &Builder{
		version:   3,
		alignment: defaultAlignment,
		keys:      map[string]int{},
		names:     map[string]bool{},
	}
}

// SetVersion sets the GGUF version written, 2 or 3 (the two differ only in
// that version 3 may be big-endian, which this package does not write).
// Another version makes WriteTo fail.
func (b *Builder) SetVersion(v uint32) {
	if v != 2 && v != 3 {
		b.err = fmt.Errorf("gguf: cannot write version %d, only 2 and 3", v)
		return
	}
	b.version = v
}

// SetAlignment sets the alignment of the tensor data and records it as
// general.alignment (uint32), which readers need in order to find the data.
// n must be a power of 2 below 2^32, otherwise WriteTo fails.
func (b *Builder) SetAlignment(n int64) {
	if n <= 0 || n > math.MaxUint32 || n&(n-1) != 0 {
		b.err = fmt.Errorf("gguf: alignment %d is not a power of 2 below 2^32", n)
		return
	}
	b.setKV(keyAlignment, Value{Type: TypeUint32, v: uint32(n)})
	b.alignment = n
}

// Set sets the metadata key to the GGUF form of v (see ValueOf): a
// fixed-size number, bool, string, a slice of those, []Value, or a Value
// copied from a File. A new key goes after the existing ones; setting an
// existing key replaces its value in place. general.alignment must be a
// uint32 power of 2 and also sets the alignment, as SetAlignment does.
func (b *Builder) Set(key string, v any) error {
	if key == "" {
		return errors.New("gguf: empty metadata key")
	}
	val, err := ValueOf(v)
	if err != nil {
		return fmt.Errorf("gguf: key %q: %w", key, err)
	}
	if key == keyAlignment {
		a, ok := val.v.(uint32)
		if !ok {
			return fmt.Errorf("gguf: key %q has type %v, want uint32", key, val.Type)
		}
		if a == 0 || a&(a-1) != 0 {
			return fmt.Errorf("gguf: key %q: alignment %d is not a power of 2", key, a)
		}
		b.alignment = int64(a)
	}
	b.setKV(key, val)
	return nil
}

func (b *Builder) setKV(key string, v Value) {
	if i, ok := b.keys[key]; ok {
		b.kv[i].Value = v
		return
	}
	b.keys[key] = len(b.kv)
	b.kv = append(b.kv, KV{Key: key, Value: v})
}

// Delete removes key, if present. Deleting general.alignment restores the
// default alignment.
func (b *Builder) Delete(key string) {
	i, ok := b.keys[key]
	if !ok {
		return
	}
	b.kv = append(b.kv[:i], b.kv[i+1:]...)
	delete(b.keys, key)
	for j := i; j < len(b.kv); j++ {
		b.keys[b.kv[j].Key] = j
	}
	if key == keyAlignment {
		b.alignment = defaultAlignment
	}
}

// AddTensor appends a tensor whose bytes are data, which must be exactly
// typ.RowSize of the element count. dims lists ne[0] (the row length) first
// and is written as given: gguf_write would drop trailing dimensions of 1,
// so a caller that wants its exact output passes them already dropped.
// data is kept, not copied, until WriteTo.
func (b *Builder) AddTensor(name string, typ ggml.Type, dims []int64, data []byte) error {
	info, err := b.newTensor(name, typ, dims)
	if err != nil {
		return err
	}
	if int64(len(data)) != info.Size {
		return fmt.Errorf("gguf: tensor %q: %d bytes of data, want %d for %v %v", name, len(data), info.Size, typ, dims)
	}
	b.add(pendingTensor{info: info, data: data})
	return nil
}

// AddTensorFunc appends a tensor whose bytes write produces during WriteTo,
// so a large tensor (a quantized weight, say) need not be held in memory.
// write must write exactly typ.RowSize of the element count; WriteTo fails
// otherwise.
func (b *Builder) AddTensorFunc(name string, typ ggml.Type, dims []int64, write func(io.Writer) error) error {
	if write == nil {
		return fmt.Errorf("gguf: tensor %q: nil write function", name)
	}
	info, err := b.newTensor(name, typ, dims)
	if err != nil {
		return err
	}
	b.add(pendingTensor{info: info, write: write})
	return nil
}

func (b *Builder) add(t pendingTensor) {
	b.names[t.info.Name] = true
	b.tensors = append(b.tensors, t)
}

// newTensor checks a tensor against the rules the reader enforces, so that
// the Builder never writes a file Parse (or gguf.cpp) would refuse.
func (b *Builder) newTensor(name string, typ ggml.Type, dims []int64) (TensorInfo, error) {
	if len(name) >= maxNameLen {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %q: name is %d bytes, ggml allows at most %d", name, len(name), maxNameLen-1)
	}
	if b.names[name] {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %q added twice", name)
	}
	if len(dims) < 1 || len(dims) > maxDims {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %q: %d dimensions, want 1 to %d", name, len(dims), maxDims)
	}
	if !typ.Known() {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %q: unknown tensor type %d", name, uint32(typ))
	}
	elems := int64(1)
	for j, d := range dims {
		if d < 0 {
			return TensorInfo{}, fmt.Errorf("gguf: tensor %q: dimension %d is negative (%d)", name, j, d)
		}
		if d != 0 && elems > math.MaxInt64/d {
			return TensorInfo{}, fmt.Errorf("gguf: tensor %q: shape %v has more than 2^63-1 elements", name, dims)
		}
		elems *= d
	}
	if dims[0]%int64(typ.BlockSize()) != 0 {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %q: row of %d elements is not a multiple of the %v block size %d", name, dims[0], typ, typ.BlockSize())
	}
	size, err := typ.RowSize(elems)
	if err != nil || size/int64(typ.TypeSize()) != elems/int64(typ.BlockSize()) {
		return TensorInfo{}, fmt.Errorf("gguf: tensor %q: %d elements of %v do not fit in 2^63-1 bytes", name, elems, typ)
	}
	return TensorInfo{Name: name, Dims: append([]int64(nil), dims...), Type: typ, Size: size}, nil
}

// WriteTo writes the file to w: header, metadata, tensor infos, padding to
// the alignment, then each tensor's data padded to the alignment. It returns
// the number of bytes written.
func (b *Builder) WriteTo(w io.Writer) (int64, error) {
	if b.err != nil {
		return 0, b.err
	}
	for _, kv := range b.kv {
		if err := kv.Value.check(0); err != nil {
			return 0, fmt.Errorf("gguf: key %q: %w", kv.Key, err)
		}
	}
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 1<<16)
	e := encoder{w: bw}

	e.bytes([]byte("GGUF"))
	e.u32(b.version)
	e.u64(uint64(len(b.tensors)))
	e.u64(uint64(len(b.kv)))
	for _, kv := range b.kv {
		e.str(kv.Key)
		e.value(kv.Value)
	}
	var off int64
	for i := range b.tensors {
		t := &b.tensors[i].info
		t.Offset = off
		off += alignUp(t.Size, b.alignment)
		e.str(t.Name)
		e.u32(uint32(len(t.Dims)))
		for _, d := range t.Dims {
			e.u64(uint64(d))
		}
		e.u32(uint32(t.Type))
		e.u64(uint64(t.Offset))
	}
	e.pad(b.alignment)
	for i := range b.tensors {
		t := &b.tensors[i]
		if t.write == nil {
			e.bytes(t.data)
		} else if e.err == nil {
			lw := &limitWriter{w: bw, left: t.info.Size}
			if err := t.write(lw); err != nil {
				e.err = fmt.Errorf("gguf: tensor %q: %w", t.info.Name, err)
			} else if lw.over {
				e.err = fmt.Errorf("gguf: tensor %q: write function wrote more than %d bytes", t.info.Name, t.info.Size)
			} else if lw.left != 0 {
				e.err = fmt.Errorf("gguf: tensor %q: write function wrote %d bytes, want %d", t.info.Name, t.info.Size-lw.left, t.info.Size)
			}
			e.n += t.info.Size - lw.left
		}
		e.pad(b.alignment)
	}
	if e.err == nil {
		e.setErr(bw.Flush())
	}
	return cw.n, e.err
}

// encoder writes little-endian fields, remembering the first error and the
// bytes written so far (for padding).
type encoder struct {
	w   io.Writer
	n   int64
	err error
	buf [8]byte
}

func (e *encoder) bytes(p []byte) {
	if e.err != nil {
		return
	}
	n, err := e.w.Write(p)
	e.n += int64(n)
	e.setErr(err)
}

// setErr records an error of the underlying writer.
func (e *encoder) setErr(err error) {
	if err != nil && e.err == nil {
		e.err = fmt.Errorf("gguf: write: %w", err)
	}
}

func (e *encoder) u8(x uint8) { e.buf[0] = x; e.bytes(e.buf[:1]) }
func (e *encoder) u16(x uint16) {
	binary.LittleEndian.PutUint16(e.buf[:], x)
	e.bytes(e.buf[:2])
}
func (e *encoder) u32(x uint32) {
	binary.LittleEndian.PutUint32(e.buf[:], x)
	e.bytes(e.buf[:4])
}
func (e *encoder) u64(x uint64) {
	binary.LittleEndian.PutUint64(e.buf[:], x)
	e.bytes(e.buf[:8])
}

func (e *encoder) str(s string) {
	e.u64(uint64(len(s)))
	if e.err == nil {
		n, err := io.WriteString(e.w, s)
		e.n += int64(n)
		e.setErr(err)
	}
}

var zeros [4096]byte

func (e *encoder) pad(align int64) {
	for e.err == nil && e.n%align != 0 {
		e.bytes(zeros[:min(align-e.n%align, int64(len(zeros)))])
	}
}

// value writes v's type tag and payload. v has passed check.
func (e *encoder) value(v Value) {
	e.u32(uint32(v.Type))
	e.payload(v)
}

func (e *encoder) payload(v Value) {
	switch x := v.v.(type) {
	case uint8:
		e.u8(x)
	case int8:
		e.u8(uint8(x))
	case uint16:
		e.u16(x)
	case int16:
		e.u16(uint16(x))
	case uint32:
		e.u32(x)
	case int32:
		e.u32(uint32(x))
	case float32:
		e.u32(math.Float32bits(x))
	case bool:
		e.u8(boolByte(x))
	case string:
		e.str(x)
	case uint64:
		e.u64(x)
	case int64:
		e.u64(uint64(x))
	case float64:
		e.u64(math.Float64bits(x))
	default:
		e.array(v)
	}
}

func (e *encoder) array(v Value) {
	e.u32(uint32(v.ElemType))
	e.u64(uint64(v.Len()))
	switch s := v.v.(type) {
	case []uint8:
		e.bytes(s)
	case []int8:
		for _, x := range s {
			e.u8(uint8(x))
		}
	case []uint16:
		for _, x := range s {
			e.u16(x)
		}
	case []int16:
		for _, x := range s {
			e.u16(uint16(x))
		}
	case []uint32:
		for _, x := range s {
			e.u32(x)
		}
	case []int32:
		for _, x := range s {
			e.u32(uint32(x))
		}
	case []float32:
		for _, x := range s {
			e.u32(math.Float32bits(x))
		}
	case []bool:
		for _, x := range s {
			e.u8(boolByte(x))
		}
	case []string:
		for _, x := range s {
			e.str(x)
		}
	case stringArray:
		e.bytes(s.raw()) // already in the file's encoding
	case []uint64:
		for _, x := range s {
			e.u64(x)
		}
	case []int64:
		for _, x := range s {
			e.u64(uint64(x))
		}
	case []float64:
		for _, x := range s {
			e.u64(math.Float64bits(x))
		}
	case []Value:
		for _, x := range s {
			e.array(x)
		}
	}
}

func boolByte(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// countingWriter counts the bytes that reached the caller's writer.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// limitWriter passes at most left bytes to w and fails on more, so that a
// tensor's write function cannot spill into the next tensor's place.
type limitWriter struct {
	w    io.Writer
	left int64
	over bool // a write went past the size, even if its error was ignored
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.left {
		l.over = true
		n, err := l.w.Write(p[:l.left])
		l.left -= int64(n)
		if err == nil {
			err = errors.New("write past the end of the tensor")
		}
		return n, err
	}
	n, err := l.w.Write(p)
	l.left -= int64(n)
	return n, err
}
