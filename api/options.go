package api

import (
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/sample"
	"github.com/kiln-llm/kiln/pack"
)

// Options are the settings of one generation, under Ollama's option names.
// A Model holds the defaults (Kiln's, which are Ollama's, then the
// Modelfile's PARAMETERs, then the command line); a request starts from a
// copy of them and overrides what it names.
type Options struct {
	NumCtx           int // tokens of context this request may use (0: all the loaded context)
	NumKeep          int // accepted for Ollama compatibility; Kiln never shifts the context
	Seed             int64
	NumPredict       int // most tokens to generate (<= 0: until the context is full)
	TopK             int
	TopP             float32
	MinP             float32
	RepeatLastN      int
	Temperature      float32
	RepeatPenalty    float32
	PresencePenalty  float32
	FrequencyPenalty float32
	Stop             []string
}

// DefaultOptions returns Ollama's defaults (api.DefaultOptions in Ollama
// v0.17.4), which Kiln shares. Seed -1 draws a fresh seed per request.
func DefaultOptions() Options {
	return Options{
		NumKeep:       4,
		Seed:          -1,
		NumPredict:    -1,
		TopK:          40,
		TopP:          0.9,
		RepeatLastN:   64,
		Temperature:   0.8,
		RepeatPenalty: 1.1,
	}
}

// ApplyModelfile sets every option the Modelfile gives a PARAMETER for.
// Load-time parameters (num_thread, num_batch, ...) and deprecated ones are
// the runtime's business and are skipped here.
func (o *Options) ApplyModelfile(mf *pack.Modelfile) {
	if mf == nil {
		return
	}
	for _, p := range mf.Params {
		switch v := p.Value.(type) {
		case int64:
			o.setInt(p.Name, v)
		case float32:
			o.setFloat(p.Name, v)
		case []string:
			if p.Name == "stop" {
				o.Stop = append([]string(nil), v...)
			}
		}
	}
}

func (o *Options) setInt(name string, v int64) bool {
	switch name {
	case "num_ctx":
		o.NumCtx = int(v)
	case "num_keep":
		o.NumKeep = int(v)
	case "seed":
		o.Seed = v
	case "num_predict":
		o.NumPredict = int(v)
	case "top_k":
		o.TopK = int(v)
	case "repeat_last_n":
		o.RepeatLastN = int(v)
	default:
		return false
	}
	return true
}

func (o *Options) setFloat(name string, v float32) bool {
	switch name {
	case "top_p":
		o.TopP = v
	case "min_p":
		o.MinP = v
	case "temperature":
		o.Temperature = v
	case "repeat_penalty":
		o.RepeatPenalty = v
	case "presence_penalty":
		o.PresencePenalty = v
	case "frequency_penalty":
		o.FrequencyPenalty = v
	default:
		return false
	}
	return true
}

// ignoredOptions are options Ollama accepts that have no effect in Kiln:
// load-time settings fixed when the server starts, and samplers Kiln does
// not have. Like Ollama with unknown names, Kiln accepts and ignores them.
var ignoredOptions = map[string]bool{
	"num_batch": true, "num_gpu": true, "main_gpu": true, "use_mmap": true, "num_thread": true,
	"typical_p": true, "penalize_newline": true, "mirostat": true, "mirostat_tau": true, "mirostat_eta": true,
	"tfs_z": true, "low_vram": true, "f16_kv": true, "logits_all": true, "vocab_only": true, "use_mlock": true, "numa": true,
}

// ApplyMap overrides o with the "options" object of an Ollama request. A
// value of the wrong type is an error with Ollama's wording; unknown names
// are ignored, as Ollama does. Numbers may be float64 or json.Number.
func (o *Options) ApplyMap(m map[string]any) error {
	for key, val := range m {
		if val == nil || ignoredOptions[key] {
			continue
		}
		switch key {
		case "num_ctx", "num_keep", "seed", "num_predict", "top_k", "repeat_last_n":
			n, err := intOption(key, val)
			if err != nil {
				return err
			}
			o.setInt(key, n)
		case "top_p", "min_p", "temperature", "repeat_penalty", "presence_penalty", "frequency_penalty":
			f, err := floatOption(key, val)
			if err != nil {
				return err
			}
			o.setFloat(key, f)
		case "stop":
			list, ok := val.([]any)
			if !ok {
				return fmt.Errorf("option %q must be of type array", key)
			}
			stops := make([]string, len(list))
			for i, item := range list {
				s, ok := item.(string)
				if !ok {
					return fmt.Errorf("option %q must be of an array of strings", key)
				}
				stops[i] = s
			}
			o.Stop = stops
		}
	}
	return nil
}

