package api

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"runtime/debug"
	"strings"
	"time"
)

// The middleware, outermost first: recover and count (every answer is
// counted, a panic becomes a 500 and never takes the server down), the
// Host check against DNS rebinding, CORS, the API key, the body limit.
func (s *Server) middleware(next http.Handler) http.Handler {
	h := s.limitBody(next)
	h = s.authenticate(h)
	h = s.cors(h)
	h = s.checkHost(h)
	return s.observe(h)
}

// routeKey carries the matched route from the mux back to observe.
type routeKey struct{}

type routeLabel struct{ pattern string }

// statusWriter records the status of an answer. It forwards Flush (for
// streaming) and Unwrap (for http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.inflight.Add(1)
		defer s.metrics.inflight.Add(-1)
		label := &routeLabel{pattern: "unmatched"}
		r = r.WithContext(context.WithValue(r.Context(), routeKey{}, label))
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		start := time.Now()
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.logf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
				if !sw.wrote {
					s.writeError(sw, r, fmt.Errorf("internal error: %v", v))
				}
			}
			s.metrics.request(label.pattern, sw.status)
			if s.cfg.LogRequests {
				s.logf("%s %s %d %s", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}

func (s *Server) logf(format string, args ...any) {
	if s.cfg.Log != nil {
		s.cfg.Log.Printf(format, args...)
	}
}

// checkHost refuses requests whose Host header names a host that is not
// local, while the server listens on a loopback address: a page on a
// DNS-rebound name must not reach a server that believes only this machine
// can talk to it. The rule is Ollama's allowedHostsMiddleware.
func (s *Server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.loopback.Load() && !localHost(hostOnly(r.Host)) {
			s.writeError(w, r, &Error{Status: http.StatusForbidden, Message: fmt.Sprintf("host %q is not allowed: this server listens on a loopback address and answers only local host names", r.Host)})
			return
		}
		next.ServeHTTP(w, r)
	})
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return strings.Trim(hostport, "[]")
}

// localHost is Ollama's allowedHost: localhost and the machine's own name,
// the local top-level domains, and loopback, private, unspecified or this
// machine's addresses.
func localHost(host string) bool {
	host = strings.ToLower(host)
	if host == "" || host == "localhost" {
		return true
	}
	if name, err := os.Hostname(); err == nil && host == strings.ToLower(name) {
		return true
	}
	for _, tld := range []string{".localhost", ".local", ".internal"} {
		if strings.HasSuffix(host, tld) {
			return true
		}
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() {
		return true
	}
	addrs, _ := net.InterfaceAddrs()
	for _, a := range addrs {
		if p, err := netip.ParsePrefix(a.String()); err == nil && p.Addr() == ip.Unmap() {
			return true
		}
	}
	return false
}

// DefaultOrigins are the browser origins allowed without configuration:
// Ollama's list (pages served from this machine, and desktop-app schemes).
var DefaultOrigins = []string{
	"http://localhost", "https://localhost", "http://localhost:*", "https://localhost:*",
	"http://127.0.0.1", "https://127.0.0.1", "http://127.0.0.1:*", "https://127.0.0.1:*",
	"http://0.0.0.0", "https://0.0.0.0", "http://0.0.0.0:*", "https://0.0.0.0:*",
	"app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*",
}

// corsHeaders are the request headers browsers may send: Ollama's list,
// which covers the OpenAI SDK's.
const corsHeaders = "Authorization, Content-Type, User-Agent, Accept, X-Requested-With, OpenAI-Beta, " +
	"x-stainless-arch, x-stainless-async, x-stainless-custom-poll-interval, x-stainless-helper-method, " +
	"x-stainless-lang, x-stainless-os, x-stainless-package-version, x-stainless-poll-helper, " +
	"x-stainless-retry-count, x-stainless-runtime, x-stainless-runtime-version, x-stainless-timeout"

// originAllowed matches origin against the patterns; a pattern may hold one
// "*" standing for any text, and "*" alone allows every origin. A page this
// server itself served (the origin's host is the request's Host, and that
// host is a local name or an address) is allowed too.
func originAllowed(patterns []string, origin, host string) bool {
	for _, p := range patterns {
		if p == "*" || p == origin {
			return true
		}
		if pre, suf, ok := strings.Cut(p, "*"); ok && len(origin) >= len(pre)+len(suf) &&
			strings.HasPrefix(origin, pre) && strings.HasSuffix(origin, suf) {
			return true
		}
	}
	if _, rest, ok := strings.Cut(origin, "://"); ok && strings.EqualFold(rest, host) {
		h := hostOnly(host)
		_, err := netip.ParseAddr(h)
		return err == nil || localHost(h)
	}
	return false
}

// cors answers preflight requests and refuses requests from origins not
// allowed, as Ollama's gin-contrib/cors set-up does (403). Requests without
// an Origin header (curl, SDKs, servers) are not browsers' and pass.
func (s *Server) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Origin")
		if !originAllowed(s.origins, origin, r.Host) {
			s.writeError(w, r, &Error{Status: http.StatusForbidden, Message: fmt.Sprintf("origin %q is not allowed (add it with --cors-origins or OLLAMA_ORIGINS)", origin)})
			return
		}
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
			h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS")
			h.Set("Access-Control-Allow-Headers", corsHeaders)
			h.Set("Access-Control-Max-Age", "43200")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// authenticate checks the bearer key on every route but /health and the
// static chat page (which holds no data; the calls it makes carry the key).
func (s *Server) authenticate(next http.Handler) http.Handler {
	if s.cfg.APIKey == "" {
		return next
	}
	want := []byte("Bearer " + s.cfg.APIKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/health" || (r.URL.Path == "/ui" && (r.Method == http.MethodGet || r.Method == http.MethodHead)) {
			next.ServeHTTP(w, r)
			return
		}
		got := []byte(r.Header.Get("Authorization"))
		if subtle.ConstantTimeCompare(got, want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kiln"`)
			msg := "missing API key: send the header Authorization: Bearer KEY"
			if len(got) > 0 {
				msg = "invalid API key"
			}
			s.writeError(w, r, &Error{Status: http.StatusUnauthorized, Message: msg})
			return
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody bounds what a handler can read from a request body.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBodyBytes {
			s.writeError(w, r, &Error{Status: http.StatusRequestEntityTooLarge, Message: fmt.Sprintf("request body of %d bytes is larger than the limit of %d bytes", r.ContentLength, s.cfg.MaxBodyBytes)})
			return
		}
		if r.Body != nil {
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
		}
		next.ServeHTTP(w, r)
	})
}

// writeError answers in the error shape of the API the path belongs to.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if isOpenAIPath(r.URL.Path) {
		writeOpenAIError(w, err)
		return
	}
	writeOllamaError(w, err)
}

func isOpenAIPath(p string) bool { return strings.HasPrefix(p, "/v1/") }
