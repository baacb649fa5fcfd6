package api

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/pack"
	"github.com/kiln-llm/kiln/templates"
)

// Model is one loaded model served in process: the engine and its
// scheduler, the chat template and the Modelfile's SYSTEM, MESSAGE history
// and PARAMETER defaults. Chat and Generate turn a request into prompt ids
// exactly as Ollama would and stream the reply as text with stop strings
// applied; the HTTP handlers and the terminal chat both call them. A Model
// is safe for concurrent use.
type Model struct {
	name       string
	e          *engine.Engine
	sched      *engine.Scheduler
	tmpl       *templates.Template
	tmplSource string
	system     string
	history    []Message
	defaults   Options
	cfg        ModelConfig
	warnings   []string
	started    time.Time
}

// Message is one turn of a conversation: role "system", "user",
// "assistant" (or "tool") and its text.
type Message = templates.Message

// ModelConfig says how NewModel sets a Model up.
type ModelConfig struct {
	// Name is the model's name in the API; ":latest" is added when it has
	// no tag, as Ollama names models. Requests naming another model get 404.
	Name string
	// Modelfile is the bundled Modelfile (nil if none): its SYSTEM, MESSAGE
	// lines, TEMPLATE and PARAMETERs apply to every request.
	Modelfile *pack.Modelfile
	// ModelfileText is the Modelfile as bundled, for /api/show.
	ModelfileText string
	// Template is the artifact's template section (a Go text/template in
	// Ollama's language); it wins over the Modelfile's TEMPLATE and the
	// GGUF's chat template. Empty: choose as templates' doc says.
	Template string
	// Defaults are the options requests start from. Nil: DefaultOptions
	// with the Modelfile's PARAMETERs applied. When Defaults.Stop is nil
	// the template's stop strings are used.
	Defaults *Options
	// Parallel is the number of requests generated at once (slots); MaxQueue
	// bounds those waiting for a slot beyond that.
	Parallel, MaxQueue int
	// Digest (hex SHA-256 of the GGUF), Size (bytes) and ModifiedAt describe
	// the model in /api/tags and /api/show; Size defaults to the GGUF's.
	Digest     string
	Size       int64
	ModifiedAt time.Time
}

// NewModel sets up a model over a loaded engine and starts its scheduler.
// Close stops it; the engine stays the caller's.
func NewModel(e *engine.Engine, cfg ModelConfig) (*Model, error) {
	if e == nil {
		return nil, fmt.Errorf("api: NewModel: nil engine")
	}
	m := &Model{e: e, cfg: cfg, started: time.Now()}
	m.name = cfg.Name
	if m.name == "" {
		m.name = e.Model.Config().Name
	}
	if m.name == "" {
		m.name = "model"
	}
	if !strings.Contains(m.name, ":") {
		m.name += ":latest"
	}
	if err := m.chooseTemplate(); err != nil {
		return nil, err
	}
	if mf := cfg.Modelfile; mf != nil {
		m.system = mf.System
		for _, msg := range mf.Messages {
			m.history = append(m.history, Message{Role: msg.Role, Content: msg.Content})
		}
	}
	if cfg.Defaults != nil {
		m.defaults = *cfg.Defaults
	} else {
		m.defaults = DefaultOptions()
		m.defaults.ApplyModelfile(cfg.Modelfile)
	}
	if m.defaults.Stop == nil {
		m.defaults.Stop = append([]string(nil), m.tmpl.Stop...)
	}
	if cfg.Size == 0 {
		m.cfg.Size = int64(len(e.File.Bytes()))
	}
	arch := e.File.Architecture()
	if v, ok := e.File.Uint(arch + ".pooling_type"); ok && v != 1 {
		m.warnings = append(m.warnings, fmt.Sprintf("the GGUF asks for pooling type %d; embeddings are mean-pooled (the only pooling the engine has)", v))
	}
	m.sched = engine.NewScheduler(e, max(cfg.Parallel, 1), max(cfg.MaxQueue, 0))
	return m, nil
}

