package pack

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ParamType is the type of a PARAMETER's value.
type ParamType int

// Parameter value types; a ParamStrings parameter may be given on several
// lines, each adding one string.
const (
	ParamInt     ParamType = iota + 1 // int64
	ParamFloat                        // float32
	ParamBool                         // bool
	ParamStrings                      // []string
)

// String returns the type's name as used in errors.
func (t ParamType) String() string {
	switch t {
	case ParamInt:
		return "integer"
	case ParamFloat:
		return "number"
	case ParamBool:
		return "boolean"
	case ParamStrings:
		return "string"
	}
	return fmt.Sprintf("ParamType(%d)", int(t))
}

// paramSpec is one PARAMETER name Ollama accepts.
type paramSpec struct {
	name       string
	typ        ParamType
	deprecated bool
}

// params lists the PARAMETER names in the order String writes them: first
// Ollama's api.Runner (load-time) options, then api.Options (per request),
// both in their field order and with their Go types (int, float32, bool,
// *bool, []string); then names Ollama deprecated or dropped, which older
// Modelfiles still carry and which Ollama ignores with a warning.
var params = []paramSpec{
	{"num_ctx", ParamInt, false},
	{"num_batch", ParamInt, false},
	{"num_gpu", ParamInt, false},
	{"main_gpu", ParamInt, false},
	{"use_mmap", ParamBool, false},
	{"num_thread", ParamInt, false},

	{"num_keep", ParamInt, false},
	{"seed", ParamInt, false},
	{"num_predict", ParamInt, false},
	{"top_k", ParamInt, false},
	{"top_p", ParamFloat, false},
	{"min_p", ParamFloat, false},
	{"typical_p", ParamFloat, false},
	{"repeat_last_n", ParamInt, false},
	{"temperature", ParamFloat, false},
	{"repeat_penalty", ParamFloat, false},
	{"presence_penalty", ParamFloat, false},
	{"frequency_penalty", ParamFloat, false},
	{"stop", ParamStrings, false},

	// Ollama 0.17's deprecatedParameters.
	{"penalize_newline", ParamBool, true},
	{"low_vram", ParamBool, true},
	{"f16_kv", ParamBool, true},
	{"logits_all", ParamBool, true},
	{"vocab_only", ParamBool, true},
	{"use_mlock", ParamBool, true},
	{"mirostat", ParamInt, true},
	{"mirostat_tau", ParamFloat, true},
	{"mirostat_eta", ParamFloat, true},
	// Dropped from Ollama's options before 0.17.
	{"tfs_z", ParamFloat, true},
	{"numa", ParamBool, true},
	{"num_gqa", ParamInt, true},
	{"rope_frequency_base", ParamFloat, true},
	{"rope_frequency_scale", ParamFloat, true},
}

func lookupParam(name string) (int, paramSpec, bool) {
	for i, p := range params {
		if p.name == name {
			return i, p, true
		}
	}
	return 0, paramSpec{}, false
}

// ParamInfo reports whether name is a PARAMETER name, its value type, and
// whether Ollama deprecated it (it is parsed and kept, but a runtime should
// warn that it has no effect).
func ParamInfo(name string) (typ ParamType, deprecated, ok bool) {
	_, p, ok := lookupParam(name)
	return p.typ, p.deprecated, ok
}

// Param is one PARAMETER setting.
type Param struct {
	Name string
	// Value is an int64, float32, bool or []string, as ParamInfo's type for
	// Name says.
	Value any
}

// parseParamValue converts the text of a PARAMETER value to its type, as
// Ollama's api.FormatParams does (strconv's rules), except that NaN and
// infinities are refused: no sampler setting means them.
func parseParamValue(p paramSpec, s string) (any, error) {
	switch p.typ {
	case ParamInt:
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("PARAMETER %s: %q is not an integer", p.name, s)
		}
		return v, nil
	case ParamFloat:
		v, err := strconv.ParseFloat(s, 32)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("PARAMETER %s: %q is not a finite number", p.name, s)
		}
		return float32(v), nil
	case ParamBool:
		v, err := strconv.ParseBool(s)
		if err != nil {
			return nil, fmt.Errorf("PARAMETER %s: %q is not a boolean (true or false)", p.name, s)
		}
		return v, nil
	default:
		return []string{s}, nil
	}
}

// formatParamValues writes a parameter's value back as Modelfile values, one
// per PARAMETER line.
func formatParamValues(v any) []string {
	switch v := v.(type) {
	case int64:
		return []string{strconv.FormatInt(v, 10)}
	case float32:
		return []string{strconv.FormatFloat(float64(v), 'g', -1, 32)}
	case bool:
		return []string{strconv.FormatBool(v)}
	case []string:
		out := make([]string, len(v))
		for i, s := range v {
			out[i] = quote(s)
		}
		return out
	}
	return []string{quote(fmt.Sprint(v))}
}

// setParam records a value, keeping m.Params in table order: a repeated
// list parameter appends, any other repeated name replaces (Ollama's rule).
func (m *Modelfile) setParam(name string, value any) {
	idx, spec, _ := lookupParam(name)
	for i := range m.Params {
		if m.Params[i].Name != name {
			continue
		}
		if spec.typ == ParamStrings {
			m.Params[i].Value = append(m.Params[i].Value.([]string), value.([]string)...)
		} else {
			m.Params[i].Value = value
		}
		return
	}
	at := len(m.Params)
	for i, p := range m.Params {
		if j, _, _ := lookupParam(p.Name); j > idx {
			at = i
			break
		}
	}
	m.Params = append(m.Params, Param{})
	copy(m.Params[at+1:], m.Params[at:])
	m.Params[at] = Param{Name: name, Value: value}
}

// Param returns the value of the PARAMETER name, if the Modelfile sets it.
func (m *Modelfile) Param(name string) (any, bool) {
	name = strings.ToLower(name)
	for _, p := range m.Params {
		if p.Name == name {
			return p.Value, true
		}
	}
	return nil, false
}
