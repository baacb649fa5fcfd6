package api

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/kiln-llm/kiln/engine/gguf"
	"github.com/kiln-llm/kiln/internal/human"
	"github.com/kiln-llm/kiln/pack"
)

// The routes that describe the model (tags, show, ps, OpenAI's models) and
// those that embed text.

type modelDetails struct {
	ParentModel       string   `json:"parent_model"`
	Format            string   `json:"format"`
	Family            string   `json:"family"`
	Families          []string `json:"families"`
	ParameterSize     string   `json:"parameter_size"`
	QuantizationLevel string   `json:"quantization_level"`
}

type listModel struct {
	Name       string       `json:"name"`
	Model      string       `json:"model"`
	ModifiedAt time.Time    `json:"modified_at"`
	Size       int64        `json:"size"`
	Digest     string       `json:"digest"`
	Details    modelDetails `json:"details"`
}

type processModel struct {
	Name          string       `json:"name"`
	Model         string       `json:"model"`
	Size          int64        `json:"size"`
	Digest        string       `json:"digest"`
	Details       modelDetails `json:"details"`
	ExpiresAt     time.Time    `json:"expires_at"`
	SizeVRAM      int64        `json:"size_vram"`
	ContextLength int          `json:"context_length"`
}

// parameterCount is the number of weights in the GGUF.
func (m *Model) parameterCount() int64 {
	var n int64
	for i := range m.e.File.Tensors {
		n += m.e.File.Tensors[i].Elements()
	}
	return n
}

// fileTypeNames are llama.cpp's names of the general.file_type numbers
// (llama_ftype), as Ollama reports them in quantization_level.
var fileTypeNames = map[uint64]string{
	0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
	10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
	16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
	22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
	28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16",
}

func (m *Model) details() modelDetails {
	arch := m.e.File.Architecture()
	quant := "unknown"
	if ft, ok := m.e.File.Uint("general.file_type"); ok {
		if n, ok := fileTypeNames[ft]; ok {
			quant = n
		}
	}
	return modelDetails{Format: "gguf", Family: arch, Families: []string{arch},
		ParameterSize: human.Count(m.parameterCount()), QuantizationLevel: quant}
}

func (m *Model) listEntry() listModel {
	return listModel{Name: m.name, Model: m.name, ModifiedAt: m.cfg.ModifiedAt, Size: m.cfg.Size, Digest: m.cfg.Digest, Details: m.details()}
}

func (s *Server) handleTags(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": []listModel{m.listEntry()}})
}

func (s *Server) handlePs(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	l := m.listEntry()
	writeJSON(w, http.StatusOK, map[string]any{"models": []processModel{{
		Name: l.Name, Model: l.Model, Digest: l.Digest, Details: l.Details,
		Size: l.Size + m.e.KVBytes()*int64(m.sched.Slots()),
		// An artifact's model stays loaded for the life of the process,
		// which Ollama writes as keep_alive -1: the farthest time it can.
		ExpiresAt:     time.Now().Add(time.Duration(math.MaxInt64)).UTC(),
		ContextLength: m.Context(),
	}}})
}

type showRequest struct {
	Model   string         `json:"model"`
	Name    string         `json:"name"` // Ollama's deprecated spelling
	Verbose bool           `json:"verbose"`
	System  string         `json:"system"`
	Options map[string]any `json:"options"`
}

type showResponse struct {
	License      string         `json:"license,omitempty"`
	Modelfile    string         `json:"modelfile"`
	Parameters   string         `json:"parameters,omitempty"`
	Template     string         `json:"template"`
	System       string         `json:"system,omitempty"`
	Details      modelDetails   `json:"details"`
	Messages     []ollamaMsg    `json:"messages,omitempty"`
	ModelInfo    map[string]any `json:"model_info"`
	Capabilities []string       `json:"capabilities"`
	ModifiedAt   time.Time      `json:"modified_at"`
}

type ollamaMsg struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

func (s *Server) handleShow(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req showRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	name := req.Model
	if name == "" {
		name = req.Name
	}
	if err := checkModel(m, name); err != nil {
		writeOllamaError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, m.show(req.Verbose))
}

