package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/internal/version"
)

// Ollama's API (v0.17.4): the request and response shapes of its api
// package, with Kiln's differences documented in doc.go.

type ollamaGenerateRequest struct {
	Model           string            `json:"model"`
	Prompt          string            `json:"prompt"`
	Suffix          string            `json:"suffix"`
	System          string            `json:"system"`
	Template        string            `json:"template"`
	Context         []int32           `json:"context"`
	Stream          *bool             `json:"stream"`
	Raw             bool              `json:"raw"`
	Format          json.RawMessage   `json:"format"`
	KeepAlive       json.RawMessage   `json:"keep_alive"`
	Images          []json.RawMessage `json:"images"`
	Options         map[string]any    `json:"options"`
	Think           json.RawMessage   `json:"think"`
	Truncate        *bool             `json:"truncate"`
	Shift           *bool             `json:"shift"`
	Logprobs        bool              `json:"logprobs"`
	TopLogprobs     int               `json:"top_logprobs"`
	DebugRenderOnly bool              `json:"_debug_render_only"`
}

type ollamaMessage struct {
	Role       string            `json:"role"`
	Content    string            `json:"content"`
	Thinking   string            `json:"thinking,omitempty"`
	Images     []json.RawMessage `json:"images,omitempty"`
	ToolCalls  json.RawMessage   `json:"tool_calls,omitempty"`
	ToolName   string            `json:"tool_name,omitempty"`
	ToolCallID string            `json:"tool_call_id,omitempty"`
}

type ollamaChatRequest struct {
	Model           string          `json:"model"`
	Messages        []ollamaMessage `json:"messages"`
	Stream          *bool           `json:"stream"`
	Format          json.RawMessage `json:"format"`
	KeepAlive       json.RawMessage `json:"keep_alive"`
	Tools           json.RawMessage `json:"tools"`
	Options         map[string]any  `json:"options"`
	Think           json.RawMessage `json:"think"`
	Truncate        *bool           `json:"truncate"`
	Shift           *bool           `json:"shift"`
	Logprobs        bool            `json:"logprobs"`
	TopLogprobs     int             `json:"top_logprobs"`
	DebugRenderOnly bool            `json:"_debug_render_only"`
}

// ollamaMetrics are the timings of a final response, in nanoseconds.
type ollamaMetrics struct {
	TotalDuration      int64 `json:"total_duration,omitempty"`
	LoadDuration       int64 `json:"load_duration,omitempty"`
	PromptEvalCount    int   `json:"prompt_eval_count,omitempty"`
	PromptEvalDuration int64 `json:"prompt_eval_duration,omitempty"`
	EvalCount          int   `json:"eval_count,omitempty"`
	EvalDuration       int64 `json:"eval_duration,omitempty"`
}

type ollamaTokenLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes,omitempty"`
}

type ollamaLogprob struct {
	ollamaTokenLogprob
	TopLogprobs []ollamaTokenLogprob `json:"top_logprobs,omitempty"`
}

type ollamaGenerateResponse struct {
	Model      string          `json:"model"`
	CreatedAt  time.Time       `json:"created_at"`
	Response   string          `json:"response"`
	Done       bool            `json:"done"`
	DoneReason string          `json:"done_reason,omitempty"`
	Context    []int32         `json:"context,omitempty"`
	Logprobs   []ollamaLogprob `json:"logprobs,omitempty"`
	DebugInfo  *debugInfo      `json:"_debug_info,omitempty"`
	ollamaMetrics
}

type ollamaChatResponse struct {
	Model      string          `json:"model"`
	CreatedAt  time.Time       `json:"created_at"`
	Message    ollamaMessage   `json:"message"`
	Done       bool            `json:"done"`
	DoneReason string          `json:"done_reason,omitempty"`
	Logprobs   []ollamaLogprob `json:"logprobs,omitempty"`
	DebugInfo  *debugInfo      `json:"_debug_info,omitempty"`
	ollamaMetrics
}

type debugInfo struct {
	RenderedTemplate string `json:"rendered_template"`
}