// chooseTemplate applies the selection rule of package templates: the
// artifact's template, the Modelfile's TEMPLATE, the GGUF's recognised chat
// template, then raw completion.
func (m *Model) chooseTemplate() error {
	text, source := m.cfg.Template, "the artifact's template"
	if text == "" && m.cfg.Modelfile != nil && m.cfg.Modelfile.Template != "" {
		text, source = m.cfg.Modelfile.Template, "the Modelfile's TEMPLATE"
	}
	if text != "" {
		t, err := templates.Parse("TEMPLATE", text)
		if err != nil {
			return fmt.Errorf("api: %s: %w", source, err)
		}
		// A built-in's text brings the built-in's stop strings, as a model
		// Ollama made from a known template carries its parameters.
		for _, name := range templates.Names() {
			if b, ok := templates.Named(name); ok && b.String() == t.String() {
				t.Stop, source = b.Stop, fmt.Sprintf("%s (the built-in %q)", source, name)
				break
			}
		}
		m.tmpl, m.tmplSource = t, source
		return nil
	}
	if jinja, ok := m.e.File.String("tokenizer.chat_template"); ok && jinja != "" {
		if name, ok := templates.FromChatTemplate(jinja); ok {
			if t, ok := templates.Named(name); ok {
				m.tmpl, m.tmplSource = t, fmt.Sprintf("%q, recognised from the GGUF's chat template", name)
				return nil
			}
		}
		m.warnings = append(m.warnings, "the GGUF's chat template is not one Kiln recognises: prompts are completed raw (bundle a TEMPLATE to chat properly)")
	}
	m.tmpl, _ = templates.Named("raw")
	m.tmplSource = "raw completion (the model has no chat template)"
	return nil
}

// Close stops the scheduler; running requests end as cancelled.
func (m *Model) Close() { m.sched.Close() }

// Name is the model's name in the API, with its tag ("tolstoy:latest").
func (m *Model) Name() string { return m.name }

// Engine returns the engine the model runs on.
func (m *Model) Engine() *engine.Engine { return m.e }

// Scheduler returns the scheduler requests go through.
func (m *Model) Scheduler() *engine.Scheduler { return m.sched }

// Context is the context length, in tokens, of each request.
func (m *Model) Context() int { return m.e.Context }

// Options returns a copy of the defaults a request starts from.
func (m *Model) Options() Options {
	o := m.defaults
	o.Stop = append([]string(nil), o.Stop...)
	return o
}

// Template returns the chat template and where it came from.
func (m *Model) Template() (*templates.Template, string) { return m.tmpl, m.tmplSource }

// System is the Modelfile's SYSTEM prompt ("" if none).
func (m *Model) System() string { return m.system }

// Warnings lists what the caller should tell the user at start: an
// unrecognised chat template, an unsupported pooling type.
func (m *Model) Warnings() []string { return m.warnings }

// Matches reports whether a request's model name designates this model:
// the same name, with or without ":latest", in any case. An empty name is
// accepted, since an artifact carries one model.
func (m *Model) Matches(name string) bool {
	if name == "" {
		return true
	}
	norm := func(s string) string { return strings.ToLower(strings.TrimSuffix(s, ":latest")) }
	return norm(name) == norm(m.name)
}

// ChatRequest is a chat turn: the conversation so far, ending where the
// assistant's reply starts.
type ChatRequest struct {
	Messages []Message
	// Options nil means the model's defaults (see Model.Options).
	Options *Options
	// Truncate allows dropping the oldest messages (never the system ones,
	// never the last) when the prompt does not fit; otherwise such a
	// request fails with a PromptTooLongError.
	Truncate bool
	// Logprobs asks for each token's log-probability; TopLogprobs (0..20)
	// for that many alternatives too.
	Logprobs    bool
	TopLogprobs int
	// OnPrompt, when set, is called with the rendered prompt before
	// generation starts (to report a truncation, say).
	OnPrompt func(Prompt)
}

