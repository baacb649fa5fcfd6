package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/sample"
	"github.com/kiln-llm/kiln/pack"
)

// settings are the options of a run, layered: Kiln's defaults (Ollama's,
// the flags' default values), then the bundled Modelfile's PARAMETERs, then
// the flags the user gave.
type settings struct {
	threads, ctx int
	params       engine.Params
	stop         []string
	modelfile    *pack.Modelfile // nil without one
	notes        []string        // said on stderr once the model has loaded
	from         map[string]string
}

// loadSettings reads the bundled Modelfile, if any, and layers the flags on
// top.
// The result is kept on src: every mode and the memory check see the same
// settings, and notes about them are printed once.
func loadSettings(c *cli.Context, src *source) (*settings, error) {
	if src.settings != nil {
		return src.settings, nil
	}
	s := &settings{from: map[string]string{}}
	if src.artifact != nil && src.artifact.Modelfile() != "" {
		mf, err := pack.ParseModelfile(strings.NewReader(src.artifact.Modelfile()))
		if err != nil {
			return nil, fmt.Errorf("bundled Modelfile: %w", err)
		}
		s.modelfile = mf
	}
	intOpt := func(flag, param string) int {
		if !c.IsSet(flag) && s.modelfile != nil {
			if v, ok := s.modelfile.Param(param); ok {
				s.from[param] = "Modelfile"
				return int(v.(int64))
			}
		}
		if c.IsSet(flag) {
			s.from[param] = "flag --" + flag
		}
		return c.Int(flag)
	}
	floatOpt := func(flag, param string) float32 {
		if !c.IsSet(flag) && s.modelfile != nil {
			if v, ok := s.modelfile.Param(param); ok {
				s.from[param] = "Modelfile"
				return v.(float32)
			}
		}
		if c.IsSet(flag) {
			s.from[param] = "flag --" + flag
		}
		return float32(c.Float64(flag))
	}
	s.threads = intOpt("threads", "num_thread")
	s.ctx = intOpt("ctx", "num_ctx")
	if s.ctx < 0 {
		return nil, fmt.Errorf("context %d (from %s) is negative", s.ctx, s.from["num_ctx"])
	}
	if trained, ok := src.gguf.Uint(src.gguf.Architecture() + ".context_length"); ok && s.ctx > int(trained) {
		s.notes = append(s.notes, fmt.Sprintf("context %d is longer than the %d tokens the model was trained with: expect poor output beyond that", s.ctx, trained))
	}
	seed := int64(c.Int64("seed"))
	if !c.IsSet("seed") && s.modelfile != nil {
		if v, ok := s.modelfile.Param("seed"); ok {
			seed = v.(int64)
			s.from["seed"] = "Modelfile"
		}
	}
	if seed < 0 {
		seed = int64(rand.Uint64() >> 1)
	}
	s.params = engine.Params{
		MaxTokens: intOpt("num-predict", "num_predict"),
		Sample: sample.Params{
			Temperature:      floatOpt("temp", "temperature"),
			TopK:             intOpt("top-k", "top_k"),
			TopP:             floatOpt("top-p", "top_p"),
			MinP:             floatOpt("min-p", "min_p"),
			RepeatPenalty:    floatOpt("repeat-penalty", "repeat_penalty"),
			RepeatLastN:      64,
			PresencePenalty:  0,
			FrequencyPenalty: 0,
			Seed:             uint64(seed),
		},
	}
	if s.modelfile != nil {
		if v, ok := s.modelfile.Param("repeat_last_n"); ok {
			s.params.Sample.RepeatLastN = int(v.(int64))
		}
		if v, ok := s.modelfile.Param("presence_penalty"); ok {
			s.params.Sample.PresencePenalty = v.(float32)
		}
		if v, ok := s.modelfile.Param("frequency_penalty"); ok {
			s.params.Sample.FrequencyPenalty = v.(float32)
		}
		if v, ok := s.modelfile.Param("stop"); ok {
			s.stop = v.([]string)
		}
	}
	src.settings = s
	return s, nil
}

// printNotes writes the settings' notes to stderr, once the run is known to
// go ahead (a failing run prints only its error).
func (s *settings) printNotes() {
	for _, n := range s.notes {
		fmt.Fprintln(os.Stderr, "note:", n)
	}
	s.notes = nil
}

// loadEngine loads the model with the run's layered settings (threads and
// context from flags over the Modelfile) and prints their notes once it has
// loaded; every mode that runs the model starts here.
func loadEngine(c *cli.Context, src *source) (*engine.Engine, *settings, error) {
	set, err := loadSettings(c, src)
	if err != nil {
		return nil, nil, err
	}
	e, err := engine.Load(src.gguf, engine.Options{Threads: set.threads, Context: set.ctx})
	if err != nil {
		return nil, nil, err
	}
	set.printNotes()
	return e, set, nil
}
