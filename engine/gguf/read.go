package gguf

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/kiln-llm/kiln/engine/ggml"
)

// Limits mirrored from ggml, plus the one this reader adds.
const (
	// maxDims is GGML_MAX_DIMS.
	maxDims = 4
	// maxNameLen is GGML_MAX_NAME: gguf.cpp refuses a tensor name of 64
	// bytes or more, since ggml keeps names in a char[64] with its NUL.
	maxNameLen = 64
	// maxArrayDepth bounds arrays of arrays. gguf.cpp refuses them
	// outright; the format allows them, so this reader takes a few levels
	// but no more, so that a file cannot drive unbounded recursion.
	maxArrayDepth = 8
	// defaultAlignment is GGUF_DEFAULT_ALIGNMENT.
	defaultAlignment = 32
	// keyAlignment is GGUF_KEY_GENERAL_ALIGNMENT.
	keyAlignment = "general.alignment"
)

// The fewest bytes one key-value pair and one tensor info can take. The
// header's counts are checked against them before anything is allocated, so a
// count of 2^60 in a small file is an error, not an allocation.
const (
	// key length (8) + at least one key byte (empty keys are refused) +
	// type (4) + the smallest value (1).
	minKVSize = 8 + 1 + 4 + 1
	// name length (8) + n_dims (4) + one dimension (8) + type (4) +
	// offset (8); the name may be empty.
	minTensorInfoSize = 8 + 4 + 8 + 4 + 8
	headerSize        = 4 + 4 + 8 + 8
	// preallocLimit caps what is reserved up front from a count in the
	// file: the decoded structures are several times larger than their encoded
	// minimum, so memory grows with what was actually parsed, not with
	// what the header claims.
	preallocLimit = 4096
)

// decoder reads little-endian fields from data, every read bounds-checked
// against len(data).
type decoder struct {
	data []byte
	off  int
	file *File // the File being read, once made: string arrays refer to it
}

func (d *decoder) remaining() int { return len(d.data) - d.off }

// short describes a read of need bytes for what that runs past the end.
func (d *decoder) short(what string, need uint64) error {
	return fmt.Errorf("%s at offset %d needs %d bytes, but only %d remain (file size %d)", what, d.off, need, d.remaining(), len(d.data))
}

func (d *decoder) take(what string, n int) ([]byte, error) {
	if n < 0 || n > d.remaining() {
		return nil, d.short(what, uint64(n))
	}
	b := d.data[d.off : d.off+n : d.off+n]
	d.off += n
	return b, nil
}

