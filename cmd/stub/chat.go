package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/api"
	"github.com/kiln-llm/kiln/pack"
)

// loadChatModel loads the engine and the in-process API model (template,
// system prompt, Modelfile history and defaults) with one slot.
func loadChatModel(c *cli.Context, src *source) (*api.Model, *settings, error) {
	e, set, err := loadEngine(c, src)
	if err != nil {
		return nil, nil, err
	}
	defaults := requestDefaults(c, set)
	mc := api.ModelConfig{Name: modelName(src), Modelfile: set.modelfile, Defaults: &defaults, Parallel: 1}
	if src.artifact != nil {
		mc.ModelfileText = src.artifact.Modelfile()
		mc.Template = src.artifact.Template()
	}
	m, err := api.NewModel(e, mc)
	if err != nil {
		e.Close()
		return nil, nil, err
	}
	return m, set, nil
}

// answer puts one prompt through the chat template and streams the reply.
func answer(c *cli.Context, src *source, text string) error {
	m, _, err := loadChatModel(c, src)
	if err != nil {
		return err
	}
	defer m.Engine().Close()
	defer m.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	out := bufio.NewWriter(os.Stdout)
	res, err := m.Chat(ctx, api.ChatRequest{Messages: []api.Message{{Role: "user", Content: text}}}, func(ch api.Chunk) bool {
		out.WriteString(ch.Text)
		out.Flush()
		return true
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	out.Flush()
	if c.Bool("stats") {
		printAPIStats(res)
	}
	return nil
}

// chat is the interactive terminal chat.
func chat(c *cli.Context, src *source) error {
	m, _, err := loadChatModel(c, src)
	if err != nil {
		return err
	}
	defer m.Engine().Close()
	defer m.Close()
	_, tmplSource := m.Template()
	fmt.Fprintf(os.Stderr, "%s, context %d tokens, template: %s\n", m.Name(), m.Context(), tmplSource)
	fmt.Fprintln(os.Stderr, `Type a message; """ starts and ends a multi-line one. /? for help, /bye or Ctrl-D to leave.`)

	// Ctrl-C interrupts the answer being written, not the program.
	interrupts := make(chan os.Signal, 1)
	signal.Notify(interrupts, os.Interrupt)
	defer signal.Stop(interrupts)

	s := &chatSession{m: m, opts: m.Options(), system: m.System(), in: bufio.NewReader(os.Stdin), out: os.Stdout}
	for {
		msg, err := s.read()
		if errors.Is(err, io.EOF) {
			fmt.Fprintln(s.out)
			return nil
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(msg, "/") {
			done, err := s.command(msg)
			if err != nil {
				fmt.Fprintln(os.Stderr, "error:", err)
			}
			if done {
				return nil
			}
			continue
		}
		if strings.TrimSpace(msg) == "" {
			continue
		}
		s.reply(msg, interrupts)
	}
}

// chatSession is the state of an interactive chat.
type chatSession struct {
	m        *api.Model
	opts     api.Options
	system   string
	messages []api.Message
	in       *bufio.Reader
	out      io.Writer
}

// read returns the next message; `"""` opens a multi-line message that
// runs to the next `"""`.
func (s *chatSession) read() (string, error) {
	fmt.Fprint(s.out, ">>> ")
	line, err := s.in.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if !strings.HasPrefix(line, `"""`) {
		return line, nil
	}
	var b strings.Builder
	rest := strings.TrimPrefix(line, `"""`)
	for {
		if i := strings.Index(rest, `"""`); i >= 0 {
			b.WriteString(rest[:i])
			return b.String(), nil
		}
		b.WriteString(rest)
		fmt.Fprint(s.out, "... ")
		next, err := s.in.ReadString('\n')
		if err != nil && next == "" {
			return "", err
		}
		b.WriteString("\n")
		rest = strings.TrimRight(next, "\r\n")
	}
}

// reply sends the conversation plus msg and streams the answer; Ctrl-C
// stops it and keeps what was written.
func (s *chatSession) reply(msg string, interrupts <-chan os.Signal) {
	// A Ctrl-C typed at the prompt is not meant for this answer.
	for len(interrupts) > 0 {
		<-interrupts
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		select {
		case <-interrupts:
			cancel()
		case <-stopWatch:
		}
	}()
	msgs := append([]api.Message(nil), s.messages...)
	if s.system != s.m.System() {
		msgs = append([]api.Message{{Role: "system", Content: s.system}}, msgs...)
	}
	msgs = append(msgs, api.Message{Role: "user", Content: msg})
	opts := s.opts
	var text strings.Builder
	_, err := s.m.Chat(ctx, api.ChatRequest{Messages: msgs, Options: &opts}, func(ch api.Chunk) bool {
		fmt.Fprint(s.out, ch.Text)
		text.WriteString(ch.Text)
		return true
	})
	fmt.Fprintln(s.out)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "(stopped)")
	case err != nil:
		fmt.Fprintln(os.Stderr, "error:", err)
		return
	}
	// The conversation keeps what was written, even of a stopped answer.
	s.messages = append(s.messages, api.Message{Role: "user", Content: msg}, api.Message{Role: "assistant", Content: text.String()})
	fmt.Fprintln(s.out)
}

const chatHelp = `Commands:
  /set parameter NAME VALUE   set a sampling parameter (temperature, top_k, top_p, min_p,
                              num_predict, repeat_penalty, repeat_last_n, seed, stop, ...)
  /set system TEXT            replace the system prompt
  /show info                  the model, its context and the current parameters
  /clear                      forget the conversation
  /bye                        leave
Messages that start with """ continue until the next """.`

// command runs a /command; done reports /bye.
func (s *chatSession) command(line string) (done bool, err error) {
	fields := strings.Fields(line)
	switch fields[0] {
	case "/bye", "/exit":
		return true, nil
	case "/?", "/help":
		fmt.Fprintln(s.out, chatHelp)
	case "/clear":
		s.messages = nil
		fmt.Fprintln(s.out, "Cleared the conversation.")
	case "/show":
		if len(fields) < 2 || fields[1] != "info" {
			return false, errors.New("usage: /show info")
		}
		s.showInfo()
	case "/set":
		if len(fields) < 2 {
			return false, errors.New("usage: /set parameter NAME VALUE | /set system TEXT")
		}
		switch fields[1] {
		case "system":
			s.system = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(strings.TrimPrefix(line, "/set")), "system"))
			fmt.Fprintln(s.out, "Set the system prompt.")
		case "parameter":
			if len(fields) < 4 {
				return false, errors.New("usage: /set parameter NAME VALUE")
			}
			if err := s.setParameter(fields[2], strings.Join(fields[3:], " ")); err != nil {
				return false, err
			}
			fmt.Fprintf(s.out, "Set parameter %s to %s.\n", fields[2], strings.Join(fields[3:], " "))
		default:
			return false, fmt.Errorf("unknown /set %s", fields[1])
		}
	default:
		return false, fmt.Errorf("unknown command %s (/? for help)", fields[0])
	}
	return false, nil
}

