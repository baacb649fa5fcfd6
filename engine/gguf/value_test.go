package gguf

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestValueString(t *testing.T) {
	for _, tc := range []struct {
		v    any
		want string
	}{
		{uint32(7), "7"},
		{int8(-3), "-3"},
		{float32(1e-5), "1e-05"},
		{float64(0.1), "0.1"},
		{true, "true"},
		{"llama", `"llama"`},
		{"tab\there", `"tab\there"`},
		{strings.Repeat("é", 40), `"` + strings.Repeat("é", 32) + `"…`},
		{[]string{"a"}, "[1 string]"},
		{[]string{"a", "b"}, "[2 strings]"},
		{[]int32{1, 2, 3}, "[1 2 3]"},
		{[]float32{0, -1, 0.5, 2, 3, 4, 5}, "[0 -1 0.5 2 3 4 … 7 float32s]"},
		{[]bool{true}, "[true]"},
		{[]uint8{}, "[]"},
		{[]Value{{Type: TypeArray, ElemType: TypeUint8, v: []uint8{1}}}, "[1 array]"},
	} {
		v, err := ValueOf(tc.v)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.String(); got != tc.want {
			t.Errorf("ValueOf(%#v).String() = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestValueOfErrors(t *testing.T) {
	for _, x := range []any{3, uint(3), []int{1}, nil, map[string]int{}, [2]int32{}, Value{}, Value{Type: 99}, Value{Type: TypeArray, ElemType: TypeInt32, v: []uint32{}}} {
		if v, err := ValueOf(x); err == nil {
			t.Errorf("ValueOf(%#v) = %v, want an error", x, v)
		}
	}
	// A nil slice becomes an empty array, as the reader returns.
	v, err := ValueOf([]string(nil))
	if err != nil || v.Any() == nil || v.Len() != 0 {
		t.Errorf("ValueOf(nil []string) = %#v, %v", v, err)
	}
}

// The File accessors convert between integer types only when the value fits.
func TestAccessors(t *testing.T) {
	b := NewBuilder()
	for k, v := range map[string]any{
		"u8": uint8(5), "neg": int32(-5), "big": uint64(math.MaxUint64), "i64": int64(1 << 40),
		"f32": float32(0.25), "f64": 1.5, "s": "str", "t": true,
		"ai32": []int32{-1, 2}, "au32": []uint32{1, 2}, "au32big": []uint32{1 << 31}, "au64": []uint64{3},
		"ai64": []int64{-4}, "ai8": []int8{-8}, "af32": []float32{1.5}, "af64": []float64{2.5}, "as": []string{"x"},
	} {
		mustSet(t, b, k, v)
	}
	f, err := Parse(write(t, b))
	if err != nil {
		t.Fatal(err)
	}
	uintCases := map[string]uint64{"u8": 5, "big": math.MaxUint64, "i64": 1 << 40}
	for _, k := range []string{"u8", "neg", "big", "i64", "f32", "s", "t", "missing"} {
		want, ok := uintCases[k]
		got, gotOK := f.Uint(k)
		if got != want || gotOK != ok {
			t.Errorf("Uint(%q) = %d, %v; want %d, %v", k, got, gotOK, want, ok)
		}
	}
	intCases := map[string]int64{"u8": 5, "neg": -5, "i64": 1 << 40}
	for _, k := range []string{"u8", "neg", "big", "i64", "f64", "missing"} {
		want, ok := intCases[k]
		got, gotOK := f.Int(k)
		if got != want || gotOK != ok {
			t.Errorf("Int(%q) = %d, %v; want %d, %v", k, got, gotOK, want, ok)
		}
	}
	floatCases := map[string]float64{"u8": 5, "neg": -5, "big": math.MaxUint64, "f32": 0.25, "f64": 1.5}
	for _, k := range []string{"u8", "neg", "big", "f32", "f64", "s"} {
		want, ok := floatCases[k]
		got, gotOK := f.Float(k)
		if got != want || gotOK != ok {
			t.Errorf("Float(%q) = %v, %v; want %v, %v", k, got, gotOK, want, ok)
		}
	}
	if s, ok := f.String("s"); s != "str" || !ok {
		t.Errorf("String = %q, %v", s, ok)
	}
	if _, ok := f.String("u8"); ok {
		t.Error("String of a uint8 succeeded")
	}
	if v, ok := f.Bool("t"); !v || !ok {
		t.Errorf("Bool = %v, %v", v, ok)
	}
	if _, ok := f.Bool("u8"); ok {
		t.Error("Bool of a uint8 succeeded")
	}
	int32Cases := map[string][]int32{"ai32": {-1, 2}, "au32": {1, 2}, "au64": {3}, "ai64": {-4}, "ai8": {-8}}
	for _, k := range []string{"ai32", "au32", "au32big", "au64", "ai64", "ai8", "af32", "as"} {
		want, ok := int32Cases[k]
		got, gotOK := f.Int32s(k)
		if !reflect.DeepEqual(got, want) || gotOK != ok {
			t.Errorf("Int32s(%q) = %v, %v; want %v, %v", k, got, gotOK, want, ok)
		}
	}
	if got, ok := f.Float32s("af64"); !ok || len(got) != 1 || got[0] != 2.5 {
		t.Errorf("Float32s(af64) = %v, %v", got, ok)
	}
	if got, ok := f.Float32s("af32"); !ok || len(got) != 1 || got[0] != 1.5 {
		t.Errorf("Float32s(af32) = %v, %v", got, ok)
	}
	if _, ok := f.Float32s("ai32"); ok {
		t.Error("Float32s of int32s succeeded")
	}
	if got, ok := f.Strings("as"); !ok || len(got) != 1 || got[0] != "x" {
		t.Errorf("Strings = %v, %v", got, ok)
	}
	if f.Architecture() != "" {
		t.Errorf("Architecture() = %q without the key", f.Architecture())
	}
}
