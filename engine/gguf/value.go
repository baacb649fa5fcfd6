package gguf

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ValueType is the type tag of a GGUF metadata value, numbered as in gguf.h's
// enum gguf_type. The numbers are stored in files and must never change.
type ValueType uint32

// The GGUF metadata value types.
const (
	TypeUint8   ValueType = 0
	TypeInt8    ValueType = 1
	TypeUint16  ValueType = 2
	TypeInt16   ValueType = 3
	TypeUint32  ValueType = 4
	TypeInt32   ValueType = 5
	TypeFloat32 ValueType = 6
	TypeBool    ValueType = 7
	TypeString  ValueType = 8
	TypeArray   ValueType = 9
	TypeUint64  ValueType = 10
	TypeInt64   ValueType = 11
	TypeFloat64 ValueType = 12
)

var typeNames = [...]string{"uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "bool", "string", "array", "uint64", "int64", "float64"}

// String returns the Go-style name of t ("uint32", "string", "array"), or
// "type(N)" for a number GGUF does not define.
func (t ValueType) String() string {
	if int(t) < len(typeNames) {
		return typeNames[t]
	}
	return fmt.Sprintf("type(%d)", uint32(t))
}

// valid reports whether t is one of the thirteen GGUF types.
func (t ValueType) valid() bool { return t <= TypeFloat64 }

// size is the encoded size of one scalar of type t; 0 for strings and arrays,
// whose size depends on their contents.
func (t ValueType) size() int {
	switch t {
	case TypeUint8, TypeInt8, TypeBool:
		return 1
	case TypeUint16, TypeInt16:
		return 2
	case TypeUint32, TypeInt32, TypeFloat32:
		return 4
	case TypeUint64, TypeInt64, TypeFloat64:
		return 8
	}
	return 0
}

// minSize is the fewest bytes one value of type t can take in a file: a
// string is at least its 8-byte length, an array its 4-byte element type and
// 8-byte count. It bounds counts read from a file before anything is
// allocated for them.
func (t ValueType) minSize() int {
	switch t {
	case TypeString:
		return 8
	case TypeArray:
		return 12
	}
	return t.size()
}

// Value is one metadata value. Scalars hold the Go type of the same name
// (uint8 … float64, bool, string). Arrays (Type == TypeArray) hold a typed Go
// slice whose element type ElemType names ([]uint8, []int8, []uint16,
// []int16, []uint32, []int32, []float32, []bool, []string, []uint64, []int64,
// []float64); arrays of arrays (ElemType == TypeArray) hold a []Value.
type Value struct {
	Type     ValueType
	ElemType ValueType // element type, for arrays only
	v        any
}

// ValueOf converts a Go value to a Value: the fixed-size numeric types, bool,
// string, slices of those, []Value for an array of arrays, or a Value (to copy
// one from a File). Plain int and uint are refused, since their size, and so
// the GGUF type a reader would see, depends on the platform.
func ValueOf(x any) (Value, error) {
	switch x := x.(type) {
	case Value:
		return x, x.check(0)
	case uint8:
		return Value{Type: TypeUint8, v: x}, nil
	case int8:
		return Value{Type: TypeInt8, v: x}, nil
	case uint16:
		return Value{Type: TypeUint16, v: x}, nil
	case int16:
		return Value{Type: TypeInt16, v: x}, nil
	case uint32:
		return Value{Type: TypeUint32, v: x}, nil
	case int32:
		return Value{Type: TypeInt32, v: x}, nil
	case float32:
		return Value{Type: TypeFloat32, v: x}, nil
	case bool:
		return Value{Type: TypeBool, v: x}, nil
	case string:
		return Value{Type: TypeString, v: x}, nil
	case uint64:
		return Value{Type: TypeUint64, v: x}, nil
	case int64:
		return Value{Type: TypeInt64, v: x}, nil
	case float64:
		return Value{Type: TypeFloat64, v: x}, nil
	case []uint8:
		return arrayOf(TypeUint8, x), nil
	case []int8:
		return arrayOf(TypeInt8, x), nil
	case []uint16:
		return arrayOf(TypeUint16, x), nil
	case []int16:
		return arrayOf(TypeInt16, x), nil
	case []uint32:
		return arrayOf(TypeUint32, x), nil
	case []int32:
		return arrayOf(TypeInt32, x), nil
	case []float32:
		return arrayOf(TypeFloat32, x), nil
	case []bool:
		return arrayOf(TypeBool, x), nil
	case []string:
		return arrayOf(TypeString, x), nil
	case []uint64:
		return arrayOf(TypeUint64, x), nil
	case []int64:
		return arrayOf(TypeInt64, x), nil
	case []float64:
		return arrayOf(TypeFloat64, x), nil
	case []Value:
		v := arrayOf(TypeArray, x)
		return v, v.check(0)
	case int, uint, []int, []uint:
		return Value{}, fmt.Errorf("Go type %T has no fixed size; use int32, uint32, int64 or uint64", x)
	}
	return Value{}, fmt.Errorf("Go type %T has no GGUF type", x)
}

func arrayOf[T any](elem ValueType, s []T) Value {
	if s == nil {
		s = []T{} // keep Any() a non-nil slice, as the reader gives
	}
	return Value{Type: TypeArray, ElemType: elem, v: s}
}

// check reports whether the payload matches Type and ElemType, which a Value
// built by hand (Value{Type: TypeString}) need not. depth counts array levels.
func (v Value) check(depth int) error {
	if v.Type != TypeArray {
		if !v.Type.valid() {
			return fmt.Errorf("invalid value type %d", uint32(v.Type))
		}
		if tagOf(v.v) != v.Type {
			return fmt.Errorf("%v value holds Go type %T", v.Type, v.v)
		}
		return nil
	}
	if depth >= maxArrayDepth {
		return fmt.Errorf("arrays nested deeper than %d", maxArrayDepth)
	}
	if !v.ElemType.valid() {
		return fmt.Errorf("invalid array element type %d", uint32(v.ElemType))
	}
	if got := sliceTag(v.v); got != v.ElemType {
		return fmt.Errorf("array of %v holds Go type %T", v.ElemType, v.v)
	}
	if elems, ok := v.v.([]Value); ok {
		for i, e := range elems {
			if e.Type != TypeArray {
				return fmt.Errorf("element %d of an array of arrays is a %v", i, e.Type)
			}
			if err := e.check(depth + 1); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
	}
	return nil
}

// tagOf is the scalar type a Go value encodes as, or TypeArray when none.
func tagOf(x any) ValueType {
	switch x.(type) {
	case uint8:
		return TypeUint8
	case int8:
		return TypeInt8
	case uint16:
		return TypeUint16
	case int16:
		return TypeInt16
	case uint32:
		return TypeUint32
	case int32:
		return TypeInt32
	case float32:
		return TypeFloat32
	case bool:
		return TypeBool
	case string:
		return TypeString
	case uint64:
		return TypeUint64
	case int64:
		return TypeInt64
	case float64:
		return TypeFloat64
	}
	return TypeArray
}

// sliceTag is the element type of a slice payload, or an invalid type when x
// is not one of the slice types a Value may hold.
func sliceTag(x any) ValueType {
	switch x.(type) {
	case []uint8:
		return TypeUint8
	case []int8:
		return TypeInt8
	case []uint16:
		return TypeUint16
	case []int16:
		return TypeInt16
	case []uint32:
		return TypeUint32
	case []int32:
		return TypeInt32
	case []float32:
		return TypeFloat32
	case []bool:
		return TypeBool
	case []string, stringArray:
		return TypeString
	case []uint64:
		return TypeUint64
	case []int64:
		return TypeInt64
	case []float64:
		return TypeFloat64
	case []Value:
		return TypeArray
	}
	return ValueType(math.MaxUint32)
}

// Any returns the payload: a scalar of the Go type named by Type, a typed
// slice for an array, or []Value for an array of arrays. Slices are shared
// with the File and must not be modified, except arrays of strings read
// from a file, which are copied out of it on each call.
func (v Value) Any() any {
	if a, ok := v.v.(stringArray); ok {
		return a.strings()
	}
	return v.v
}

// Len returns the number of elements of an array, and 0 for a scalar.
func (v Value) Len() int {
	if v.Type != TypeArray {
		return 0
	}
	switch s := v.v.(type) {
	case []uint8:
		return len(s)
	case []int8:
		return len(s)
	case []uint16:
		return len(s)
	case []int16:
		return len(s)
	case []uint32:
		return len(s)
	case []int32:
		return len(s)
	case []float32:
		return len(s)
	case []bool:
		return len(s)
	case []string:
		return len(s)
	case stringArray:
		return s.n
	case []uint64:
		return len(s)
	case []int64:
		return len(s)
	case []float64:
		return len(s)
	case []Value:
		return len(s)
	}
	return 0
}

// Limits of String's rendering, which is meant for one line of --info.
const (
	maxShownString = 64
	maxShownElems  = 6
)

// String renders v briefly for humans: a quoted (and, past 64 bytes,
// shortened) string, a number, or for an array its first few elements and
// its length ("[1 2 3 … 1024 int32s]", "[32000 strings]").
func (v Value) String() string {
	if v.Type != TypeArray {
		return scalarString(v.v)
	}
	n := v.Len()
	noun := v.ElemType.String() + "s"
	if v.ElemType == TypeString || v.ElemType == TypeArray {
		if n == 1 {
			noun = noun[:len(noun)-1]
		}
		return fmt.Sprintf("[%d %s]", n, noun)
	}
	var b strings.Builder
	b.WriteByte('[')
	for i := range min(n, maxShownElems) {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(scalarString(v.index(i)))
	}
	if n > maxShownElems {
		fmt.Fprintf(&b, " … %d %s", n, noun)
	}
	b.WriteByte(']')
	return b.String()
}

// index returns element i of a numeric or bool array.
func (v Value) index(i int) any {
	switch s := v.v.(type) {
	case []uint8:
		return s[i]
	case []int8:
		return s[i]
	case []uint16:
		return s[i]
	case []int16:
		return s[i]
	case []uint32:
		return s[i]
	case []int32:
		return s[i]
	case []float32:
		return s[i]
	case []bool:
		return s[i]
	case []uint64:
		return s[i]
	case []int64:
		return s[i]
	case []float64:
		return s[i]
	}
	return nil
}

func scalarString(x any) string {
	switch x := x.(type) {
	case string:
		if len(x) > maxShownString {
			cut := maxShownString
			for cut > 0 && x[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
				cut--
			}
			return strconv.Quote(x[:cut]) + "…"
		}
		return strconv.Quote(x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return fmt.Sprint(x)
}

// asInt64 returns an integer scalar as int64, if it is one and fits.
func (v Value) asInt64() (int64, bool) {
	switch x := v.v.(type) {
	case uint8:
		return int64(x), true
	case int8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case int16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		if x <= math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

// asUint64 returns a non-negative integer scalar as uint64.
func (v Value) asUint64() (uint64, bool) {
	if x, ok := v.v.(uint64); ok {
		return x, true
	}
	if x, ok := v.asInt64(); ok && x >= 0 {
		return uint64(x), true
	}
	return 0, false
}