// setParameter sets one sampling option, typed as the Modelfile's
// PARAMETER of that name.
func (s *chatSession) setParameter(name, value string) error {
	typ, _, ok := pack.ParamInfo(name)
	if !ok {
		return fmt.Errorf("unknown parameter %q", name)
	}
	var v any
	switch typ {
	case pack.ParamInt:
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil {
			return fmt.Errorf("%s wants an integer, not %q", name, value)
		}
		v = float64(n)
	case pack.ParamFloat:
		f, err := strconv.ParseFloat(value, 32)
		if err != nil {
			return fmt.Errorf("%s wants a number, not %q", name, value)
		}
		v = f
	case pack.ParamStrings:
		v = append([]any{}, anySlice(append(s.opts.Stop, value))...)
	default:
		return fmt.Errorf("parameter %s cannot be set in a chat", name)
	}
	opts := s.opts
	if err := opts.ApplyMap(map[string]any{name: v}); err != nil {
		return err
	}
	if err := opts.Validate(); err != nil {
		return err
	}
	s.opts = opts
	return nil
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (s *chatSession) showInfo() {
	cfg := s.m.Engine().Model.Config()
	_, tmpl := s.m.Template()
	o := s.opts
	fmt.Fprintf(s.out, "model %s (%s), context %d tokens, template: %s\n", s.m.Name(), cfg.Arch, s.m.Context(), tmpl)
	fmt.Fprintf(s.out, "temperature %g, top_k %d, top_p %g, min_p %g, repeat_penalty %g, num_predict %d, stop %q\n",
		o.Temperature, o.TopK, o.TopP, o.MinP, o.RepeatPenalty, o.NumPredict, o.Stop)
	if s.system != "" {
		fmt.Fprintf(s.out, "system: %s\n", s.system)
	}
}

func printAPIStats(r api.Result) {
	fmt.Fprintf(os.Stderr, "prompt: %d tokens (%d cached) in %v; first token after %v\n",
		r.PromptTokens, r.CachedTokens, r.PromptEval, r.FirstToken)
	if r.Eval > 0 && r.CompletionTokens > 1 {
		fmt.Fprintf(os.Stderr, "generation: %d tokens in %v (%.1f tokens/s), finished: %s\n",
			r.CompletionTokens, r.Eval, float64(r.CompletionTokens-1)/r.Eval.Seconds(), r.FinishReason)
	}
}
