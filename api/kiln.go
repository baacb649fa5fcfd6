package api

import (
	_ "embed"
	"net/http"
)

// Kiln's own routes: health, metrics, tokenizer, and the chat page.

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.model.Load() == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "loading"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	var g gauges
	if m := s.model.Load(); m != nil {
		g = gauges{queued: m.sched.Queued(), active: m.sched.Active(), slots: m.sched.Slots(), context: m.Context(), loaded: true}
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	s.metrics.write(w, g)
}

// The tokenizer routes follow llama.cpp's server: {"content": text} gives
// {"tokens": ids}, and back.
type tokenizeRequest struct {
	Model      string `json:"model"`
	Content    string `json:"content"`
	AddSpecial *bool  `json:"add_special"`
	// ParseSpecial: special-token text ("<|im_end|>") becomes the special
	// token (default true).
	ParseSpecial *bool `json:"parse_special"`
	WithPieces   bool  `json:"with_pieces"`
}

type tokenPiece struct {
	ID    int32  `json:"id"`
	Piece string `json:"piece"`
}

func (s *Server) handleTokenize(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req tokenizeRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	if err := checkModel(m, req.Model); err != nil {
		writeOllamaError(w, err)
		return
	}
	add, parse := false, true
	if req.AddSpecial != nil {
		add = *req.AddSpecial
	}
	if req.ParseSpecial != nil {
		parse = *req.ParseSpecial
	}
	ids := m.Tokenize(req.Content, add, parse)
	if ids == nil {
		ids = []int32{}
	}
	if !req.WithPieces {
		writeJSON(w, http.StatusOK, map[string]any{"tokens": ids})
		return
	}
	pieces := make([]tokenPiece, len(ids))
	for i, id := range ids {
		pieces[i] = tokenPiece{id, string(m.e.Tokenizer.TokenPiece(id, true))}
	}
	writeJSON(w, http.StatusOK, map[string]any{"tokens": pieces})
}

type detokenizeRequest struct {
	Model  string  `json:"model"`
	Tokens []int32 `json:"tokens"`
}

func (s *Server) handleDetokenize(w http.ResponseWriter, r *http.Request) {
	m, err := s.current()
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	var req detokenizeRequest
	if err := decodeJSON(r, &req); err != nil {
		writeOllamaError(w, err)
		return
	}
	if err := checkModel(m, req.Model); err != nil {
		writeOllamaError(w, err)
		return
	}
	text, err := m.Detokenize(req.Tokens)
	if err != nil {
		writeOllamaError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"content": text})
}

//go:embed ui.html
var uiPage []byte

// handleUI serves the chat page. It is a static file: it talks to the
// server through /api/chat like any other client.
func (s *Server) handleUI(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'")
	h.Set("X-Frame-Options", "DENY")
	w.Write(uiPage)
}