// GenerateRequest is Ollama's /api/generate: one prompt, put through the
// template unless Raw.
type GenerateRequest struct {
	Prompt string
	// System replaces the Modelfile's SYSTEM.
	System string
	// Template replaces the model's template for this request.
	Template string
	// Suffix asks for fill-in-the-middle (the template must use .Suffix).
	Suffix string
	// Raw feeds Prompt to the model as is: no template, no system.
	Raw bool
	// Context is the deprecated "context" of an earlier response: its text
	// goes before this prompt, and the Modelfile's MESSAGE history is left
	// out, as Ollama does.
	Context     []int32
	Options     *Options
	Truncate    bool
	Logprobs    bool
	TopLogprobs int
	OnPrompt    func(Prompt)
}

// Chunk is a piece of the reply as it is generated.
type Chunk struct {
	Text string
	// Logprobs holds the tokens whose text is complete in what has been
	// emitted so far (with Logprobs requested).
	Logprobs []Logprob
}

// Logprob is one generated token with its log-probability and, when
// asked, the most likely alternatives at that step.
type Logprob struct {
	TokenLogprob
	Top []TokenLogprob
}

// TokenLogprob is a token's text, its raw bytes and log-probability.
type TokenLogprob struct {
	Token   string
	Bytes   []byte
	Logprob float64
}

// Truncation reports what a truncating request dropped.
type Truncation struct {
	Messages int // whole messages left out, oldest first
	Tokens   int // prompt tokens saved by that
}

// Result is what a finished generation reports. Durations are measured.
type Result struct {
	Text             string // the whole reply, stop string excluded
	PromptTokens     int
	CachedTokens     int // prompt tokens reused from an earlier request's cache
	CompletionTokens int
	// FinishReason is "stop" (end of generation or a stop string),
	// "length" (num_predict reached or the context full) or "cancel".
	FinishReason string
	// Context is the prompt's token ids followed by the generated ones
	// (Ollama's /api/generate "context").
	Context   []int32
	Truncated Truncation
	// Queue is the wait for a free slot; PromptEval the prompt's
	// evaluation; Eval from the first to the last generated token;
	// FirstToken from the start of the call (templating included) to the
	// first token; Total the whole call.
	Queue, PromptEval, Eval, FirstToken, Total time.Duration
}

// Prompt is a request rendered and tokenized, ready for the engine.
type Prompt struct {
	Text      string
	IDs       []int32
	Truncated Truncation
}

// resolve returns the request's options over the model's defaults.
func (m *Model) resolve(o *Options) (Options, error) {
	opts := m.Options()
	if o != nil {
		opts = *o
	}
	return opts, opts.Validate()
}

// limit is the context a request with opts may use: the loaded context,
// or less when num_ctx asks for less.
func (m *Model) limit(opts Options) int {
	if opts.NumCtx > 0 && opts.NumCtx < m.e.Context {
		return opts.NumCtx
	}
	return m.e.Context
}

// ChatPrompt renders and tokenizes a chat request: the Modelfile's SYSTEM
// first unless the request brings its own, then the MESSAGE history, then
// the request's messages, as Ollama's /api/chat does.
func (m *Model) ChatPrompt(req ChatRequest) (Prompt, error) {
	opts, err := m.resolve(req.Options)
	if err != nil {
		return Prompt{}, err
	}
	if len(req.Messages) == 0 {
		return Prompt{}, badRequest("messages is empty: a chat needs at least one message")
	}
	msgs := templates.ChatMessages(m.system, m.history, req.Messages)
	return m.fit(msgs, "", m.tmpl, m.limit(opts), req.Truncate)
}