func toOllamaMetrics(r Result) ollamaMetrics {
	return ollamaMetrics{
		TotalDuration:      int64(r.Total),
		LoadDuration:       int64(r.Queue),
		PromptEvalCount:    r.PromptTokens,
		PromptEvalDuration: int64(r.PromptEval),
		EvalCount:          r.CompletionTokens,
		EvalDuration:       int64(r.Eval),
	}
}

func toOllamaLogprobs(lps []Logprob) []ollamaLogprob {
	if len(lps) == 0 {
		return nil
	}
	out := make([]ollamaLogprob, len(lps))
	for i, lp := range lps {
		out[i].ollamaTokenLogprob = toOllamaTokenLogprob(lp.TokenLogprob)
		for _, t := range lp.Top {
			out[i].TopLogprobs = append(out[i].TopLogprobs, toOllamaTokenLogprob(t))
		}
	}
	return out
}

func toOllamaTokenLogprob(t TokenLogprob) ollamaTokenLogprob {
	b := make([]int, len(t.Bytes))
	for i, c := range t.Bytes {
		b[i] = int(c)
	}
	return ollamaTokenLogprob{Token: t.Token, Logprob: t.Logprob, Bytes: b}
}

// checkModel answers Ollama's 404 for a model the artifact does not carry.
func checkModel(m *Model, name string) error {
	if m.Matches(name) {
		return nil
	}
	return &Error{Status: http.StatusNotFound, Code: "model_not_found",
		Message: fmt.Sprintf("model '%s' not found (this server carries one model, %q)", name, m.Name())}
}

// unsupported rejects request features Kiln does not have, with a message
// that names them, rather than ignoring them and answering something else.
func unsupported(m *Model, format, think json.RawMessage, images int, tools json.RawMessage) error {
	if len(bytes.TrimSpace(format)) > 0 && !isJSONEmpty(format) {
		return badRequest("format (JSON mode and JSON schemas) is not supported yet: constrained generation is not implemented")
	}
	if t := bytes.TrimSpace(think); len(t) > 0 && !bytes.Equal(t, []byte("false")) && !bytes.Equal(t, []byte("null")) {
		return badRequest("%q does not support thinking", m.Name())
	}
	if images > 0 {
		return badRequest("images are not supported: %q has no vision encoder", m.Name())
	}
	if len(bytes.TrimSpace(tools)) > 0 && !isJSONEmpty(tools) {
		return badRequest("%q does not support tools", m.Name())
	}
	return nil
}

// isJSONEmpty is true for null, "", [] and {}.
func isJSONEmpty(raw json.RawMessage) bool {
	switch string(bytes.TrimSpace(raw)) {
	case "null", `""`, "[]", "{}":
		return true
	}
	return false
}

// keepAliveZero reports keep_alive 0 ("0", 0, "0s"), Ollama's unload request.
func keepAliveZero(raw json.RawMessage) bool {
	switch strings.Trim(string(bytes.TrimSpace(raw)), `"`) {
	case "0", "0s", "0m", "0h":
		return true
	}
	return false
}