func (m *Model) show(verbose bool) showResponse {
	tmpl, _ := m.Template()
	resp := showResponse{
		Modelfile:  m.modelfileText(),
		Parameters: m.parametersText(),
		Template:   tmpl.String(),
		System:     m.system,
		Details:    m.details(),
		ModelInfo:  m.modelInfo(verbose),
		ModifiedAt: m.cfg.ModifiedAt,
	}
	if mf := m.cfg.Modelfile; mf != nil {
		resp.License = strings.Join(mf.Licenses, "\n")
	}
	for _, msg := range m.history {
		resp.Messages = append(resp.Messages, ollamaMsg{msg.Role, msg.Content})
	}
	resp.Capabilities = []string{"completion"}
	for _, v := range tmpl.Vars() {
		if v == "suffix" {
			resp.Capabilities = append(resp.Capabilities, "insert")
		}
	}
	return resp
}

// modelfileText is the bundled Modelfile, or one written from what the
// model runs with, headed as Ollama heads the Modelfile it shows.
func (m *Model) modelfileText() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Modelfile of the Kiln artifact serving %s\n\n", m.name)
	if m.cfg.ModelfileText != "" {
		b.WriteString(m.cfg.ModelfileText)
		return b.String()
	}
	tmpl, _ := m.Template()
	mf := pack.Modelfile{From: m.name, Template: tmpl.String(), System: m.system}
	for _, p := range m.paramList() {
		mf.Params = append(mf.Params, p)
	}
	b.WriteString(mf.String())
	return b.String()
}

// paramList is the model's default options as Modelfile PARAMETERs, in the
// order of Ollama's options.
func (m *Model) paramList() []pack.Param {
	o := m.defaults
	ps := []pack.Param{
		{Name: "num_ctx", Value: int64(m.Context())},
		{Name: "num_keep", Value: int64(o.NumKeep)},
		{Name: "seed", Value: o.Seed},
		{Name: "num_predict", Value: int64(o.NumPredict)},
		{Name: "top_k", Value: int64(o.TopK)},
		{Name: "top_p", Value: o.TopP},
		{Name: "min_p", Value: o.MinP},
		{Name: "repeat_last_n", Value: int64(o.RepeatLastN)},
		{Name: "temperature", Value: o.Temperature},
		{Name: "repeat_penalty", Value: o.RepeatPenalty},
		{Name: "presence_penalty", Value: o.PresencePenalty},
		{Name: "frequency_penalty", Value: o.FrequencyPenalty},
	}
	if len(o.Stop) > 0 {
		ps = append(ps, pack.Param{Name: "stop", Value: o.Stop})
	}
	return ps
}

// parametersText lists the parameters as Ollama's show does: the name
// padded to 30 columns, then the value in Go syntax, one line per stop.
func (m *Model) parametersText() string {
	var lines []string
	for _, p := range m.paramList() {
		if list, ok := p.Value.([]string); ok {
			for _, v := range list {
				lines = append(lines, fmt.Sprintf("%-30s %#v", p.Name, v))
			}
			continue
		}
		lines = append(lines, fmt.Sprintf("%-30s %v", p.Name, p.Value))
	}
	return strings.Join(lines, "\n")
}

// modelInfo is the GGUF's metadata as Ollama's show gives it: arrays only
// when verbose (null otherwise), without general.name and the Jinja chat
// template, plus general.parameter_count.
func (m *Model) modelInfo(verbose bool) map[string]any {
	info := map[string]any{}
	for _, kv := range m.e.File.KV {
		if kv.Key == "general.name" || kv.Key == "tokenizer.chat_template" {
			continue
		}
		v := kv.Value.Any()
		if kv.Value.Type == gguf.TypeArray && !verbose {
			v = nil
		}
		info[kv.Key] = v
	}
	info["general.parameter_count"] = m.parameterCount()
	return info
}

// OpenAI's model object.
type openAIModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

func (m *Model) openAIModel() openAIModel {
	created := m.cfg.ModifiedAt
	if created.IsZero() {
		created = m.started
	}
	return openAIModel{ID: m.name, Object: "model", Created: created.Unix(), OwnedBy: "kiln"}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []openAIModel{m.openAIModel()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOpenAIError(w, err)
		return
	}
	id := r.PathValue("id")
	if id == "" || !m.Matches(id) {
		writeOpenAIError(w, &Error{Status: http.StatusNotFound, Code: "model_not_found", Message: fmt.Sprintf("The model '%s' does not exist (this server carries one model, %q)", id, m.Name())})
		return
	}
	writeJSON(w, http.StatusOK, m.openAIModel())
}