// GeneratePrompt renders and tokenizes a generate request as Ollama's
// /api/generate does.
func (m *Model) GeneratePrompt(req GenerateRequest) (Prompt, error) {
	opts, err := m.resolve(req.Options)
	if err != nil {
		return Prompt{}, err
	}
	limit := m.limit(opts)
	if req.Raw {
		if req.Template != "" || req.System != "" || len(req.Context) > 0 {
			return Prompt{}, badRequest("raw mode does not support template, system, or context")
		}
		return m.tokenizeFits(req.Prompt, limit)
	}
	tmpl := m.tmpl
	if req.Template != "" {
		if err := checkRequestTemplate(req.Template); err != nil {
			return Prompt{}, err
		}
		if tmpl, err = templates.Parse("template", req.Template); err != nil {
			return Prompt{}, badRequest("%v", err)
		}
	}
	if req.Suffix != "" {
		if !slices.Contains(tmpl.Vars(), "suffix") {
			return Prompt{}, badRequest("%q does not support insert: its template has no .Suffix", m.name)
		}
		b := &boundedBuilder{max: maxPromptBytes}
		if err := tmpl.Execute(b, templates.Values{Prompt: req.Prompt, Suffix: req.Suffix}); err != nil {
			return Prompt{}, badRequest("%v", err)
		}
		return m.tokenizeFits(b.String(), limit)
	}
	var prefix string
	if len(req.Context) > 0 {
		if prefix, err = m.Detokenize(req.Context); err != nil {
			return Prompt{}, badRequest("context: %v", err)
		}
	}
	var msgs []Message
	if req.System != "" {
		msgs = append(msgs, Message{Role: "system", Content: req.System})
	} else if m.system != "" {
		msgs = append(msgs, Message{Role: "system", Content: m.system})
	}
	if req.Context == nil {
		msgs = append(msgs, m.history...)
	}
	msgs = append(msgs, Message{Role: "user", Content: req.Prompt})
	return m.fit(msgs, prefix, tmpl, limit, req.Truncate)
}

// fit renders msgs and tokenizes the result. When the prompt does not fit
// and truncation is allowed it drops messages from the front, keeping every
// system message and the last message, Ollama's chatPrompt rule; otherwise
// it fails with both numbers.
func (m *Model) fit(msgs []Message, prefix string, tmpl *templates.Template, limit int, truncate bool) (Prompt, error) {
	full := -1
	for i := 0; i < len(msgs); i++ {
		var kept []Message
		for _, msg := range msgs[:i] {
			if msg.Role == "system" {
				kept = append(kept, msg)
			}
		}
		dropped := i - len(kept)
		kept = append(kept, msgs[i:]...)
		b := &boundedBuilder{max: maxPromptBytes}
		b.WriteString(prefix)
		if err := tmpl.Execute(b, templates.Values{Messages: kept}); err != nil {
			return Prompt{}, badRequest("%v", err)
		}
		ids := m.e.Tokenizer.Encode(b.String(), true, true)
		if full < 0 {
			full = len(ids)
		}
		if len(ids) == 0 {
			return Prompt{}, badRequest("the prompt is empty")
		}
		if len(ids) < limit {
			return Prompt{Text: b.String(), IDs: ids, Truncated: Truncation{Messages: dropped, Tokens: full - len(ids)}}, nil
		}
		if !truncate || i == len(msgs)-1 {
			return Prompt{}, &PromptTooLongError{Tokens: len(ids), Context: limit}
		}
	}
	return Prompt{}, badRequest("the prompt is empty")
}

// maxPromptBytes bounds a rendered prompt: far beyond any context, it
// stops a template that would write without end.
const maxPromptBytes = 16 << 20

// boundedBuilder is a strings.Builder that fails past max bytes.
type boundedBuilder struct {
	strings.Builder
	max int
}

func (b *boundedBuilder) Write(p []byte) (int, error) {
	if b.Len()+len(p) > b.max {
		return 0, badRequest("the rendered prompt is larger than %d bytes", b.max)
	}
	return b.Builder.Write(p)
}

