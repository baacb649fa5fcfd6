package api

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/pack"
)

func TestApplyMap(t *testing.T) {
	decodeMap := func(s string) map[string]any {
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	for _, tc := range []struct {
		name, opts string
		check      func(Options) bool
		err        string
	}{
		{"all numbers", `{"num_ctx":128,"num_predict":7,"temperature":0.5,"top_k":3,"top_p":0.5,"min_p":0.1,"repeat_penalty":1.2,"repeat_last_n":8,"presence_penalty":0.3,"frequency_penalty":0.4,"seed":42,"num_keep":2}`,
			func(o Options) bool {
				return o.NumCtx == 128 && o.NumPredict == 7 && o.Temperature == 0.5 && o.TopK == 3 && o.TopP == 0.5 && o.MinP == 0.1 &&
					o.RepeatPenalty == 1.2 && o.RepeatLastN == 8 && o.PresencePenalty == 0.3 && o.FrequencyPenalty == 0.4 && o.Seed == 42 && o.NumKeep == 2
			}, ""},
		{"large seed keeps its digits", `{"seed":9007199254740993}`, func(o Options) bool { return o.Seed == 9007199254740993 }, ""},
		{"float for an int truncates, as Ollama", `{"num_predict":5.9}`, func(o Options) bool { return o.NumPredict == 5 }, ""},
		{"int for a float", `{"temperature":1}`, func(o Options) bool { return o.Temperature == 1 }, ""},
		{"stop list", `{"stop":["a","b"]}`, func(o Options) bool { return reflect.DeepEqual(o.Stop, []string{"a", "b"}) }, ""},
		{"null is ignored", `{"temperature":null}`, func(o Options) bool { return o.Temperature == 0.8 }, ""},
		{"unknown and load-time options ignored", `{"bogus":1,"num_gpu":9,"mirostat":2}`, func(o Options) bool { return reflect.DeepEqual(o, DefaultOptions()) }, ""},
		{"string for an int", `{"top_k":"3"}`, nil, `option "top_k" must be of type integer`},
		{"string for a float", `{"temperature":"hot"}`, nil, `option "temperature" must be of type float32`},
		{"stop not a list", `{"stop":"x"}`, nil, `option "stop" must be of type array`},
		{"stop list of numbers", `{"stop":[1]}`, nil, `must be of an array of strings`},
		{"huge int", `{"num_predict":1e300}`, nil, "out of range"},
		{"huge float", `{"temperature":1e300}`, nil, "out of range"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			err := o.ApplyMap(decodeMap(tc.opts))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.check(o) {
				t.Fatalf("err %v, options %+v", err, o)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*Options)
		err  string
	}{
		{"defaults", func(*Options) {}, ""},
		{"greedy", func(o *Options) { o.Temperature = 0 }, ""},
		{"negative temperature", func(o *Options) { o.Temperature = -1 }, "temperature -1 is negative"},
		{"top_p above one", func(o *Options) { o.TopP = 1.5 }, "top_p 1.5 is outside [0, 1]"},
		{"negative top_k", func(o *Options) { o.TopK = -2 }, "top_k -2"},
		{"min_p", func(o *Options) { o.MinP = 2 }, "min_p 2"},
		{"repeat_last_n", func(o *Options) { o.RepeatLastN = -5 }, "repeat_last_n -5"},
		{"penalty range", func(o *Options) { o.PresencePenalty = 3 }, "presence_penalty 3"},
		{"too many stops", func(o *Options) { o.Stop = make([]string, 17) }, "17 stop strings"},
		{"long stop", func(o *Options) { o.Stop = []string{strings.Repeat("x", 2000)} }, "2000 bytes"},
		{"several at once", func(o *Options) { o.Temperature, o.TopK = -1, -1 }, "temperature -1 is negative; top_k -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := DefaultOptions()
			tc.set(&o)
			err := o.Validate()
			if (err == nil) != (tc.err == "") || err != nil && !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("err = %v, want %q", err, tc.err)
			}
		})
	}
}