// embedInput reads an "input" that is a string or an array of strings.
func embedInput(raw any) ([]string, error) {
	switch v := raw.(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, len(v))
		for i, item := range v {
			s, ok := item.(string)
			if !ok {
				return nil, badRequest("input[%d] must be a string (token-id input is not supported: send text)", i)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, badRequest("input must be a string or an array of strings")
}

// shorten keeps the first dims values of each embedding and normalises
// them again, as Ollama and OpenAI do for "dimensions".
func shorten(embs [][]float32, dims int) error {
	for i, e := range embs {
		if dims < 0 || dims > len(e) {
			return badRequest("dimensions %d is outside [1, %d]", dims, len(e))
		}
		if dims == 0 || dims == len(e) {
			continue
		}
		e = e[:dims]
		var norm float64
		for _, v := range e {
			norm += float64(v) * float64(v)
		}
		norm = math.Sqrt(norm)
		for j := range e {
			if norm > 0 {
				e[j] = float32(float64(e[j]) / norm)
			}
		}
		embs[i] = e
	}
	return nil
}

type embedRequest struct {
	Model      string          `json:"model"`
	Input      any             `json:"input"`
	Truncate   *bool           `json:"truncate"`
	Dimensions int             `json:"dimensions"`
	KeepAlive  json.RawMessage `json:"keep_alive"`
	Options    map[string]any  `json:"options"`
}

type embedResponse struct {
	Model           string      `json:"model"`
	Embeddings      [][]float32 `json:"embeddings"`
	TotalDuration   int64       `json:"total_duration,omitempty"`
	LoadDuration    int64       `json:"load_duration,omitempty"`
	PromptEvalCount int         `json:"prompt_eval_count,omitempty"`
}

func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req embedRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	if err := checkModel(m, req.Model); err != nil {
		writeOllamaError(w, err)
		return
	}
	if _, err := requestOptions(m, req.Options); err != nil {
		writeOllamaError(w, err)
		return
	}
	inputs, err := embedInput(req.Input)
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	if len(inputs) == 0 {
		// Ollama answers an empty input with no embeddings (a load request).
		writeJSON(w, http.StatusOK, embedResponse{Model: req.Model, Embeddings: [][]float32{}})
		return
	}
	res, err := m.Embed(r.Context(), inputs, req.Truncate != nil && *req.Truncate)
	if err == nil {
		err = shorten(res.Embeddings, req.Dimensions)
	}
	if err != nil {
		writeOllamaError(w, s.streamError(err))
		return
	}
	s.metrics.promptTokens.Add(int64(res.PromptTokens))
	writeJSON(w, http.StatusOK, embedResponse{Model: req.Model, Embeddings: res.Embeddings,
		TotalDuration: int64(res.Total), PromptEvalCount: res.PromptTokens})
}

type embeddingsRequest struct {
	Model     string          `json:"model"`
	Prompt    string          `json:"prompt"`
	KeepAlive json.RawMessage `json:"keep_alive"`
	Options   map[string]any  `json:"options"`
}

// handleEmbeddings is Ollama's legacy /api/embeddings: one prompt, one
// embedding, as float64s.
func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req embeddingsRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	if err := checkModel(m, req.Model); err != nil {
		writeOllamaError(w, err)
		return
	}
	if _, err := requestOptions(m, req.Options); err != nil {
		writeOllamaError(w, err)
		return
	}
	if req.Prompt == "" {
		writeJSON(w, http.StatusOK, map[string]any{"embedding": []float64{}})
		return
	}
	res, err := m.Embed(r.Context(), []string{req.Prompt}, false)
	if err != nil {
		writeOllamaError(w, s.streamError(err))
		return
	}
	s.metrics.promptTokens.Add(int64(res.PromptTokens))
	e := make([]float64, len(res.Embeddings[0]))
	for i, v := range res.Embeddings[0] {
		e[i] = float64(v)
	}
	writeJSON(w, http.StatusOK, map[string]any{"embedding": e})
}
