package templates

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

var errNilTemplate = errors.New("templates: nil template")

// Message is one turn of a conversation. Role is "system", "user",
// "assistant" or "tool"; templates may test for others.
type Message struct {
	Role    string
	Content string
}

// Values is what a template is rendered with.
type Values struct {
	// Messages is the conversation. When nil, Execute builds the one Ollama's
	// /api/generate builds: a system message with System if set, a user
	// message with Prompt, and an assistant message with Response if set
	// (a reply to continue).
	Messages []Message
	System   string
	Prompt   string
	Response string
	// Suffix, with a non-empty Prompt, asks for fill-in-the-middle: the
	// template then sees only .Prompt and .Suffix.
	Suffix string
	// Tools are the request's tool definitions, passed to the template as
	// .Tools; {{ .Tools }} prints them as JSON.
	Tools []any
	// Think, ThinkLevel and IsThinkSet are the request's think setting, for
	// templates of reasoning models: whether thinking is on, its level
	// ("high", ...) when given as a string, and whether the request set it.
	Think      bool
	ThinkLevel string
	IsThinkSet bool
}

// Execute renders the template with v into w, with Ollama's rules:
//
//   - Prompt and Suffix both set: the template sees .Prompt and .Suffix only.
//   - A template that uses .Messages sees the whole conversation, with
//     consecutive messages of one role (other than "tool") merged into one,
//     their contents joined by a blank line, and all system messages joined
//     the same way in .System.
//   - Any other template (written against .System, .Prompt and .Response) is
//     rendered once per exchange: for every user message that is followed by
//     an assistant reply, and again whenever a system message follows a
//     prompt or reply. The last, open exchange is rendered only up to and
//     including its {{ .Response }}, so that the output ends where the
//     model's reply starts. Messages of other roles are ignored.
//
// Errors from the template (a missing field, a failing function) are
// returned with their position in the template text. Where Ollama fails on
// the open exchange of a legacy template (it calls a {{define}}d template or
// one of the functions before .Response, or has an else branch after it),
// Execute renders it instead.
func (t *Template) Execute(w io.Writer, v Values) error {
	if t == nil || t.tmpl == nil {
		return errNilTemplate
	}
	// Ollama hands every template the think setting beside its own fields.
	data := func(kv map[string]any) map[string]any {
		kv["Think"], kv["ThinkLevel"], kv["IsThinkSet"] = v.Think, v.ThinkLevel, v.IsThinkSet
		return kv
	}

	if v.Prompt != "" && v.Suffix != "" {
		return execute(t.tmpl, w, data(map[string]any{"Prompt": v.Prompt, "Suffix": v.Suffix, "Response": ""}))
	}

	msgs := v.Messages
	if msgs == nil {
		msgs = generateMessages(v)
	}
	system, collated := collate(msgs)

	if t.uses("messages") {
		return execute(t.tmpl, w, data(map[string]any{
			"System":   system,
			"Messages": collated,
			"Tools":    toolList(v.Tools),
			"Response": "",
		}))
	}

	// Render into a buffer so that a failing exchange writes nothing to w.
	var b bytes.Buffer
	var prompt, response string
	system = "" // legacy templates see each system message in its own exchange
	flush := func(tmpl *template.Template) error {
		err := execute(tmpl, &b, data(map[string]any{"System": system, "Prompt": prompt, "Response": response}))
		system, prompt, response = "", "", ""
		return err
	}
	for _, m := range collated {
		switch m.Role {
		case "system":
			if prompt != "" || response != "" {
				if err := flush(t.tmpl); err != nil {
					return err
				}
			}
			system = m.Content
		case "user":
			if response != "" {
				if err := flush(t.tmpl); err != nil {
					return err
				}
			}
			prompt = m.Content
		case "assistant":
			response = m.Content
		}
	}
	if err := flush(t.last); err != nil {
		return err
	}
	_, err := b.WriteTo(w)
	return err
}

func execute(tmpl *template.Template, w io.Writer, data map[string]any) error {
	if err := tmpl.Execute(w, data); err != nil {
		return fmt.Errorf("templates: %w", err)
	}
	return nil
}

// generateMessages is the conversation of a single /api/generate request.
func generateMessages(v Values) []Message {
	var msgs []Message
	if v.System != "" {
		msgs = append(msgs, Message{Role: "system", Content: v.System})
	}
	msgs = append(msgs, Message{Role: "user", Content: v.Prompt})
	if v.Response != "" {
		msgs = append(msgs, Message{Role: "assistant", Content: v.Response})
	}
	return msgs
}

// templateMessage is a message as templates see it. It has every field of
// Ollama's, so that templates written for Ollama (testing .ToolCalls or
// .Thinking, say) execute rather than fail on a missing field.
type templateMessage struct {
	Role       string
	Content    string
	Thinking   string
	Images     [][]byte
	ToolCalls  []templateToolCall
	ToolName   string
	ToolCallID string
}

type templateToolCall struct {
	ID       string
	Function struct {
		Index     int
		Name      string
		Arguments map[string]any
	}
}