func (d *decoder) u32(what string) (uint32, error) {
	b, err := d.take(what, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (d *decoder) u64(what string) (uint64, error) {
	b, err := d.take(what, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// str reads a length-prefixed string. The copy keeps strings valid after the
// file is unmapped.
func (d *decoder) str(what string) (string, error) {
	n, err := d.u64(what + " length")
	if err != nil {
		return "", err
	}
	if n > uint64(d.remaining()) {
		return "", fmt.Errorf("%s length %d at offset %d exceeds the %d bytes that remain (file size %d)", what, n, d.off-8, d.remaining(), len(d.data))
	}
	s := string(d.data[d.off : d.off+int(n)])
	d.off += int(n)
	return s, nil
}

// Parse decodes a whole GGUF file held in data. Tensor views returned by
// TensorData alias data, so data must stay unchanged and alive as long as the
// File is used; metadata strings are copied. Every count, length and offset
// is checked against len(data) before it is used.
func Parse(data []byte) (*File, error) {
	f, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("gguf: %w", err)
	}
	return f, nil
}

func parse(data []byte) (*File, error) {
	d := &decoder{data: data}
	if len(data) < 4 || string(data[:4]) != "GGUF" {
		if len(data) < 4 {
			return nil, fmt.Errorf("file of %d bytes is too short for the GGUF magic", len(data))
		}
		return nil, fmt.Errorf("bad magic %q, want \"GGUF\"", data[:4])
	}
	if len(data) < headerSize {
		return nil, fmt.Errorf("file of %d bytes is too short for the %d-byte header", len(data), headerSize)
	}
	d.off = 4
	version, _ := d.u32("version")
	if err := checkVersion(version); err != nil {
		return nil, err
	}
	nTensors, _ := d.u64("tensor count")
	nKV, _ := d.u64("key-value count")
	// gguf.cpp reads both counts as int64 and refuses negatives; as
	// unsigned, a negative count is simply too large for the file.
	if nKV > uint64(d.remaining()/minKVSize) {
		return nil, fmt.Errorf("key-value count %d is impossible in a file of %d bytes", nKV, len(data))
	}
	if nTensors > uint64((d.remaining()-int(nKV)*minKVSize)/minTensorInfoSize) {
		return nil, fmt.Errorf("tensor count %d is impossible in a file of %d bytes with %d key-value pairs", nTensors, len(data), nKV)
	}

	f := &File{
		Version:   version,
		Alignment: defaultAlignment,
		data:      data,
		KV:        make([]KV, 0, min(nKV, preallocLimit)),
		keys:      make(map[string]int, min(nKV, preallocLimit)),
	}
	d.file = f
	for i := range int(nKV) {
		key, err := d.str("key")
		if err != nil {
			return nil, fmt.Errorf("key-value pair %d: %w", i, err)
		}
		// gguf.cpp asserts on an empty key, i.e. aborts the process.
		if key == "" {
			return nil, fmt.Errorf("key-value pair %d: key at offset %d is empty", i, d.off-8)
		}
		if j, dup := f.keys[key]; dup {
			return nil, fmt.Errorf("key %q appears twice (pairs %d and %d)", key, j, i)
		}
		t, err := d.u32("type")
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		v, err := d.value(ValueType(t), 0)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", key, err)
		}
		f.keys[key] = len(f.KV)
		f.KV = append(f.KV, KV{Key: key, Value: v})
	}
	if err := f.readAlignment(); err != nil {
		return nil, err
	}

	f.Tensors = make([]TensorInfo, 0, min(nTensors, preallocLimit))
	f.tensors = make(map[string]int, min(nTensors, preallocLimit))
	for i := range int(nTensors) {
		var t TensorInfo
		if err := d.tensorInfo(i, &t); err != nil {
			return nil, err
		}
		if j, dup := f.tensors[t.Name]; dup {
			return nil, fmt.Errorf("tensor %q appears twice (tensors %d and %d)", t.Name, j, i)
		}
		f.tensors[t.Name] = i
		f.Tensors = append(f.Tensors, t)
	}

	// The data section starts at the next multiple of the alignment. A file
	// without tensors may end before that padding.
	f.DataOffset = alignUp(int64(d.off), f.Alignment)
	if f.DataOffset > int64(len(data)) && len(f.Tensors) > 0 {
		return nil, fmt.Errorf("data section at offset %d begins beyond end of file (size %d)", f.DataOffset, len(data))
	}
	for i := range f.Tensors {
		if err := f.checkTensorData(&f.Tensors[i]); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// checkVersion mirrors gguf.cpp's version checks, including its guess that
// a version whose low 16 bits are zero is a file of the other endianness.
func checkVersion(v uint32) error {
	switch {
	case v == 0:
		return fmt.Errorf("bad version 0")
	case v&0xFFFF == 0:
		return fmt.Errorf("version %d (%#x) is implausibly large: is it a big-endian file?", v, v)
	case v == 1:
		return fmt.Errorf("unsupported version 1 (GGUF v1 is obsolete; convert the model again)")
	case v > 3:
		return fmt.Errorf("unsupported version %d (this reader knows versions 2 and 3)", v)
	}
	return nil
}

// readAlignment applies general.alignment. gguf.cpp reads it with
// gguf_get_val_u32, which aborts on any other type, and requires a power of 2.
func (f *File) readAlignment() error {
	v, ok := f.Lookup(keyAlignment)
	if !ok {
		return nil
	}
	a, isU32 := v.v.(uint32)
	if v.Type != TypeUint32 || !isU32 {
		return fmt.Errorf("key %q has type %v, want uint32", keyAlignment, v.Type)
	}
	if a == 0 || a&(a-1) != 0 {
		return fmt.Errorf("key %q: alignment %d is not a power of 2", keyAlignment, a)
	}
	f.Alignment = int64(a)
	return nil
}

// value reads one value of type t; depth counts enclosing arrays.
func (d *decoder) value(t ValueType, depth int) (Value, error) {
	if t == TypeArray {
		return d.array(depth)
	}
	var x any
	switch t {
	case TypeString:
		s, err := d.str("string")
		if err != nil {
			return Value{}, err
		}
		x = s
	default:
		if !t.valid() {
			return Value{}, fmt.Errorf("invalid value type %d at offset %d", uint32(t), d.off-4)
		}
		b, err := d.take(t.String()+" value", t.size())
		if err != nil {
			return Value{}, err
		}
		x = scalar(t, b)
	}
	return Value{Type: t, v: x}, nil
}

// scalar decodes one fixed-size value of type t from b.
func scalar(t ValueType, b []byte) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return b[0]
	case TypeInt8:
		return int8(b[0])
	case TypeUint16:
		return le.Uint16(b)
	case TypeInt16:
		return int16(le.Uint16(b))
	case TypeUint32:
		return le.Uint32(b)
	case TypeInt32:
		return int32(le.Uint32(b))
	case TypeFloat32:
		return math.Float32frombits(le.Uint32(b))
	case TypeBool:
		return b[0] != 0 // as gguf.cpp: any non-zero byte is true
	case TypeUint64:
		return le.Uint64(b)
	case TypeInt64:
		return int64(le.Uint64(b))
	case TypeFloat64:
		return math.Float64frombits(le.Uint64(b))
	}
	panic("gguf: scalar of non-scalar type " + t.String())
}

func (d *decoder) array(depth int) (Value, error) {
	if depth >= maxArrayDepth {
		return Value{}, fmt.Errorf("arrays nested deeper than %d at offset %d", maxArrayDepth, d.off)
	}
	et, err := d.u32("array element type")
	if err != nil {
		return Value{}, err
	}
	elem := ValueType(et)
	if !elem.valid() {
		return Value{}, fmt.Errorf("invalid array element type %d at offset %d", et, d.off-4)
	}
	n64, err := d.u64("array length")
	if err != nil {
		return Value{}, err
	}
	if min := uint64(elem.minSize()); n64 > uint64(d.remaining())/min {
		return Value{}, fmt.Errorf("array of %d %vs at offset %d needs at least %d bytes per element, but only %d bytes remain (file size %d)",
			n64, elem, d.off-12, min, d.remaining(), len(d.data))
	}
	n := int(n64)
	v := Value{Type: TypeArray, ElemType: elem}
	switch elem {
	case TypeString:
		s, err := d.strings(n)
		if err != nil {
			return Value{}, err
		}
		v.v = s
		if depth > 0 {
			// Inside an array of arrays (rare, and small): copied now,
			// so that the elements Any returns are plain slices.
			v.v = s.strings()
		}
	case TypeArray:
		s := make([]Value, n)
		for i := range s {
			if s[i], err = d.array(depth + 1); err != nil {
				return Value{}, fmt.Errorf("element %d: %w", i, err)
			}
		}
		v.v = s
	default:
		b, _ := d.take("array", n*elem.size()) // length checked above
		v.v = decodeSlice(elem, b, n)
	}
	return v, nil
}

// strings checks n length-prefixed strings and leaves them in the file:
// vocabularies hold hundreds of thousands of them, which most runs read
// once, to build a tokenizer, or never (a benchmark), so copying them all
// at open would cost megabytes of heap for nothing.
func (d *decoder) strings(n int) (stringArray, error) {
	start := d.off
	for i := range n {
		// Inline rather than d.str: this loop runs 400,000 times for a
		// Llama-3 vocabulary, and must not format a message each time.
		if d.remaining() < 8 {
			return stringArray{}, fmt.Errorf("string %d: %w", i, d.short("length", 8))
		}
		l := binary.LittleEndian.Uint64(d.data[d.off:])
		d.off += 8
		if l > uint64(d.remaining()) {
			return stringArray{}, fmt.Errorf("string %d length %d at offset %d exceeds the %d bytes that remain (file size %d)", i, l, d.off-8, d.remaining(), len(d.data))
		}
		d.off += int(l)
	}
	return stringArray{file: d.file, off: start, end: d.off, n: n}, nil
}

// stringArray is an array of strings still in its file: n length-prefixed
// strings in bytes [off, end) of file's data, checked when the file was
// read.
type stringArray struct {
	file     *File
	off, end int
	n        int
}

// strings copies the array out of the file: all bytes into one backing
// array that the elements share, two allocations instead of one per
// element.
func (a stringArray) strings() []string {
	data := a.raw()
	total := len(data) - 8*a.n
	buf := make([]byte, 0, total)
	for off := 0; off < len(data); {
		l := int(binary.LittleEndian.Uint64(data[off:]))
		buf = append(buf, data[off+8:off+8+l]...)
		off += 8 + l
	}
	// buf is never written again, so viewing it as a string is safe and
	// saves copying the whole vocabulary a second time.
	all := unsafe.String(unsafe.SliceData(buf), total)
	out := make([]string, a.n)
	for i, off, pos := 0, 0, 0; i < a.n; i++ {
		l := int(binary.LittleEndian.Uint64(data[off:]))
		out[i] = all[pos : pos+l]
		off += 8 + l
		pos += l
	}
	return out
}

// raw is the array's encoding: n length-prefixed strings. Reading it after
// the file is closed would touch unmapped memory, so that panics instead.
func (a stringArray) raw() []byte {
	if a.file.data == nil {
		panic("gguf: string array read after its file was closed")
	}
	return a.file.data[a.off:a.end]
}

// decodeSlice converts n little-endian elements of type t in b to a Go slice.
func decodeSlice(t ValueType, b []byte, n int) any {
	le := binary.LittleEndian
	switch t {
	case TypeUint8:
		return append([]uint8{}, b...)
	case TypeInt8:
		s := make([]int8, n)
		for i := range s {
			s[i] = int8(b[i])
		}
		return s
	case TypeBool:
		s := make([]bool, n)
		for i := range s {
			s[i] = b[i] != 0
		}
		return s
	case TypeUint16:
		s := make([]uint16, n)
		for i := range s {
			s[i] = le.Uint16(b[2*i:])
		}
		return s
	case TypeInt16:
		s := make([]int16, n)
		for i := range s {
			s[i] = int16(le.Uint16(b[2*i:]))
		}
		return s
	case TypeUint32:
		s := make([]uint32, n)
		for i := range s {
			s[i] = le.Uint32(b[4*i:])
		}
		return s
	case TypeInt32:
		s := make([]int32, n)
		for i := range s {
			s[i] = int32(le.Uint32(b[4*i:]))
		}
		return s
	case TypeFloat32:
		s := make([]float32, n)
		for i := range s {
			s[i] = math.Float32frombits(le.Uint32(b[4*i:]))
		}
		return s
	case TypeUint64:
		s := make([]uint64, n)
		for i := range s {
			s[i] = le.Uint64(b[8*i:])
		}
		return s
	case TypeInt64:
		s := make([]int64, n)
		for i := range s {
			s[i] = int64(le.Uint64(b[8*i:]))
		}
		return s
	case TypeFloat64:
		s := make([]float64, n)
		for i := range s {
			s[i] = math.Float64frombits(le.Uint64(b[8*i:]))
		}
		return s
	}
	panic("gguf: decodeSlice of non-scalar type " + t.String())
}

// tensorInfo reads tensor info i into t, mirroring gguf.cpp's checks.
func (d *decoder) tensorInfo(i int, t *TensorInfo) error {
	name, err := d.str("name")
	if err != nil {
		return fmt.Errorf("tensor %d: %w", i, err)
	}
	t.Name = name
	if len(name) >= maxNameLen {
		return fmt.Errorf("tensor %q: name is %d bytes, ggml allows at most %d", name, len(name), maxNameLen-1)
	}
	nDims, err := d.u32("dimension count")
	if err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	// gguf.cpp also takes 0 dimensions (a scalar), but its writer never
	// produces that; every consumer here expects Dims[0] to exist.
	if nDims < 1 || nDims > maxDims {
		return fmt.Errorf("tensor %q: %d dimensions, want 1 to %d", name, nDims, maxDims)
	}
	t.Dims = make([]int64, nDims)
	elems := int64(1)
	overflow := false
	for j := range t.Dims {
		u, err := d.u64("dimension")
		if err != nil {
			return fmt.Errorf("tensor %q: %w", name, err)
		}
		// gguf.cpp refuses negative sizes but takes 0: an empty tensor.
		if int64(u) < 0 {
			return fmt.Errorf("tensor %q: dimension %d is negative (%d)", name, j, int64(u))
		}
		t.Dims[j] = int64(u)
		hi, lo := bits.Mul64(uint64(elems), u)
		overflow = overflow || hi != 0 || lo > math.MaxInt64
		elems = int64(lo)
	}
	if overflow {
		return fmt.Errorf("tensor %q: shape %v has more than 2^63-1 elements", name, t.Dims)
	}
	typ, err := d.u32("type")
	if err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	t.Type = ggml.Type(typ)
	if !t.Type.Known() {
		return fmt.Errorf("tensor %q: unknown tensor type %d", name, typ)
	}
	bs, ts := int64(t.Type.BlockSize()), int64(t.Type.TypeSize())
	if t.Dims[0]%bs != 0 {
		return fmt.Errorf("tensor %q: row of %d elements is not a multiple of the %s block size %d", name, t.Dims[0], t.Type, bs)
	}
	if elems/bs > math.MaxInt64/ts {
		return fmt.Errorf("tensor %q: %d elements of %s do not fit in 2^63-1 bytes", name, elems, t.Type)
	}
	t.Size = elems / bs * ts
	off, err := d.u64("data offset")
	if err != nil {
		return fmt.Errorf("tensor %q: %w", name, err)
	}
	if off > math.MaxInt64 {
		return fmt.Errorf("tensor %q: offset %d beyond end of file (size %d)", name, off, len(d.data))
	}
	t.Offset = int64(off)
	return nil
}

// checkTensorData checks that t's data is aligned and inside the file, as
// llama.cpp's model loader does ("tensor data is not within the file
// bounds"). gguf.cpp is stricter still: it wants the tensors packed in file
// order, each padded to the alignment. That is how every known writer
// (including Builder) lays them out, but nothing here depends on it, so
// other layouts are accepted.
func (f *File) checkTensorData(t *TensorInfo) error {
	if t.Offset%f.Alignment != 0 {
		return fmt.Errorf("tensor %q: offset %d is not a multiple of the alignment %d", t.Name, t.Offset, f.Alignment)
	}
	// Both terms are below 2^63, so neither sum can wrap a uint64.
	size := uint64(len(f.data))
	start := uint64(f.DataOffset) + uint64(t.Offset)
	if start > size || uint64(t.Size) > size-start {
		return fmt.Errorf("tensor %q: data [%d, %d) beyond end of file (size %d)", t.Name, start, start+uint64(t.Size), size)
	}
	return nil
}

// alignUp rounds n up to a multiple of a, a power of 2.
func alignUp(n, a int64) int64 { return (n + a - 1) &^ (a - 1) }