// requestOptions applies an Ollama options object over the model's
// defaults.
func requestOptions(m *Model, opts map[string]any) (*Options, error) {
	o := m.Options()
	if err := o.ApplyMap(opts); err != nil {
		return nil, badRequest("%v", err)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &o, nil
}

// parseGenerate turns an Ollama generate request into a Model request.
func parseGenerate(m *Model, req *ollamaGenerateRequest) (GenerateRequest, error) {
	if err := checkModel(m, req.Model); err != nil {
		return GenerateRequest{}, err
	}
	if err := unsupported(m, req.Format, req.Think, len(req.Images), nil); err != nil {
		return GenerateRequest{}, err
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > maxTopLogprobs {
		return GenerateRequest{}, badRequest("top_logprobs must be between 0 and %d", maxTopLogprobs)
	}
	opts, err := requestOptions(m, req.Options)
	if err != nil {
		return GenerateRequest{}, err
	}
	return GenerateRequest{
		Prompt: req.Prompt, System: req.System, Template: req.Template, Suffix: req.Suffix,
		Raw: req.Raw, Context: req.Context, Options: opts, Truncate: req.Truncate != nil && *req.Truncate,
		Logprobs: req.Logprobs, TopLogprobs: req.TopLogprobs,
	}, nil
}

// parseChat turns an Ollama chat request into a Model request.
func parseChat(m *Model, req *ollamaChatRequest) (ChatRequest, error) {
	if err := checkModel(m, req.Model); err != nil {
		return ChatRequest{}, err
	}
	images := 0
	msgs := make([]Message, len(req.Messages))
	for i, msg := range req.Messages {
		images += len(msg.Images)
		if msg.Role == "" {
			return ChatRequest{}, badRequest("messages[%d]: role is missing", i)
		}
		msgs[i] = Message{Role: msg.Role, Content: msg.Content}
	}
	if err := unsupported(m, req.Format, req.Think, images, req.Tools); err != nil {
		return ChatRequest{}, err
	}
	if req.TopLogprobs < 0 || req.TopLogprobs > maxTopLogprobs {
		return ChatRequest{}, badRequest("top_logprobs must be between 0 and %d", maxTopLogprobs)
	}
	opts, err := requestOptions(m, req.Options)
	if err != nil {
		return ChatRequest{}, err
	}
	return ChatRequest{Messages: msgs, Options: opts, Truncate: req.Truncate != nil && *req.Truncate,
		Logprobs: req.Logprobs, TopLogprobs: req.TopLogprobs}, nil
}

// ndjson writes Ollama's streaming answer: one JSON object per line. The
// status line is written with the first object, so an error found before
// any output still gets its own status.
type ndjson struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	started bool
	failed  bool
}

func newNDJSON(w http.ResponseWriter) *ndjson {
	return &ndjson{w: w, rc: http.NewResponseController(w)}
}

func (n *ndjson) send(v any) bool {
	if n.failed {
		return false
	}
	if !n.started {
		n.started = true
		n.w.Header().Set("Content-Type", "application/x-ndjson")
		n.w.WriteHeader(http.StatusOK)
	}
	b, err := json.Marshal(v)
	if err != nil {
		b, _ = json.Marshal(map[string]string{"error": err.Error()})
	}
	if _, err := n.w.Write(append(b, '\n')); err != nil {
		n.failed = true
		return false
	}
	if err := n.rc.Flush(); err != nil {
		n.failed = true
		return false
	}
	return true
}

func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		// Ollama's liveness answer: clients probe for these exact words.
		w.Write([]byte("Ollama is running"))
	}
}

func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"version": version.Version})
}

