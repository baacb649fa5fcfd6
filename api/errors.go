package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/kiln-llm/kiln/engine"
)

// Error is a request error together with the HTTP status it is answered
// with. The handlers render it in the shape of the API that was called:
// {"error": "..."} for Ollama's routes, {"error": {"message", "type",
// "param", "code"}} for OpenAI's.
type Error struct {
	Status  int
	Message string
	Code    string // OpenAI's error code ("model_not_found", ...); may be empty
}

func (e *Error) Error() string { return e.Message }

func badRequest(format string, args ...any) *Error {
	return &Error{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// PromptTooLongError says a prompt does not fit the context. It is never
// resolved by cutting the prompt silently: the request fails with both
// numbers, unless it asked for truncation, which drops whole messages.
type PromptTooLongError struct {
	Tokens  int // the prompt's length
	Context int // the context the request may use
}

func (e *PromptTooLongError) Error() string {
	return fmt.Sprintf("the prompt is %d tokens but the context holds %d, and at least one token must be left for the reply: shorten the input, or send \"truncate\": true to drop the oldest messages (the system prompt is kept)", e.Tokens, e.Context)
}

// ErrLoading is returned while the model is not loaded yet.
var ErrLoading = &Error{Status: http.StatusServiceUnavailable, Message: "the model is still loading"}

// statusOf maps an error to its HTTP status and message.
func statusOf(err error) (int, string, string) {
	var e *Error
	var tooLong *PromptTooLongError
	var maxBytes *http.MaxBytesError
	switch {
	case errors.As(err, &e):
		return e.Status, e.Message, e.Code
	case errors.As(err, &tooLong):
		return http.StatusBadRequest, tooLong.Error(), "context_length_exceeded"
	case errors.As(err, &maxBytes):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body larger than %d bytes", maxBytes.Limit), ""
	case errors.Is(err, engine.ErrQueueFull):
		return http.StatusServiceUnavailable, "server busy: every slot is taken and the queue is full, retry later", "server_busy"
	case errors.Is(err, engine.ErrClosed), errors.Is(err, errShuttingDown):
		return http.StatusServiceUnavailable, "server shutting down", "server_shutting_down"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return http.StatusServiceUnavailable, "request cancelled", ""
	}
	return http.StatusInternalServerError, err.Error(), ""
}

var errShuttingDown = errors.New("api: server shutting down")

// retryAfter sets Retry-After on answers that a later retry may succeed.
func retryAfter(w http.ResponseWriter, status int) {
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
}

// writeJSON writes v with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// writeOllamaError answers in Ollama's error shape.
func writeOllamaError(w http.ResponseWriter, err error) {
	status, msg, _ := statusOf(err)
	retryAfter(w, status)
	writeJSON(w, status, map[string]string{"error": msg})
}

// openAIError is OpenAI's error object.
type openAIError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func toOpenAIError(err error) (int, openAIError) {
	status, msg, code := statusOf(err)
	typ := "invalid_request_error"
	switch {
	case status == http.StatusUnauthorized:
		typ = "authentication_error"
		if code == "" {
			code = "invalid_api_key"
		}
	case status == http.StatusForbidden:
		typ = "permission_error"
	case status == http.StatusNotFound && code == "":
		typ = "not_found_error"
	case status >= 500:
		typ = "server_error"
	}
	e := openAIError{Message: msg, Type: typ}
	if code != "" {
		e.Code = &code
	}
	return status, e
}

// writeOpenAIError answers in OpenAI's error shape.
func writeOpenAIError(w http.ResponseWriter, err error) {
	status, e := toOpenAIError(err)
	retryAfter(w, status)
	writeJSON(w, status, map[string]any{"error": e})
}

// decodeJSON reads one JSON object from the request body into v, with an
// error that says what is wrong and where. Numbers in untyped fields stay
// json.Number so that large seeds keep their digits.
func decodeJSON(r *http.Request, v any) error {
	if r.Body == nil {
		return badRequest("missing request body")
	}
	dec := json.NewDecoder(r.Body)
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return err
		}
		return badRequest("invalid JSON: unexpected data after the request object")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var maxBytes *http.MaxBytesError
	switch {
	case errors.Is(err, io.EOF):
		return badRequest("missing request body")
	case errors.As(err, &maxBytes):
		return err
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("invalid JSON: the body ends in the middle of a value")
	case errors.As(err, &syntax):
		return badRequest("invalid JSON at byte %d: %v", syntax.Offset, syntax)
	case errors.As(err, &typ):
		if typ.Field == "" {
			return badRequest("invalid request: want a JSON object, got %s", typ.Value)
		}
		return badRequest("invalid request: field %q must be %s, not %s", typ.Field, jsonTypeName(typ.Type.String()), typ.Value)
	}
	return badRequest("invalid JSON: %v", err)
}

// jsonTypeName names a Go type as a JSON client would understand it.
func jsonTypeName(goType string) string {
	switch goType {
	case "string":
		return "a string"
	case "bool", "*bool":
		return "a boolean"
	case "int", "int32", "int64", "*int", "*int64":
		return "an integer"
	case "float32", "float64", "*float32", "*float64":
		return "a number"
	}
	if len(goType) > 2 && goType[:2] == "[]" {
		return "an array"
	}
	if len(goType) > 3 && goType[:3] == "map" {
		return "an object"
	}
	return "of type " + goType
}
