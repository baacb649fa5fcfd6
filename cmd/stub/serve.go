package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/api"
	"github.com/kiln-llm/kiln/engine"
	"github.com/kiln-llm/kiln/engine/kv"
	"github.com/kiln-llm/kiln/engine/model"
	"github.com/kiln-llm/kiln/internal/human"
	"github.com/kiln-llm/kiln/internal/sysmem"
	"github.com/kiln-llm/kiln/pack"
)

// serveFlags are the flags of --serve. Each one not given falls back to
// the Ollama environment variable named in its usage, so that an existing
// Ollama set-up carries over.
func serveFlags() []cli.Flag {
	return []cli.Flag{
		&cli.BoolFlag{Name: "serve", Usage: "serve the Ollama and OpenAI HTTP APIs (chat page at /ui)"},
		&cli.StringFlag{Name: "host", Value: "127.0.0.1", Usage: "with --serve: listen on this `ADDRESS` (else $OLLAMA_HOST)"},
		&cli.IntFlag{Name: "port", Value: 11434, Usage: "with --serve: listen on this `PORT` (else $OLLAMA_HOST's)"},
		&cli.IntFlag{Name: "parallel", Value: 1, Usage: "with --serve: generate `N` requests at once (else $OLLAMA_NUM_PARALLEL)"},
		&cli.IntFlag{Name: "max-queue", Value: 512, Usage: "with --serve: let `N` requests wait for a slot, answer 503 beyond (else $OLLAMA_MAX_QUEUE)"},
		&cli.StringFlag{Name: "api-key", Usage: "with --serve: require \"Authorization: Bearer `KEY`\" (else $KILN_API_KEY)"},
		&cli.StringFlag{Name: "cors-origins", Usage: "with --serve: also allow these comma-separated browser `ORIGINS` (else $OLLAMA_ORIGINS)"},
		&cli.IntFlag{Name: "max-body", Value: 4, Usage: "with --serve: largest request body, in `MiB`"},
		&cli.StringFlag{Name: "kv-cache-type", Value: "f16", Usage: "with --serve: KV cache `TYPE`, f16 (else $OLLAMA_KV_CACHE_TYPE; q8_0 is not implemented yet)"},
		&cli.DurationFlag{Name: "shutdown-timeout", Value: 10 * time.Second, Usage: "with --serve: on SIGINT/SIGTERM let running requests finish for this `DURATION`"},
		&cli.BoolFlag{Name: "log-requests", Usage: "with --serve: log every request to stderr"},
	}
}

// serveConfig is what --serve runs with, and where each value came from.
type serveConfig struct {
	host         string
	port         int
	parallel     int
	maxQueue     int
	apiKey       string
	origins      []string
	ctx          int
	kvType       string
	from         map[string]string
	notes        []string // said at start
	ctxReason    string
	threads      int
	settings     *settings
	modelConfig  *model.Config
	maxBody      int64
	shutdownWait time.Duration
}

