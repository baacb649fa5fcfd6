package api

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"time"
)

// OpenAI's API: chat completions, completions, embeddings and models, with
// Ollama's mapping of their fields onto options (so that the same request
// gives the same prompt and settings as on Ollama's /v1 routes).

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type responseFormat struct {
	Type string `json:"type"`
}

type openAIMessage struct {
	Role       string          `json:"role"`
	Content    any             `json:"content"`
	Name       string          `json:"name,omitempty"`
	ToolCalls  json.RawMessage `json:"tool_calls,omitempty"`
	ToolCallID string          `json:"tool_call_id,omitempty"`
}

type openAIChatRequest struct {
	Model               string          `json:"model"`
	Messages            []openAIMessage `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	MaxTokens           *int64          `json:"max_tokens"`
	MaxCompletionTokens *int64          `json:"max_completion_tokens"`
	Seed                *int64          `json:"seed"`
	Stop                any             `json:"stop"`
	Temperature         *float64        `json:"temperature"`
	TopP                *float64        `json:"top_p"`
	FrequencyPenalty    *float64        `json:"frequency_penalty"`
	PresencePenalty     *float64        `json:"presence_penalty"`
	N                   *int            `json:"n"`
	Logprobs            *bool           `json:"logprobs"`
	TopLogprobs         *int            `json:"top_logprobs"`
	ResponseFormat      *responseFormat `json:"response_format"`
	Tools               json.RawMessage `json:"tools"`
	User                string          `json:"user"`
	// Truncate is Kiln's: drop the oldest messages when the prompt does not
	// fit, rather than answer 400.
	Truncate        *bool `json:"truncate"`
	DebugRenderOnly bool  `json:"_debug_render_only"`
}

type openAICompletionRequest struct {
	Model            string         `json:"model"`
	Prompt           any            `json:"prompt"`
	Suffix           string         `json:"suffix"`
	Stream           bool           `json:"stream"`
	StreamOptions    *streamOptions `json:"stream_options"`
	MaxTokens        *int64         `json:"max_tokens"`
	Seed             *int64         `json:"seed"`
	Stop             any            `json:"stop"`
	Temperature      *float64       `json:"temperature"`
	TopP             *float64       `json:"top_p"`
	FrequencyPenalty *float64       `json:"frequency_penalty"`
	PresencePenalty  *float64       `json:"presence_penalty"`
	N                *int           `json:"n"`
	BestOf           *int           `json:"best_of"`
	Logprobs         *int           `json:"logprobs"`
	Echo             bool           `json:"echo"`
	User             string         `json:"user"`
	// Raw and Truncate are Kiln's: complete the prompt without the chat
	// template (Ollama applies it on this route), and allow truncation.
	Raw             bool  `json:"raw"`
	Truncate        *bool `json:"truncate"`
	DebugRenderOnly bool  `json:"_debug_render_only"`
}

// sampling holds the fields both OpenAI generation requests share.
type sampling struct {
	maxTokens                  *int64
	maxName                    string
	seed                       *int64
	stop                       any
	temperature, topP          *float64
	frequencyPen, presencePen  *float64
	n                          *int
	includeUsage, stream       bool
	logprobs                   bool
	topLogprobs, maxTopLogprob int
}

// options maps OpenAI's fields onto the model's defaults the way Ollama's
// openai package does: temperature and top_p default to 1 (OpenAI's
// defaults) rather than the Modelfile's, max_tokens is num_predict.
func (sp sampling) options(m *Model) (*Options, error) {
	o := m.Options()
	if sp.n != nil && *sp.n != 1 {
		return nil, badRequest("n must be 1: one choice is generated per request")
	}
	if sp.maxTokens != nil {
		if *sp.maxTokens < 1 {
			return nil, badRequest("%s must be at least 1, got %d", sp.maxName, *sp.maxTokens)
		}
		// Beyond the context the generation stops at the context's end
		// with finish_reason "length"; the prompt itself is never cut.
		o.NumPredict = int(min(*sp.maxTokens, math.MaxInt32))
	}
	if sp.seed != nil {
		o.Seed = *sp.seed
	}
	stops, err := stopList(sp.stop)
	if err != nil {
		return nil, err
	}
	if stops != nil {
		o.Stop = stops
	}
	o.Temperature, o.TopP = 1, 1
	if sp.temperature != nil {
		if *sp.temperature < 0 || *sp.temperature > 2 {
			return nil, badRequest("temperature must be between 0 and 2, got %g", *sp.temperature)
		}
		o.Temperature = float32(*sp.temperature)
	}
	if sp.topP != nil {
		o.TopP = float32(*sp.topP)
	}
	if sp.frequencyPen != nil {
		o.FrequencyPenalty = float32(*sp.frequencyPen)
	}
	if sp.presencePen != nil {
		o.PresencePenalty = float32(*sp.presencePen)
	}
	if sp.topLogprobs < 0 || sp.topLogprobs > sp.maxTopLogprob {
		return nil, badRequest("top_logprobs must be between 0 and %d, got %d", sp.maxTopLogprob, sp.topLogprobs)
	}
	if err := o.Validate(); err != nil {
		return nil, err
	}
	return &o, nil
}

// stopList reads "stop": a string or an array of strings (nil: not given).
func stopList(v any) ([]string, error) {
	switch s := v.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{s}, nil
	case []any:
		out := make([]string, 0, len(s))
		for i, item := range s {
			str, ok := item.(string)
			if !ok {
				return nil, badRequest("stop[%d] must be a string", i)
			}
			out = append(out, str)
		}
		return out, nil
	}
	return nil, badRequest("stop must be a string or an array of strings")
}

// chatMessages converts OpenAI messages: content is a string or an array
// of text parts, each part becoming a message of its own (Ollama's rule;
// the template then joins consecutive messages of one role). "developer"
// is OpenAI's newer name for the system role.
func chatMessages(in []openAIMessage) ([]Message, error) {
	var out []Message
	for i, msg := range in {
		role := msg.Role
		switch role {
		case "system", "user", "assistant", "tool":
		case "developer":
			role = "system"
		case "":
			return nil, badRequest("messages[%d]: role is missing", i)
		default:
			return nil, badRequest("messages[%d]: unknown role %q (want system, developer, user, assistant or tool)", i, msg.Role)
		}
		if len(msg.ToolCalls) > 0 && !isJSONEmpty(msg.ToolCalls) {
			return nil, badRequest("messages[%d]: tool calls are not supported", i)
		}
		switch c := msg.Content.(type) {
		case string:
			out = append(out, Message{Role: role, Content: c})
		case []any:
			for j, part := range c {
				p, ok := part.(map[string]any)
				if !ok {
					return nil, badRequest("messages[%d].content[%d] must be an object", i, j)
				}
				switch p["type"] {
				case "text":
					text, ok := p["text"].(string)
					if !ok {
						return nil, badRequest("messages[%d].content[%d].text must be a string", i, j)
					}
					out = append(out, Message{Role: role, Content: text})
				case "image_url", "input_image", "input_audio", "file":
					return nil, badRequest("messages[%d].content[%d]: %v parts are not supported: this model reads text only", i, j, p["type"])
				default:
					return nil, badRequest("messages[%d].content[%d]: unknown part type %v", i, j, p["type"])
				}
			}
		case nil:
			return nil, badRequest("messages[%d]: content is missing", i)
		default:
			return nil, badRequest("messages[%d]: content must be a string or an array of text parts", i)
		}
	}
	return out, nil
}

// parseChatCompletion turns an OpenAI chat request into a Model request.
func parseChatCompletion(m *Model, req *openAIChatRequest) (ChatRequest, sampling, error) {
	sp := sampling{maxTokens: req.MaxTokens, maxName: "max_tokens", seed: req.Seed, stop: req.Stop,
		temperature: req.Temperature, topP: req.TopP, frequencyPen: req.FrequencyPenalty, presencePen: req.PresencePenalty,
		n: req.N, stream: req.Stream, maxTopLogprob: maxTopLogprobs}
	if req.MaxCompletionTokens != nil {
		sp.maxTokens, sp.maxName = req.MaxCompletionTokens, "max_completion_tokens"
	}
	sp.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	sp.logprobs = req.Logprobs != nil && *req.Logprobs
	if req.TopLogprobs != nil {
		sp.topLogprobs = *req.TopLogprobs
	}
	if err := checkModel(m, req.Model); err != nil {
		return ChatRequest{}, sp, err
	}
	if len(req.Messages) == 0 {
		return ChatRequest{}, sp, badRequest("messages must hold at least one message")
	}
	msgs, err := chatMessages(req.Messages)
	if err != nil {
		return ChatRequest{}, sp, err
	}
	if f := req.ResponseFormat; f != nil && f.Type != "" && f.Type != "text" {
		return ChatRequest{}, sp, badRequest("response_format %q is not supported yet: constrained generation is not implemented", f.Type)
	}
	if len(req.Tools) > 0 && !isJSONEmpty(req.Tools) {
		return ChatRequest{}, sp, badRequest("tools are not supported by %q", m.Name())
	}
	opts, err := sp.options(m)
	if err != nil {
		return ChatRequest{}, sp, err
	}
	return ChatRequest{Messages: msgs, Options: opts, Truncate: req.Truncate != nil && *req.Truncate,
		Logprobs: sp.logprobs, TopLogprobs: sp.topLogprobs}, sp, nil
}

// parseCompletion turns an OpenAI completion request into a Model request.
func parseCompletion(m *Model, req *openAICompletionRequest) (GenerateRequest, sampling, error) {
	sp := sampling{maxTokens: req.MaxTokens, maxName: "max_tokens", seed: req.Seed, stop: req.Stop,
		temperature: req.Temperature, topP: req.TopP, frequencyPen: req.FrequencyPenalty, presencePen: req.PresencePenalty,
		n: req.N, stream: req.Stream, maxTopLogprob: maxTopLogprobs}
	sp.includeUsage = req.StreamOptions != nil && req.StreamOptions.IncludeUsage
	if req.Logprobs != nil {
		sp.logprobs, sp.topLogprobs = true, *req.Logprobs
	}
	if err := checkModel(m, req.Model); err != nil {
		return GenerateRequest{}, sp, err
	}
	var prompt string
	switch p := req.Prompt.(type) {
	case string:
		prompt = p
	case []any:
		if len(p) != 1 {
			return GenerateRequest{}, sp, badRequest("prompt must be one string (batches of %d prompts are not supported)", len(p))
		}
		s, ok := p[0].(string)
		if !ok {
			return GenerateRequest{}, sp, badRequest("prompt must be a string (token-id prompts are not supported)")
		}
		prompt = s
	case nil:
		return GenerateRequest{}, sp, badRequest("prompt is missing")
	default:
		return GenerateRequest{}, sp, badRequest("prompt must be a string")
	}
	if prompt == "" {
		return GenerateRequest{}, sp, badRequest("prompt is empty")
	}
	if req.BestOf != nil && *req.BestOf != 1 {
		return GenerateRequest{}, sp, badRequest("best_of must be 1")
	}
	if req.Echo {
		return GenerateRequest{}, sp, badRequest("echo is not supported")
	}
	opts, err := sp.options(m)
	if err != nil {
		return GenerateRequest{}, sp, err
	}
	return GenerateRequest{Prompt: prompt, Suffix: req.Suffix, Raw: req.Raw, Options: opts,
		Truncate: req.Truncate != nil && *req.Truncate, Logprobs: sp.logprobs, TopLogprobs: sp.topLogprobs}, sp, nil
}

// sse writes a server-sent event stream, OpenAI's streaming answer.
type sse struct{ ndjson }

func newSSE(w http.ResponseWriter) *sse { return &sse{ndjson{w: w, rc: http.NewResponseController(w)}} }

func (s *sse) data(payload []byte) bool {
	if s.failed {
		return false
	}
	if !s.started {
		s.started = true
		h := s.w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		s.w.WriteHeader(http.StatusOK)
	}
	buf := make([]byte, 0, len(payload)+8)
	buf = append(append(append(buf, "data: "...), payload...), "\n\n"...)
	if _, err := s.w.Write(buf); err != nil {
		s.failed = true
		return false
	}
	if err := s.rc.Flush(); err != nil {
		s.failed = true
		return false
	}
	return true
}

func (s *sse) send(v any) bool {
	b, err := json.Marshal(v)
	if err != nil {
		return false
	}
	return s.data(b)
}

func (s *sse) done() { s.data([]byte("[DONE]")) }

// fail reports err as the answer, or as an error event once streaming.
func (srv *Server) failSSE(w http.ResponseWriter, out *sse, err error) {
	err = srv.streamError(err)
	if !out.started {
		writeOpenAIError(w, err)
		return
	}
	_, e := toOpenAIError(err)
	out.send(map[string]any{"error": e})
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

func usageOf(r Result) usage {
	return usage{r.PromptTokens, r.CompletionTokens, r.PromptTokens + r.CompletionTokens}
}

type chatLogprobs struct {
	Content []chatTokenLogprob `json:"content"`
}

type chatTokenLogprob struct {
	Token       string           `json:"token"`
	Logprob     float64          `json:"logprob"`
	Bytes       []int            `json:"bytes"`
	TopLogprobs []chatTopLogprob `json:"top_logprobs"`
}

type chatTopLogprob struct {
	Token   string  `json:"token"`
	Logprob float64 `json:"logprob"`
	Bytes   []int   `json:"bytes"`
}

func toChatLogprobs(lps []Logprob) *chatLogprobs {
	out := &chatLogprobs{Content: []chatTokenLogprob{}}
	for _, lp := range lps {
		t := chatTokenLogprob{Token: lp.Token, Logprob: lp.Logprob, Bytes: intBytes(lp.Bytes), TopLogprobs: []chatTopLogprob{}}
		for _, c := range lp.Top {
			t.TopLogprobs = append(t.TopLogprobs, chatTopLogprob{c.Token, c.Logprob, intBytes(c.Bytes)})
		}
		out.Content = append(out.Content, t)
	}
	return out
}

func intBytes(b []byte) []int {
	out := make([]int, len(b))
	for i, c := range b {
		out[i] = int(c)
	}
	return out
}

type chatMessageOut struct {
	Role    string `json:"role,omitempty"`
	Content string `json:"content"`
}

type chatChoice struct {
	Index        int             `json:"index"`
	Message      *chatMessageOut `json:"message,omitempty"`
	Delta        *chatMessageOut `json:"delta,omitempty"`
	FinishReason *string         `json:"finish_reason"`
	Logprobs     *chatLogprobs   `json:"logprobs"`
}

type chatCompletion struct {
	ID                string       `json:"id"`
	Object            string       `json:"object"`
	Created           int64        `json:"created"`
	Model             string       `json:"model"`
	SystemFingerprint string       `json:"system_fingerprint"`
	Choices           []chatChoice `json:"choices"`
	Usage             *usage       `json:"usage,omitempty"`
}

// fingerprint names the configuration that produced an answer.
const fingerprint = "fp_kiln"

func newID(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

// responseModel is the model name an answer carries: the request's, as
// Ollama echoes it, or the model's own when the request gave none.
func responseModel(m *Model, requested string) string {
	if requested == "" {
		return m.Name()
	}
	return requested
}

func (s *Server) handleChatCompletions(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	var req openAIChatRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOpenAIError(w, err)
		return
	}
	creq, sp, err := parseChatCompletion(m, &req)
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	if req.DebugRenderOnly {
		p, err := m.ChatPrompt(creq)
		if err != nil {
			writeOpenAIError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"_debug_info": debugInfo{p.Text}})
		return
	}
	id, created, model := newID("chatcmpl-"), time.Now().Unix(), responseModel(m, req.Model)
	out := newSSE(w)
	creq.OnPrompt = func(p Prompt) { setTruncationHeaders(w, p.Truncated) }
	var lps []Logprob
	res, err := m.Chat(r.Context(), creq, func(c Chunk) bool {
		if !sp.stream {
			lps = append(lps, c.Logprobs...)
			return true
		}
		ch := chatChoice{Delta: &chatMessageOut{Role: "assistant", Content: c.Text}}
		if sp.logprobs {
			ch.Logprobs = toChatLogprobs(c.Logprobs)
		}
		return out.send(chatCompletion{ID: id, Object: "chat.completion.chunk", Created: created, Model: model,
			SystemFingerprint: fingerprint, Choices: []chatChoice{ch}})
	})
	s.finishGeneration(res, err)
	if err != nil {
		s.failSSE(w, out, err)
		return
	}
	reason := openAIFinish(res.FinishReason)
	u := usageOf(res)
	if !sp.stream {
		ch := chatChoice{Message: &chatMessageOut{Role: "assistant", Content: res.Text}, FinishReason: &reason}
		if sp.logprobs {
			ch.Logprobs = toChatLogprobs(lps)
		}
		writeJSON(w, http.StatusOK, chatCompletion{ID: id, Object: "chat.completion", Created: created, Model: model,
			SystemFingerprint: fingerprint, Choices: []chatChoice{ch}, Usage: &u})
		return
	}
	out.send(chatCompletion{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, SystemFingerprint: fingerprint,
		Choices: []chatChoice{{Delta: &chatMessageOut{}, FinishReason: &reason}}})
	if sp.includeUsage {
		out.send(chatCompletion{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []chatChoice{}, Usage: &u})
	}
	out.done()
}

// openAIFinish maps a finish reason onto OpenAI's ("stop", "length").
func openAIFinish(reason string) string {
	if reason == "length" {
		return "length"
	}
	return "stop"
}

// completionLogprobs is the legacy completions' logprobs object.
type completionLogprobs struct {
	Tokens        []string             `json:"tokens"`
	TokenLogprobs []float64            `json:"token_logprobs"`
	TopLogprobs   []map[string]float64 `json:"top_logprobs"`
	TextOffset    []int                `json:"text_offset"`
}

func toCompletionLogprobs(lps []Logprob, offset int) (*completionLogprobs, int) {
	out := &completionLogprobs{Tokens: []string{}, TokenLogprobs: []float64{}, TopLogprobs: []map[string]float64{}, TextOffset: []int{}}
	for _, lp := range lps {
		out.Tokens = append(out.Tokens, lp.Token)
		out.TokenLogprobs = append(out.TokenLogprobs, lp.Logprob)
		top := map[string]float64{}
		for _, c := range lp.Top {
			top[c.Token] = c.Logprob
		}
		out.TopLogprobs = append(out.TopLogprobs, top)
		out.TextOffset = append(out.TextOffset, offset)
		offset += len(lp.Bytes)
	}
	return out, offset
}

type completionChoice struct {
	Text         string              `json:"text"`
	Index        int                 `json:"index"`
	FinishReason *string             `json:"finish_reason"`
	Logprobs     *completionLogprobs `json:"logprobs"`
}

type completion struct {
	ID                string             `json:"id"`
	Object            string             `json:"object"`
	Created           int64              `json:"created"`
	Model             string             `json:"model"`
	SystemFingerprint string             `json:"system_fingerprint"`
	Choices           []completionChoice `json:"choices"`
	Usage             *usage             `json:"usage,omitempty"`
}

func (s *Server) handleCompletions(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	var req openAICompletionRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOpenAIError(w, err)
		return
	}
	greq, sp, err := parseCompletion(m, &req)
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	if req.DebugRenderOnly {
		p, err := m.GeneratePrompt(greq)
		if err != nil {
			writeOpenAIError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"_debug_info": debugInfo{p.Text}})
		return
	}
	id, created, model := newID("cmpl-"), time.Now().Unix(), responseModel(m, req.Model)
	out := newSSE(w)
	greq.OnPrompt = func(p Prompt) { setTruncationHeaders(w, p.Truncated) }
	var lps []Logprob
	offset := 0
	res, err := m.Generate(r.Context(), greq, func(c Chunk) bool {
		if !sp.stream {
			lps = append(lps, c.Logprobs...)
			return true
		}
		ch := completionChoice{Text: c.Text}
		if sp.logprobs {
			ch.Logprobs, offset = toCompletionLogprobs(c.Logprobs, offset)
		}
		return out.send(completion{ID: id, Object: "text_completion", Created: created, Model: model,
			SystemFingerprint: fingerprint, Choices: []completionChoice{ch}})
	})
	s.finishGeneration(res, err)
	if err != nil {
		s.failSSE(w, out, err)
		return
	}
	reason := openAIFinish(res.FinishReason)
	u := usageOf(res)
	if !sp.stream {
		ch := completionChoice{Text: res.Text, FinishReason: &reason}
		if sp.logprobs {
			ch.Logprobs, _ = toCompletionLogprobs(lps, 0)
		}
		writeJSON(w, http.StatusOK, completion{ID: id, Object: "text_completion", Created: created, Model: model,
			SystemFingerprint: fingerprint, Choices: []completionChoice{ch}, Usage: &u})
		return
	}
	out.send(completion{ID: id, Object: "text_completion", Created: created, Model: model, SystemFingerprint: fingerprint,
		Choices: []completionChoice{{FinishReason: &reason}}})
	if sp.includeUsage {
		out.send(completion{ID: id, Object: "text_completion", Created: created, Model: model, SystemFingerprint: fingerprint,
			Choices: []completionChoice{}, Usage: &u})
	}
	out.done()
}

type openAIEmbedRequest struct {
	Model          string `json:"model"`
	Input          any    `json:"input"`
	EncodingFormat string `json:"encoding_format"`
	Dimensions     int    `json:"dimensions"`
	User           string `json:"user"`
	Truncate       *bool  `json:"truncate"`
}

type openAIEmbedding struct {
	Object    string `json:"object"`
	Embedding any    `json:"embedding"`
	Index     int    `json:"index"`
}

func (s *Server) handleOpenAIEmbeddings(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	var req openAIEmbedRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOpenAIError(w, err)
		return
	}
	if err := checkModel(m, req.Model); err != nil {
		writeOpenAIError(w, err)
		return
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		writeOpenAIError(w, badRequest("encoding_format must be \"float\" or \"base64\", got %q", req.EncodingFormat))
		return
	}
	inputs, err := embedInput(req.Input)
	if err == nil && len(inputs) == 0 {
		err = badRequest("input is missing or empty")
	}
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	res, err := m.Embed(r.Context(), inputs, req.Truncate != nil && *req.Truncate)
	if err == nil {
		err = shorten(res.Embeddings, req.Dimensions)
	}
	if err != nil {
		writeOpenAIError(w, s.streamError(err))
		return
	}
	s.metrics.promptTokens.Add(int64(res.PromptTokens))
	data := make([]openAIEmbedding, len(res.Embeddings))
	for i, e := range res.Embeddings {
		data[i] = openAIEmbedding{Object: "embedding", Embedding: e, Index: i}
		if req.EncodingFormat == "base64" {
			// OpenAI's base64 is the little-endian float32 bytes.
			b := make([]byte, 4*len(e))
			for j, v := range e {
				binary.LittleEndian.PutUint32(b[4*j:], math.Float32bits(v))
			}
			data[i].Embedding = base64.StdEncoding.EncodeToString(b)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": data, "model": responseModel(m, req.Model),
		"usage": map[string]int{"prompt_tokens": res.PromptTokens, "total_tokens": res.PromptTokens}})
}