func (s *Server) handleOneModel(w http.ResponseWriter, r *http.Request) {
	name := "this server"
	if m := s.model.Load(); m != nil {
		name = fmt.Sprintf("this server's model, %q", m.Name())
	}
	s.writeError(w, r, &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(
		"%s %s is not available: a Kiln artifact carries one model, %s; make another artifact with `bundle` to serve another model", r.Method, r.URL.Path, name)})
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req ollamaGenerateRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	greq, err := parseGenerate(m, &req)
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	done := func(reason string) {
		writeJSON(w, http.StatusOK, ollamaGenerateResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Done: true, DoneReason: reason})
	}
	// Ollama's answers to an empty prompt: load the model, or unload it.
	if req.Prompt == "" && req.Suffix == "" {
		if keepAliveZero(req.KeepAlive) {
			done("unload")
		} else {
			done("load")
		}
		return
	}
	if req.DebugRenderOnly {
		p, err := m.GeneratePrompt(greq)
		if err != nil {
			writeOllamaError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ollamaGenerateResponse{Model: req.Model, CreatedAt: time.Now().UTC(), DebugInfo: &debugInfo{p.Text}})
		return
	}
	stream := req.Stream == nil || *req.Stream
	out := newNDJSON(w)
	var lps []ollamaLogprob
	greq.OnPrompt = func(p Prompt) { setTruncationHeaders(w, p.Truncated) }
	res, err := m.Generate(r.Context(), greq, func(c Chunk) bool {
		if !stream {
			lps = append(lps, toOllamaLogprobs(c.Logprobs)...)
			return true
		}
		return out.send(ollamaGenerateResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Response: c.Text, Logprobs: toOllamaLogprobs(c.Logprobs)})
	})
	s.finishGeneration(res, err)
	if err != nil {
		s.failStream(w, out, err)
		return
	}
	final := ollamaGenerateResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Done: true, DoneReason: res.FinishReason,
		ollamaMetrics: toOllamaMetrics(res)}
	if !req.Raw {
		final.Context = res.Context
	}
	if !stream {
		final.Response, final.Logprobs = res.Text, lps
		writeJSON(w, http.StatusOK, final)
		return
	}
	out.send(final)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req ollamaChatRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	creq, err := parseChat(m, &req)
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	if len(req.Messages) == 0 {
		// Ollama's answer to an empty chat: load (or unload) the model.
		reason := "load"
		if keepAliveZero(req.KeepAlive) {
			reason = "unload"
		}
		writeJSON(w, http.StatusOK, ollamaChatResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Message: ollamaMessage{Role: "assistant"}, Done: true, DoneReason: reason})
		return
	}
	if req.DebugRenderOnly {
		p, err := m.ChatPrompt(creq)
		if err != nil {
			writeOllamaError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, ollamaChatResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Message: ollamaMessage{Role: "assistant"}, DebugInfo: &debugInfo{p.Text}})
		return
	}
	stream := req.Stream == nil || *req.Stream
	out := newNDJSON(w)
	var lps []ollamaLogprob
	creq.OnPrompt = func(p Prompt) { setTruncationHeaders(w, p.Truncated) }
	res, err := m.Chat(r.Context(), creq, func(c Chunk) bool {
		if !stream {
			lps = append(lps, toOllamaLogprobs(c.Logprobs)...)
			return true
		}
		return out.send(ollamaChatResponse{Model: req.Model, CreatedAt: time.Now().UTC(),
			Message: ollamaMessage{Role: "assistant", Content: c.Text}, Logprobs: toOllamaLogprobs(c.Logprobs)})
	})
	s.finishGeneration(res, err)
	if err != nil {
		s.failStream(w, out, err)
		return
	}
	final := ollamaChatResponse{Model: req.Model, CreatedAt: time.Now().UTC(), Message: ollamaMessage{Role: "assistant"},
		Done: true, DoneReason: res.FinishReason, ollamaMetrics: toOllamaMetrics(res)}
	if !stream {
		final.Message.Content, final.Logprobs = res.Text, lps
		writeJSON(w, http.StatusOK, final)
		return
	}
	out.send(final)
}

// finishGeneration counts a generation in the metrics.
func (s *Server) finishGeneration(res Result, err error) {
	if err == nil || res.PromptTokens > 0 {
		s.metrics.generation(res)
	}
	if err != nil && errors.Is(err, engine.ErrQueueFull) {
		s.metrics.rejected.Add(1)
	}
}

// failStream reports err: as the answer when nothing was sent yet, else
// as a last {"error": ...} line.
func (s *Server) failStream(w http.ResponseWriter, out *ndjson, err error) {
	err = s.streamError(err)
	if !out.started {
		writeOllamaError(w, err)
		return
	}
	_, msg, _ := statusOf(err)
	out.send(map[string]string{"error": msg})
}

// setTruncationHeaders says what an opted-in truncation dropped; it runs
// before generation, so before any byte of the answer.
func setTruncationHeaders(w http.ResponseWriter, t Truncation) {
	if t.Messages == 0 {
		return
	}
	w.Header().Set("Kiln-Truncated-Messages", fmt.Sprint(t.Messages))
	w.Header().Set("Kiln-Truncated-Tokens", fmt.Sprint(t.Tokens))
}