// maxExactInt bounds integers given as JSON floats: beyond it float64 has
// lost digits, and conversion to int would be implementation-defined.
const maxExactInt = 1 << 53

func intOption(key string, val any) (int64, error) {
	switch v := val.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, nil
		}
		f, err := v.Float64()
		if err != nil || math.Abs(f) > maxExactInt {
			return 0, fmt.Errorf("option %q: %s is out of range", key, v)
		}
		return int64(f), nil
	case float64:
		if math.IsNaN(v) || math.Abs(v) > maxExactInt {
			return 0, fmt.Errorf("option %q: %v is out of range", key, v)
		}
		return int64(v), nil // Ollama truncates, since JSON numbers decode as floats
	case int64:
		return v, nil
	case int:
		return int64(v), nil
	}
	return 0, fmt.Errorf("option %q must be of type integer", key)
}

func floatOption(key string, val any) (float32, error) {
	var f float64
	switch v := val.(type) {
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil {
			return 0, fmt.Errorf("option %q: %s is out of range", key, v)
		}
	case float64:
		f = v
	case float32:
		f = float64(v)
	default:
		return 0, fmt.Errorf("option %q must be of type float32", key)
	}
	if math.IsNaN(f) || math.Abs(f) > math.MaxFloat32 {
		return 0, fmt.Errorf("option %q: %v is out of range", key, f)
	}
	return float32(f), nil
}

// Validate reports the first setting the sampler cannot honour. Ollama
// passes such values through; Kiln answers 400 rather than sample with a
// negative temperature or a probability mass above one.
func (o *Options) Validate() error {
	var bad []string
	check := func(ok bool, format string, args ...any) {
		if !ok {
			bad = append(bad, fmt.Sprintf(format, args...))
		}
	}
	check(o.Temperature >= 0, "temperature %g is negative", o.Temperature)
	check(o.TopK >= 0, "top_k %d is negative", o.TopK)
	check(o.TopP >= 0 && o.TopP <= 1, "top_p %g is outside [0, 1]", o.TopP)
	check(o.MinP >= 0 && o.MinP <= 1, "min_p %g is outside [0, 1]", o.MinP)
	check(o.RepeatPenalty >= 0, "repeat_penalty %g is negative", o.RepeatPenalty)
	check(o.RepeatLastN >= -1, "repeat_last_n %d is below -1", o.RepeatLastN)
	check(o.PresencePenalty >= -2 && o.PresencePenalty <= 2, "presence_penalty %g is outside [-2, 2]", o.PresencePenalty)
	check(o.FrequencyPenalty >= -2 && o.FrequencyPenalty <= 2, "frequency_penalty %g is outside [-2, 2]", o.FrequencyPenalty)
	check(o.NumCtx >= 0, "num_ctx %d is negative", o.NumCtx)
	check(len(o.Stop) <= maxStops, "%d stop strings (at most %d)", len(o.Stop), maxStops)
	for _, s := range o.Stop {
		check(len(s) <= maxStopLen, "a stop string of %d bytes (at most %d)", len(s), maxStopLen)
	}
	if len(bad) > 0 {
		return badRequest("%s", strings.Join(bad, "; "))
	}
	return nil
}

// Bounds on stop strings: every generated piece is matched against each.
const (
	maxStops   = 16
	maxStopLen = 1024
)

// params converts o into the engine's parameters.
func (o *Options) params() engine.Params {
	seed := o.Seed
	if seed < 0 {
		seed = int64(rand.Uint64() >> 1)
	}
	return engine.Params{
		MaxTokens: max(o.NumPredict, 0),
		Sample: sample.Params{
			Temperature:      o.Temperature,
			TopK:             o.TopK,
			TopP:             o.TopP,
			MinP:             o.MinP,
			RepeatPenalty:    o.RepeatPenalty,
			RepeatLastN:      o.RepeatLastN,
			PresencePenalty:  o.PresencePenalty,
			FrequencyPenalty: o.FrequencyPenalty,
			Seed:             uint64(seed),
		},
	}
}
