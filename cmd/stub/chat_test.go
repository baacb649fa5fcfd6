package main

import (
	"bufio"
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/kiln-llm/kiln/api"
	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/gguf"
)

// TestChatSession drives the terminal chat's reading, commands and replies
// with a scripted input against the demo model.
func TestChatSession(t *testing.T) {
	f, err := gguf.Open("../../testdata/tolstoy-4m-q8_0.gguf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	e, err := engine.Load(f, engine.Options{Threads: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	defaults := api.DefaultOptions()
	defaults.NumPredict = 8
	m, err := api.NewModel(e, api.ModelConfig{Name: "tolstoy", Defaults: &defaults, Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()

	script := strings.Join([]string{
		"/set parameter temperature 0",
		"/set parameter top_k x",
		"/set parameter nonsense 1",
		"Prince Andrew",
		`"""The old`,
		`prince"""`,
		"/show info",
		"/clear",
		"/nope",
		"/bye",
	}, "\n") + "\n"
	var out bytes.Buffer
	s := &chatSession{m: m, opts: m.Options(), in: bufio.NewReader(strings.NewReader(script)), out: &out}
	interrupts := make(chan os.Signal, 1)
	var errs []string
	for {
		msg, err := s.read()
		if err != nil {
			t.Fatalf("read: %v (output so far %q)", err, out.String())
		}
		if strings.HasPrefix(msg, "/") {
			done, err := s.command(msg)
			if err != nil {
				errs = append(errs, err.Error())
			}
			if done {
				break
			}
			continue
		}
		s.reply(msg, interrupts)
		if msg == "The old\nprince" && len(s.messages) != 4 {
			t.Fatalf("after two turns the conversation has %d messages, want 4", len(s.messages))
		}
	}
	if s.opts.Temperature != 0 {
		t.Errorf("temperature = %v after /set parameter temperature 0", s.opts.Temperature)
	}
	if len(s.messages) != 0 {
		t.Errorf("/clear left %d messages", len(s.messages))
	}
	want := []string{"integer", "unknown parameter", "unknown command"}
	if len(errs) != len(want) {
		t.Fatalf("errors %q, want ones mentioning %q", errs, want)
	}
	for i, w := range want {
		if !strings.Contains(errs[i], w) {
			t.Errorf("error %q does not mention %q", errs[i], w)
		}
	}
	if !strings.Contains(out.String(), "temperature 0, top_k 40") {
		t.Errorf("/show info output missing the parameters: %q", out.String())
	}
}