// A request's own template (Ollama's "template" field) is text from the
// network run by text/template, which can loop and recurse without end. It
// is held to what prompt templates need: at most 64 KiB, no sub-templates
// (recursion), and one range, over a field (.Messages), so that rendering
// stays linear in the request's size.
var (
	subTemplate = regexp.MustCompile(`\{\{-?\s*(define|block|template)\b`)
	rangeAction = regexp.MustCompile(`\{\{-?\s*range\b(\s*\$\w+\s*(,\s*\$\w+\s*)?:=)?\s*(\S?)`)
)

func checkRequestTemplate(text string) error {
	if len(text) > 64<<10 {
		return badRequest("template is %d bytes (at most %d)", len(text), 64<<10)
	}
	if subTemplate.MatchString(text) {
		return badRequest("template: define, block and template actions are not allowed in a request's template")
	}
	ranges := rangeAction.FindAllStringSubmatch(text, -1)
	if len(ranges) > 1 {
		return badRequest("template: at most one range action is allowed in a request's template")
	}
	if len(ranges) == 1 && ranges[0][3] != "." {
		return badRequest("template: a request's template may range over a field such as .Messages only")
	}
	return nil
}

// tokenizeFits tokenizes a prompt that is not made of messages; there is
// nothing to truncate.
func (m *Model) tokenizeFits(text string, limit int) (Prompt, error) {
	ids := m.e.Tokenizer.Encode(text, true, true)
	if len(ids) == 0 {
		return Prompt{}, badRequest("the prompt is empty")
	}
	if len(ids) >= limit {
		return Prompt{}, &PromptTooLongError{Tokens: len(ids), Context: limit}
	}
	return Prompt{Text: text, IDs: ids}, nil
}

// Chat generates the assistant's reply to a conversation, calling emit
// with each piece of text as it is decided (emit returning false stops the
// generation; the Result then says "cancel").
func (m *Model) Chat(ctx context.Context, req ChatRequest, emit func(Chunk) bool) (Result, error) {
	start := time.Now()
	p, err := m.ChatPrompt(req)
	if err != nil {
		return Result{}, err
	}
	if req.OnPrompt != nil {
		req.OnPrompt(p)
	}
	opts, _ := m.resolve(req.Options)
	return m.run(ctx, p, opts, logprobSpec{req.Logprobs, req.TopLogprobs}, start, emit)
}

// Generate completes one prompt (Ollama's /api/generate, OpenAI's
// /v1/completions), streaming as Chat does.
func (m *Model) Generate(ctx context.Context, req GenerateRequest, emit func(Chunk) bool) (Result, error) {
	start := time.Now()
	p, err := m.GeneratePrompt(req)
	if err != nil {
		return Result{}, err
	}
	if req.OnPrompt != nil {
		req.OnPrompt(p)
	}
	opts, _ := m.resolve(req.Options)
	return m.run(ctx, p, opts, logprobSpec{req.Logprobs, req.TopLogprobs}, start, emit)
}

type logprobSpec struct {
	want bool
	top  int
}

// maxTopLogprobs is OpenAI's and Ollama's bound on top_logprobs.
const maxTopLogprobs = 20