// resolveServe layers flags over the Ollama environment over defaults.
func resolveServe(c *cli.Context, src *source) (*serveConfig, error) {
	set, err := loadSettings(c, src)
	if err != nil {
		return nil, err
	}
	cfg := &serveConfig{from: map[string]string{}, settings: set, threads: set.threads,
		maxBody: int64(c.Int("max-body")) << 20, shutdownWait: c.Duration("shutdown-timeout")}
	if cfg.maxBody <= 0 {
		return nil, fmt.Errorf("--max-body %d: must be at least 1 (MiB)", c.Int("max-body"))
	}
	env := func(name string) (string, bool) {
		v, ok := os.LookupEnv(name)
		v = strings.TrimSpace(v)
		return v, ok && v != ""
	}
	source := func(key, flag, envName string) bool {
		if c.IsSet(flag) {
			cfg.from[key] = "flag --" + flag
			return false
		}
		if _, ok := env(envName); ok {
			cfg.from[key] = "$" + envName
			return true
		}
		cfg.from[key] = "default"
		return false
	}

	cfg.host, cfg.port = c.String("host"), c.Int("port")
	if v, ok := env("OLLAMA_HOST"); ok && (!c.IsSet("host") || !c.IsSet("port")) {
		h, p, err := parseOllamaHost(v)
		if err != nil {
			return nil, err
		}
		if !c.IsSet("host") {
			cfg.host, cfg.from["host"] = h, "$OLLAMA_HOST"
		}
		if !c.IsSet("port") && p != 0 {
			cfg.port, cfg.from["port"] = p, "$OLLAMA_HOST"
		}
	}
	for _, k := range []string{"host", "port"} {
		if cfg.from[k] == "" {
			cfg.from[k] = "default"
			if c.IsSet(k) {
				cfg.from[k] = "flag --" + k
			}
		}
	}
	if cfg.port < 0 || cfg.port > 65535 {
		return nil, fmt.Errorf("port %d is outside 0..65535", cfg.port)
	}

	intEnv := func(key, flag, envName string) (int, error) {
		if source(key, flag, envName) {
			v, _ := env(envName)
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("$%s=%q is not a number", envName, v)
			}
			return n, nil
		}
		return c.Int(flag), nil
	}
	if cfg.parallel, err = intEnv("parallel", "parallel", "OLLAMA_NUM_PARALLEL"); err != nil {
		return nil, err
	}
	if cfg.parallel < 1 || cfg.parallel > 256 {
		return nil, fmt.Errorf("parallel %d: want 1..256 concurrent requests", cfg.parallel)
	}
	if cfg.maxQueue, err = intEnv("max_queue", "max-queue", "OLLAMA_MAX_QUEUE"); err != nil {
		return nil, err
	}
	if cfg.maxQueue < 0 {
		return nil, fmt.Errorf("max queue %d is negative", cfg.maxQueue)
	}

	cfg.apiKey = c.String("api-key")
	if source("api_key", "api-key", "KILN_API_KEY") {
		cfg.apiKey, _ = env("KILN_API_KEY")
	}
	if cfg.apiKey == "" {
		cfg.from["api_key"] = "none"
	}

	origins := c.String("cors-origins")
	if source("origins", "cors-origins", "OLLAMA_ORIGINS") {
		origins, _ = env("OLLAMA_ORIGINS")
	}
	for _, o := range strings.Split(origins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.origins = append(cfg.origins, o)
		}
	}

	cfg.kvType = strings.ToLower(c.String("kv-cache-type"))
	if source("kv_cache_type", "kv-cache-type", "OLLAMA_KV_CACHE_TYPE") {
		v, _ := env("OLLAMA_KV_CACHE_TYPE")
		cfg.kvType = strings.ToLower(v)
	}
	switch cfg.kvType {
	case "f16":
	case "q8_0", "q4_0":
		cfg.notes = append(cfg.notes, fmt.Sprintf("KV cache type %s (from %s) is not supported yet: using f16", cfg.kvType, cfg.from["kv_cache_type"]))
		cfg.kvType = "f16"
	default:
		return nil, fmt.Errorf("KV cache type %q (from %s): want f16 (q8_0 is not implemented yet)", cfg.kvType, cfg.from["kv_cache_type"])
	}

	cfg.modelConfig, err = model.ReadConfig(src.gguf)
	if err != nil {
		return nil, err
	}
	if err := cfg.chooseContext(set); err != nil {
		return nil, err
	}
	return cfg, nil
}

// parseOllamaHost reads OLLAMA_HOST as Ollama does: [scheme://]host[:port],
// a bare host meaning port 11434 (0 here: keep the port as it is).
func parseOllamaHost(s string) (string, int, error) {
	if _, rest, ok := strings.Cut(s, "://"); ok {
		s = rest
	}
	s, _, _ = strings.Cut(s, "/")
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return strings.Trim(s, "[]"), 0, nil
	}
	p, err := strconv.Atoi(port)
	if err != nil || p < 0 || p > 65535 {
		return "", 0, fmt.Errorf("$OLLAMA_HOST=%q: port %q is not a port number", s, port)
	}
	return host, p, nil
}

// chooseContext picks the context length: --ctx or the Modelfile's
// num_ctx, else $OLLAMA_CONTEXT_LENGTH, else the model's trained context
// capped by what the KV caches of every slot can take of free memory.
func (cfg *serveConfig) chooseContext(set *settings) error {
	trained := cfg.modelConfig.ContextLen
	if set.ctx > 0 {
		cfg.ctx, cfg.from["context"] = set.ctx, set.from["num_ctx"]
		cfg.ctxReason = "as set"
	} else if v, ok := os.LookupEnv("OLLAMA_CONTEXT_LENGTH"); ok && strings.TrimSpace(v) != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n <= 0 {
			return fmt.Errorf("$OLLAMA_CONTEXT_LENGTH=%q is not a positive number", v)
		}
		cfg.ctx, cfg.from["context"], cfg.ctxReason = n, "$OLLAMA_CONTEXT_LENGTH", "as set"
	} else {
		cfg.from["context"] = "auto"
		cfg.ctx, cfg.ctxReason = autoContext(cfg.modelConfig, cfg.parallel, availableMemory())
	}
	if trained > 0 && cfg.ctx > trained {
		cfg.notes = append(cfg.notes, fmt.Sprintf("context %d is longer than the %d tokens the model was trained with: expect poor output beyond that", cfg.ctx, trained))
	}
	if cfg.ctx > 1<<20 {
		return fmt.Errorf("context %d is implausible", cfg.ctx)
	}
	return nil
}