func TestApplyModelfile(t *testing.T) {
	mf, err := pack.ParseModelfile(strings.NewReader("FROM x\nPARAMETER temperature 0.2\nPARAMETER top_k 7\nPARAMETER stop <end>\nPARAMETER stop ###\nPARAMETER num_thread 3\nPARAMETER num_ctx 99\n"))
	if err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.ApplyModelfile(mf)
	want := DefaultOptions()
	want.Temperature, want.TopK, want.Stop, want.NumCtx = 0.2, 7, []string{"<end>", "###"}, 99
	if !reflect.DeepEqual(o, want) {
		t.Fatalf("got %+v\nwant %+v", o, want)
	}
}

func TestParams(t *testing.T) {
	o := DefaultOptions()
	o.NumPredict, o.Seed = -1, 5
	p := o.params()
	if p.MaxTokens != 0 || p.Sample.Seed != 5 || p.Sample.TopK != 40 || p.Sample.RepeatLastN != 64 {
		t.Fatalf("params %+v", p)
	}
	o.Seed = -1
	if a, b := o.params().Sample.Seed, o.params().Sample.Seed; a == b {
		t.Errorf("seed -1 gave the same seed twice (%d)", a)
	}
}

// TestOpenAIOptionMapping checks Ollama's mapping of OpenAI fields.
func TestOpenAIOptionMapping(t *testing.T) {
	m := newTestModel(t, tolstoyPath, 256, ModelConfig{})
	f := func(v float64) *float64 { return &v }
	i := func(v int64) *int64 { return &v }
	n := func(v int) *int { return &v }
	for _, tc := range []struct {
		name  string
		sp    sampling
		check func(*Options) bool
		err   string
	}{
		{"OpenAI defaults: temperature and top_p 1", sampling{maxName: "max_tokens", maxTopLogprob: 20},
			func(o *Options) bool { return o.Temperature == 1 && o.TopP == 1 && o.NumPredict == -1 && o.TopK == 40 }, ""},
		{"fields", sampling{maxTokens: i(9), maxName: "max_tokens", seed: i(3), stop: "x", temperature: f(0), topP: f(0.5), frequencyPen: f(0.1), presencePen: f(0.2), maxTopLogprob: 20},
			func(o *Options) bool {
				return o.NumPredict == 9 && o.Seed == 3 && reflect.DeepEqual(o.Stop, []string{"x"}) && o.Temperature == 0 && o.TopP == 0.5 &&
					o.FrequencyPenalty == 0.1 && o.PresencePenalty == 0.2
			}, ""},
		{"stop array", sampling{stop: []any{"a", "b"}, maxTopLogprob: 20}, func(o *Options) bool { return reflect.DeepEqual(o.Stop, []string{"a", "b"}) }, ""},
		{"huge max_tokens is capped, not refused", sampling{maxTokens: i(1 << 40), maxName: "max_tokens", maxTopLogprob: 20}, func(o *Options) bool { return o.NumPredict > 0 }, ""},
		{"n=1", sampling{n: n(1), maxTopLogprob: 20}, func(*Options) bool { return true }, ""},
		{"n=2", sampling{n: n(2), maxTopLogprob: 20}, nil, "n must be 1"},
		{"negative max_tokens", sampling{maxTokens: i(-5), maxName: "max_tokens", maxTopLogprob: 20}, nil, "max_tokens must be at least 1, got -5"},
		{"zero max_completion_tokens", sampling{maxTokens: i(0), maxName: "max_completion_tokens", maxTopLogprob: 20}, nil, "max_completion_tokens must be at least 1"},
		{"temperature above 2", sampling{temperature: f(3), maxTopLogprob: 20}, nil, "temperature must be between 0 and 2"},
		{"stop of numbers", sampling{stop: []any{json.Number("1")}, maxTopLogprob: 20}, nil, "stop[0] must be a string"},
		{"stop object", sampling{stop: map[string]any{}, maxTopLogprob: 20}, nil, "stop must be a string or an array"},
		{"top_logprobs", sampling{topLogprobs: 21, maxTopLogprob: 20}, nil, "top_logprobs must be between 0 and 20"},
		{"top_p above 1", sampling{topP: f(2), maxTopLogprob: 20}, nil, "top_p 2 is outside"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := tc.sp.options(m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil || !tc.check(o) {
				t.Fatalf("err %v, options %+v", err, o)
			}
		})
	}
}
