// Package api serves a Kiln model over HTTP from the process that runs it,
// with Ollama's API and OpenAI's, so that existing clients work by changing
// one URL. It also holds the in-process model layer both the HTTP handlers
// and the terminal chat use: [Model.Chat] and [Model.Generate] turn a
// request into prompt ids exactly as Ollama v0.17.4 would (same template,
// same SYSTEM rule, so the same prompt_eval_count / usage.prompt_tokens)
// and stream the reply as text with stop strings applied across tokens.
//
// Routes:
//
//	Ollama   GET|HEAD /  ("Ollama is running"), GET /api/version, GET /api/tags,
//	         POST /api/show, GET /api/ps, POST /api/generate, POST /api/chat,
//	         POST /api/embed, POST /api/embeddings (legacy);
//	         /api/pull, /api/push, /api/create, /api/delete, /api/copy answer 400:
//	         an artifact carries one model.
//	OpenAI   POST /v1/chat/completions, POST /v1/completions, GET /v1/models,
//	         GET /v1/models/{id}, POST /v1/embeddings.
//	Kiln     GET /health ({"status": "ready"} or 503 "loading"), GET /metrics
//	         (Prometheus text), POST /tokenize, POST /detokenize (llama.cpp
//	         server's shapes), GET /ui (a chat page).
//
// Decisions where Ollama or OpenAI leave a choice:
//
//   - GET / stays Ollama's liveness answer, since clients probe it; the
//     chat page is at /ui. It is a static page (exempt from the API key,
//     like /health); the calls it makes carry the key the user types.
//   - A prompt longer than the context is never cut silently. Ollama
//     truncates by default; Kiln answers 400 with both numbers unless the
//     request sends "truncate": true (Ollama's field, also accepted on the
//     OpenAI routes), which drops the oldest non-system messages, never the
//     last, and reports what it dropped in the headers
//     Kiln-Truncated-Messages and Kiln-Truncated-Tokens. Embedding inputs
//     are truncated to their first tokens only with "truncate": true.
//   - max_tokens / num_predict beyond the room left in the context stop the
//     generation when the context is full, with finish_reason "length".
//   - num_ctx can only lower the context of a request: the KV cache is
//     allocated when the server starts. num_keep is accepted and has no
//     effect (Kiln never shifts the context).
//   - The OpenAI routes map fields as Ollama's openai package does:
//     temperature and top_p default to 1, text parts of a message become
//     messages of their own, /v1/completions applies the chat template
//     (send "raw": true to complete the prompt as is).
//   - Features Kiln does not have are refused with 400 and a message naming
//     them, rather than ignored: images, tools, JSON mode / format, think,
//     n > 1, echo.
//   - Embeddings are mean-pooled and L2-normalised (the engine's only
//     pooling), also on the legacy /api/embeddings, where Ollama returns
//     them unnormalised.
//   - load_duration is the time the request waited for a free slot, the
//     only loading an in-process model does per request.
//
// Security: a server bound to a loopback address refuses Host headers that
// are not local names (DNS rebinding); browser origins are limited to
// DefaultOrigins plus Config.Origins; Config.APIKey requires a bearer key;
// request bodies are bounded by Config.MaxBodyBytes; when every slot is
// busy and the queue is full, requests get 503 with Retry-After.
package api