// collate merges consecutive messages of the same role, except tool results,
// which each keep their own message, and returns all system contents joined.
// Like Ollama, it joins with a blank line.
func collate(msgs []Message) (string, []*templateMessage) {
	var system []string
	var out []*templateMessage
	for _, m := range msgs {
		if m.Role == "system" {
			system = append(system, m.Content)
		}
		if n := len(out); n > 0 && out[n-1].Role == m.Role && m.Role != "tool" {
			out[n-1].Content += "\n\n" + m.Content
			continue
		}
		out = append(out, &templateMessage{Role: m.Role, Content: m.Content})
	}
	return strings.Join(system, "\n\n"), out
}

// toolList prints as JSON ("null" when empty), as Ollama's tool list does.
type toolList []any

func (l toolList) String() string {
	b, _ := json.Marshal([]any(l))
	return string(b)
}

// upToResponse returns a copy of the template that stops right after the
// first {{ .Response }} it meets, read in document order; Parse keeps it for
// the templates rendered exchange by exchange. Ollama renders the
// open exchange this way so that nothing the template writes after a reply
// (an end-of-turn token) closes the turn the model is about to write.
//
// The rule, mirrored from Ollama: the first field node whose path contains
// Response is kept and every node met after it is dropped; an action left
// with a command that has no arguments is dropped whole (so
// {{ .Response | f }} vanishes); the conditions of if/range/with are not
// looked at, only their bodies. Where Ollama would crash (an else branch met
// after the cut) the branch is dropped instead.
func (t *Template) upToResponse() (*template.Template, error) {
	root := t.tmpl.Tree.Root.CopyList()
	cut := false
	var walk func(n parse.Node) parse.Node
	walk = func(n parse.Node) parse.Node {
		if f, ok := n.(*parse.FieldNode); ok && slices.Contains(f.Ident, "Response") {
			cut = true
			return n
		}
		if cut {
			return nil
		}
		switch n := n.(type) {
		case *parse.ListNode:
			kept := n.Nodes[:0]
			for _, c := range n.Nodes {
				if c := walk(c); c != nil {
					kept = append(kept, c)
				}
			}
			n.Nodes = kept
		case *parse.IfNode:
			walkBranch(&n.BranchNode, walk)
		case *parse.RangeNode:
			walkBranch(&n.BranchNode, walk)
		case *parse.WithNode:
			walkBranch(&n.BranchNode, walk)
		case *parse.ActionNode:
			if n.Pipe == nil {
				return n
			}
			p := walk(n.Pipe)
			if p == nil {
				return nil
			}
			n.Pipe = p.(*parse.PipeNode)
		case *parse.PipeNode:
			for _, c := range n.Cmds {
				args := c.Args[:0]
				for _, a := range c.Args {
					if a := walk(a); a != nil {
						args = append(args, a)
					}
				}
				if len(args) == 0 {
					return nil
				}
				c.Args = args
			}
		}
		return n
	}
	walk(root)

	last := template.New(t.Name).Option("missingkey=zero").Funcs(funcs)
	// Sub-templates ({{define}}) stay reachable from the shortened one.
	for _, tt := range t.tmpl.Templates() {
		if tt.Name() != t.tmpl.Name() && tt.Tree != nil {
			if _, err := last.AddParseTree(tt.Name(), tt.Tree); err != nil {
				return nil, fmt.Errorf("templates: %w", err)
			}
		}
	}
	tree := *t.tmpl.Tree
	tree.Root = root
	if _, err := last.AddParseTree(t.Name, &tree); err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	return last, nil
}

// walkBranch walks the body and else-body of an if/range/with. A body the
// walk drops becomes empty (Ollama panics there); an else-body is removed.
func walkBranch(b *parse.BranchNode, walk func(parse.Node) parse.Node) {
	if l, ok := walk(b.List).(*parse.ListNode); ok {
		b.List = l
	} else {
		b.List = &parse.ListNode{NodeType: parse.NodeList, Pos: b.List.Pos}
	}
	if b.ElseList != nil {
		l, _ := walk(b.ElseList).(*parse.ListNode)
		b.ElseList = l
	}
}

// ChatMessages is the conversation Ollama's /api/chat renders: the
// Modelfile's MESSAGE history followed by the request's messages, with the
// Modelfile's SYSTEM put first unless the request starts with a system
// message of its own. (Ollama looks at the request's first message, not the
// history's.)
func ChatMessages(system string, history, request []Message) []Message {
	msgs := make([]Message, 0, len(history)+len(request)+1)
	if system != "" && (len(request) == 0 || request[0].Role != "system") {
		msgs = append(msgs, Message{Role: "system", Content: system})
	}
	msgs = append(msgs, history...)
	return append(msgs, request...)
}

// ChatPrompt returns the prompt for a chat request, ready to tokenize: msgs
// rendered with t after the Modelfile's SYSTEM is put first (unless msgs
// starts with a system message), ending where the assistant's reply begins.
func ChatPrompt(t *Template, system string, msgs []Message) (string, error) {
	var b strings.Builder
	if err := t.Execute(&b, Values{Messages: ChatMessages(system, nil, msgs)}); err != nil {
		return "", err
	}
	return b.String(), nil
}