// autoContext is the trained context, shortened (in steps of 256) until
// the KV caches of every slot take at most half of the available memory.
func autoContext(c *model.Config, slots int, avail int64) (int, string) {
	trained := c.ContextLen
	if trained <= 0 {
		trained = engine.DefaultContext
	}
	if avail <= 0 {
		n := min(trained, engine.DefaultContext)
		return n, fmt.Sprintf("free memory unknown: the trained %d capped at %d", c.ContextLen, n)
	}
	perPos := kv.Bytes(c.Layers, 1, c.KVDim()) * int64(slots)
	fit := int(min(avail/2/max(perPos, 1), 1<<20))
	if fit >= trained {
		return trained, "the model's trained context"
	}
	n := max(fit/256*256, min(trained, 256))
	return n, fmt.Sprintf("the trained %d capped to fit %d slot(s) of KV cache in half of %s free", trained, slots, human.Bytes(avail))
}

// availableMemory is what the machine can still give (0 where unknown).
func availableMemory() int64 {
	sys, err := sysmem.Read()
	if err != nil {
		return 0
	}
	return sys.Available
}

// checkServeMemory refuses, before loading, a server whose weights, KV
// caches and scratch will not fit in the available memory (unless
// --no-mem-check), and says in the log what it will take.
func (cfg *serveConfig) checkServeMemory(c *cli.Context, src *source, logger *log.Logger) error {
	m, err := model.Load(src.gguf, nil)
	if err != nil {
		return err
	}
	mem := engine.EstimateMemory(m.Config(), m.Bytes(), cfg.ctx, 0, cfg.parallel)
	sys, serr := sysmem.Read()
	logger.Printf("memory: %s", memoryLine(mem, cfg.ctx, sys, serr))
	if serr != nil || c.Bool("no-mem-check") || mem.Total() <= sys.Available {
		return nil
	}
	return fmt.Errorf("not enough memory: serving %d slot(s) of %d tokens needs about %s (weights %s, KV cache %s, scratch %s) and %s is available (of %s, %s); lower --ctx or --parallel, or run with --no-mem-check to try anyway",
		cfg.parallel, cfg.ctx, size(mem.Total()), size(mem.Weights), size(mem.KV), size(mem.Scratch), size(sys.Available), size(sys.Total), sys.Source)
}

// requestDefaults are the options requests start from: Ollama's defaults,
// the Modelfile's PARAMETERs, then the sampling flags given.
func requestDefaults(c *cli.Context, set *settings) api.Options {
	o := api.DefaultOptions()
	o.ApplyModelfile(set.modelfile)
	if c.IsSet("num-predict") {
		o.NumPredict = c.Int("num-predict")
	}
	if c.IsSet("temp") {
		o.Temperature = float32(c.Float64("temp"))
	}
	if c.IsSet("top-k") {
		o.TopK = c.Int("top-k")
	}
	if c.IsSet("top-p") {
		o.TopP = float32(c.Float64("top-p"))
	}
	if c.IsSet("min-p") {
		o.MinP = float32(c.Float64("min-p"))
	}
	if c.IsSet("repeat-penalty") {
		o.RepeatPenalty = float32(c.Float64("repeat-penalty"))
	}
	if c.IsSet("seed") {
		o.Seed = c.Int64("seed")
	}
	o.NumCtx = 0 // the server's context; a request may ask for less
	return o
}