// run generates from a prepared prompt. start is when the request began,
// for Result.Total.
func (m *Model) run(ctx context.Context, p Prompt, opts Options, lp logprobSpec, start time.Time, emit func(Chunk) bool) (Result, error) {
	if lp.top < 0 || lp.top > maxTopLogprobs {
		return Result{}, badRequest("top_logprobs must be between 0 and %d", maxTopLogprobs)
	}
	limit := m.limit(opts)
	params := opts.params()
	if room := limit - len(p.IDs); params.MaxTokens <= 0 || params.MaxTokens > room {
		params.MaxTokens = room
	}
	if lp.want || lp.top > 0 {
		params.WantLogprob, params.Logprobs = true, lp.top
	}
	g := newGeneration(m, opts.Stop, params.WantLogprob, emit)
	g.ids = append(g.ids, p.IDs...)
	submitted := time.Now()
	res, err := m.sched.Submit(ctx, engine.Request{Prompt: p.IDs, Params: params}, g.token)
	if err != nil {
		return Result{}, err
	}
	g.finish()
	out := Result{
		Text:             g.text.String(),
		PromptTokens:     res.PromptTokens,
		CachedTokens:     res.CachedTokens,
		CompletionTokens: res.Generated,
		FinishReason:     res.StopReason,
		Context:          g.ids,
		Truncated:        p.Truncated,
		Queue:            res.Queued,
		PromptEval:       res.PromptDuration,
		Eval:             res.GenDuration,
		FirstToken:       res.FirstToken + submitted.Sub(start),
		Total:            time.Since(start),
	}
	switch {
	case g.stopped:
		out.FinishReason = "stop"
	case g.aborted:
		out.FinishReason = "cancel"
	}
	if out.FinishReason == "cancel" && ctx.Err() != nil {
		return out, ctx.Err()
	}
	return out, nil
}

// EmbedResult holds one embedding per input.
type EmbedResult struct {
	Embeddings   [][]float32
	PromptTokens int
	PromptEval   time.Duration
	Total        time.Duration
}

// Embed returns the mean-pooled, L2-normalised embedding of each input. An
// input longer than the context fails unless truncate, which keeps its
// first tokens.
func (m *Model) Embed(ctx context.Context, inputs []string, truncate bool) (EmbedResult, error) {
	start := time.Now()
	if len(inputs) == 0 {
		return EmbedResult{}, badRequest("input is empty: give a string or an array of strings")
	}
	if len(inputs) > maxEmbedInputs {
		return EmbedResult{}, badRequest("%d inputs in one request (at most %d)", len(inputs), maxEmbedInputs)
	}
	prompts := make([][]int32, len(inputs))
	for i, text := range inputs {
		ids := m.e.Tokenizer.Encode(text, true, true)
		if len(ids) == 0 {
			return EmbedResult{}, badRequest("input %d is empty", i)
		}
		if len(ids) > m.e.Context {
			if !truncate {
				return EmbedResult{}, badRequest("input %d is %d tokens but the context holds %d: shorten it, or send \"truncate\": true to embed its first %d tokens", i, len(ids), m.e.Context, m.e.Context)
			}
			ids = ids[:m.e.Context]
		}
		prompts[i] = ids
	}
	var out EmbedResult
	for _, ids := range prompts {
		res, err := m.sched.Submit(ctx, engine.Request{Prompt: ids, Embed: true}, func(engine.Token) bool { return true })
		if err != nil {
			return EmbedResult{}, err
		}
		if res.Embedding == nil {
			if err := ctx.Err(); err != nil {
				return EmbedResult{}, err
			}
			return EmbedResult{}, fmt.Errorf("api: the engine returned no embedding (%s)", res.StopReason)
		}
		out.Embeddings = append(out.Embeddings, res.Embedding)
		out.PromptTokens += res.PromptTokens
		out.PromptEval += res.PromptDuration
	}
	out.Total = time.Since(start)
	return out, nil
}

// maxEmbedInputs bounds one embedding request's batch.
const maxEmbedInputs = 2048

// Tokenize returns the token ids of text.
func (m *Model) Tokenize(text string, addSpecial, parseSpecial bool) []int32 {
	return m.e.Tokenizer.Encode(text, addSpecial, parseSpecial)
}

// Detokenize returns the text of ids, special tokens written out.
func (m *Model) Detokenize(ids []int32) (string, error) {
	n := int32(m.e.Tokenizer.NumTokens())
	for i, id := range ids {
		if id < 0 || id >= n {
			return "", badRequest("token %d: id %d out of range [0, %d)", i, id, n)
		}
	}
	return m.e.Tokenizer.Decode(ids, false, true), nil
}
