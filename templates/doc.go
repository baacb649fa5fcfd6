// Package templates turns a chat (system, user and assistant messages) into
// the one prompt string a model is fed, byte for byte as Ollama v0.17.4
// builds it, so that Kiln's prompt token counts (prompt_eval_count,
// usage.prompt_tokens) equal Ollama's for the same model and request.
//
// Templates are Go text/template texts in Ollama's template language: they
// see .System, .Prompt, .Response, .Messages, .Tools, .Suffix and the think
// flags, and may call json, currentDate, yesterdayDate and toTypeScriptType.
// A template that ranges over .Messages receives the whole conversation; an
// older template written only against .System/.Prompt/.Response is rendered
// once per user/assistant exchange and the pieces concatenated (see
// [Template.Execute]).
//
// Choosing the template of a model, first match wins:
//
//  1. the Modelfile's TEMPLATE ([Parse]);
//  2. the family recognised from the GGUF's tokenizer.chat_template
//     ([FromChatTemplate], then [Named]): first the Jinja texts Ollama knows,
//     by the same closest-text rule Ollama applies when it imports a GGUF,
//     then marker tokens such as <|im_start|> for the many chat templates
//     Ollama's list does not hold;
//  3. raw completion, the "raw" template: the prompt as given. The caller
//     should say so, since a chat model fed a bare prompt answers poorly.
package templates