// serve runs the HTTP server until SIGINT or SIGTERM.
func serve(c *cli.Context, src *source) error {
	cfg, err := resolveServe(c, src)
	if err != nil {
		return err
	}
	if c.Bool("info") {
		if err := info(src, os.Stdout); err != nil {
			return err
		}
		cfg.print(os.Stdout)
		return nil
	}
	logger := log.New(os.Stderr, "kiln: ", 0)
	for _, n := range cfg.notes {
		logger.Print("note: ", n)
	}
	if err := cfg.checkServeMemory(c, src, logger); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()

	addr := net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %w", addr, err)
	}
	srv := api.NewServer(nil, api.Config{APIKey: cfg.apiKey, Origins: cfg.origins, MaxBodyBytes: cfg.maxBody,
		ShutdownTimeout: cfg.shutdownWait, Log: logger, LogRequests: c.Bool("log-requests")})
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	logger.Printf("listening on http://%s (loading the model; /health says when it is ready)", ln.Addr())

	m, err := cfg.load(c, src)
	if err != nil {
		stop()
		<-done
		return err
	}
	defer m.Engine().Close()
	defer m.Close()
	srv.SetModel(m)
	for _, w := range m.Warnings() {
		logger.Print("note: ", w)
	}
	_, tmplSource := m.Template()
	logger.Printf("serving %s: Ollama API at http://%s/api, OpenAI API at http://%s/v1, chat page at http://%s/ui", m.Name(), ln.Addr(), ln.Addr(), ln.Addr())
	logger.Printf("context %d tokens per request (%s), %d slot(s), queue %d, KV cache %s (%s)",
		m.Context(), cfg.ctxReason, cfg.parallel, cfg.maxQueue, cfg.kvType, size(m.Engine().KVBytes()*int64(cfg.parallel)))
	logger.Printf("template: %s", tmplSource)
	if cfg.apiKey != "" {
		logger.Printf("API key required (from %s)", cfg.from["api_key"])
	}
	if !isLoopback(cfg.host) && cfg.apiKey == "" {
		logger.Printf("note: listening on %s without an API key: anyone who can reach this port can use the model", cfg.host)
	}
	err = <-done
	logger.Print("stopped")
	return err
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// load loads the engine and sets up the model.
func (cfg *serveConfig) load(c *cli.Context, src *source) (*api.Model, error) {
	e, err := engine.Load(src.gguf, engine.Options{Threads: cfg.threads, Context: cfg.ctx})
	if err != nil {
		return nil, err
	}
	defaults := requestDefaults(c, cfg.settings)
	mc := api.ModelConfig{Name: modelName(src), Modelfile: cfg.settings.modelfile, Defaults: &defaults,
		Parallel: cfg.parallel, MaxQueue: cfg.maxQueue}
	if src.artifact != nil {
		mc.ModelfileText = src.artifact.Modelfile()
		mc.Template = src.artifact.Template()
		for _, s := range src.artifact.Sections() {
			if s.Kind == pack.KindGGUF {
				mc.Digest = "sha256:" + s.SHA256
			}
		}
	} else if len(src.gguf.Bytes()) <= 512<<20 {
		sum := sha256.Sum256(src.gguf.Bytes())
		mc.Digest = "sha256:" + hex.EncodeToString(sum[:])
	}
	if path, err := sourcePath(c, src); err == nil {
		if st, err := os.Stat(path); err == nil {
			mc.ModifiedAt = st.ModTime()
		}
	}
	m, err := api.NewModel(e, mc)
	if err != nil {
		e.Close()
		return nil, err
	}
	return m, nil
}

// modelName is the name the API gives the model: the artifact's, else the
// file's name without its extension.
func modelName(src *source) string {
	if src.artifact != nil && src.artifact.Manifest.Name != "" {
		return src.artifact.Manifest.Name
	}
	name := src.name
	for _, ext := range []string{".gguf", ".bin", ".exe"} {
		name = strings.TrimSuffix(name, ext)
	}
	return name
}

// sourcePath is the file the model was read from.
func sourcePath(c *cli.Context, src *source) (string, error) {
	if src.artifact != nil {
		return os.Executable()
	}
	if p := c.String("model"); p != "" {
		return filepath.Abs(p)
	}
	return "", errors.New("no model file")
}

// print writes the server settings and where each came from, for --info.
func (cfg *serveConfig) print(w io.Writer) {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetTitle("Server (--serve)")
	t.AppendHeader(table.Row{"setting", "value", "from"})
	key := "(none)"
	if cfg.apiKey != "" {
		key = "(set)"
	}
	origins := strings.Join(cfg.origins, ",")
	if origins == "" {
		origins = "(localhost only)"
	}
	for _, r := range []struct{ name, value, key string }{
		{"host", cfg.host, "host"},
		{"port", strconv.Itoa(cfg.port), "port"},
		{"parallel", strconv.Itoa(cfg.parallel), "parallel"},
		{"max queue", strconv.Itoa(cfg.maxQueue), "max_queue"},
		{"api key", key, "api_key"},
		{"extra origins", origins, "origins"},
		{"context", fmt.Sprintf("%d (%s)", cfg.ctx, cfg.ctxReason), "context"},
		{"KV cache type", cfg.kvType, "kv_cache_type"},
	} {
		t.AppendRow(table.Row{r.name, r.value, cfg.from[r.key]})
	}
	t.Render()
	for _, n := range cfg.notes {
		fmt.Fprintln(w, "note:", n)
	}
}
