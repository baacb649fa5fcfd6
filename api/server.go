package api

import (
	"context"
	"errors"
	"log"
	"net"
	"net/http"

	"sync/atomic"
	"time"
)

// Config configures a Server.
type Config struct {
	// APIKey, when set, is required as "Authorization: Bearer KEY" on every
	// route but /health and the chat page /ui.
	APIKey string
	// Origins are browser origins allowed on top of DefaultOrigins, in the
	// same pattern syntax ("https://*.example.com"; "*" allows all).
	Origins []string
	// MaxBodyBytes bounds a request body (default 4 MiB): a prompt longer
	// than any context is a few hundred KiB.
	MaxBodyBytes int64
	// ShutdownTimeout is how long Serve lets running requests finish once
	// its context is cancelled before it cuts them (default 10 s).
	ShutdownTimeout time.Duration
	// Log receives errors (and every request with LogRequests); nil: none.
	Log         *log.Logger
	LogRequests bool
}

// DefaultMaxBodyBytes is the request body limit when Config sets none.
const DefaultMaxBodyBytes = 4 << 20

// Server serves one Model over HTTP: Ollama's API, OpenAI's, and Kiln's own
// /health, /metrics, /tokenize, /detokenize and /ui.
type Server struct {
	cfg      Config
	origins  []string
	model    atomic.Pointer[Model]
	metrics  *metrics
	handler  http.Handler
	loopback atomic.Bool // listening on a loopback address: check Host

	base       context.Context // parent of every request's context
	cancelBase context.CancelFunc
	shutting   atomic.Bool
}

// NewServer returns a server for m. m may be nil while the model loads:
// /health then answers "loading" and the model routes 503, until SetModel.
func NewServer(m *Model, cfg Config) *Server {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 10 * time.Second
	}
	s := &Server{cfg: cfg, metrics: newMetrics()}
	s.origins = append(append(s.origins, DefaultOrigins...), cfg.Origins...)
	s.base, s.cancelBase = context.WithCancel(context.Background())
	if m != nil {
		s.model.Store(m)
	}
	s.handler = s.middleware(s.routes())
	return s
}

// SetModel makes m the model served.
func (s *Server) SetModel(m *Model) { s.model.Store(m) }

// Handler returns the server's HTTP handler, middleware included. Serve
// uses it; tests may mount it on their own listener.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers HTTP on ln until ctx is cancelled, then shuts down
// gracefully: it stops accepting, lets running requests finish for up to
// ShutdownTimeout, then cancels the ones still running (a stream ends with
// an error line saying the server is shutting down) and closes.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok && tcp.IP.IsLoopback() {
		s.loopback.Store(true)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		BaseContext:       func(net.Listener) context.Context { return s.base },
		ErrorLog:          s.cfg.Log,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		s.cancelBase()
		return err
	case <-ctx.Done():
	}
	s.shutting.Store(true)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		s.logf("shutdown: requests still running after %s: cancelling them", s.cfg.ShutdownTimeout)
		s.cancelBase()
		// The cancelled handlers write their last line and return; a second
		// Shutdown waits for net/http to end those responses properly
		// before the connections close.
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		srv.Shutdown(cctx)
		if cctx.Err() != nil {
			srv.Close()
		}
	}
	s.cancelBase()
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// routes registers every route; the mux's pattern names the route in
// /metrics.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if l, ok := r.Context().Value(routeKey{}).(*routeLabel); ok {
				l.pattern = pattern
			}
			h(w, r)
		})
	}
	// Ollama: GET covers HEAD.
	handle("GET /{$}", s.handleRoot)
	handle("GET /api/version", s.handleVersion)
	handle("GET /api/tags", s.handleTags)
	handle("POST /api/show", s.handleShow)
	handle("GET /api/ps", s.handlePs)
	handle("POST /api/generate", s.handleGenerate)
	handle("POST /api/chat", s.handleChat)
	handle("POST /api/embed", s.handleEmbed)
	handle("POST /api/embeddings", s.handleEmbeddings)
	for _, p := range []string{"POST /api/pull", "POST /api/push", "POST /api/create", "DELETE /api/delete", "POST /api/copy", "POST /api/blobs/{digest}", "HEAD /api/blobs/{digest}"} {
		handle(p, s.handleOneModel)
	}
	// OpenAI.
	handle("POST /v1/chat/completions", s.handleChatCompletions)
	handle("POST /v1/completions", s.handleCompletions)
	handle("GET /v1/models", s.handleModels)
	handle("GET /v1/models/{id...}", s.handleModel)
	handle("POST /v1/embeddings", s.handleOpenAIEmbeddings)
	// Kiln.
	handle("GET /health", s.handleHealth)
	handle("GET /metrics", s.handleMetrics)
	handle("POST /tokenize", s.handleTokenize)
	handle("POST /detokenize", s.handleDetokenize)
	handle("GET /ui", s.handleUI)
	handle("/", func(w http.ResponseWriter, r *http.Request) { s.notFound(mux, w, r) })
	return mux
}

// notFound answers a path no route matches (404) or a known path asked with
// the wrong method (405), in the API's error shape.
func (s *Server) notFound(mux *http.ServeMux, w http.ResponseWriter, r *http.Request) {
	var allowed []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
		probe := r.Clone(context.Background())
		probe.Method = m
		if _, p := mux.Handler(probe); p != "/" && p != "" {
			allowed = append(allowed, m)
		}
	}
	if len(allowed) > 0 {
		for _, m := range allowed {
			w.Header().Add("Allow", m)
		}
		s.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Message: r.Method + " is not allowed on " + r.URL.Path})
		return
	}
	s.writeError(w, r, &Error{Status: http.StatusNotFound, Message: "no route " + r.Method + " " + r.URL.Path})
}

// current returns the model, or ErrLoading while there is none.
func (s *Server) current() (*Model, error) {
	if m := s.model.Load(); m != nil {
		return m, nil
	}
	return nil, ErrLoading
}

// streamError is the error to report when a generation ends with err:
// cancellations caused by shutdown say so.
func (s *Server) streamError(err error) error {
	if s.shutting.Load() && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		return errShuttingDown
	}
	return err
}
