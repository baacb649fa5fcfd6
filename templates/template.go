package templates

import (
	"embed"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
	"time"
)

// Template is a parsed chat template together with the stop strings that end
// a reply in its format.
type Template struct {
	// Name names the template: a built-in's name, or what the caller passed
	// to Parse (it prefixes error messages).
	Name string
	// Stop holds the strings that end generation for this format, as Ollama's
	// parameters for the template give them; nil for a user's template.
	Stop []string

	tmpl *template.Template
	text string
	vars []string // identifiers used anywhere, lower-cased and sorted

	// last renders the open, final exchange of a template that does not
	// use .Messages; see Execute.
	last *template.Template
}

//go:embed builtin/*.gotmpl
var builtinFS embed.FS

// builtins lists the embedded templates with the stop strings Ollama's
// template/<name>.json gives each. Mistral's pair is Ollama's own (a ChatML
// pair, not [INST]); it is kept so generation stops where Ollama's does.
var builtins = map[string][]string{
	"llama3":  {"<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"},
	"llama2":  {"[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"},
	"chatml":  {"<|im_start|>", "<|im_end|>"},
	"mistral": {"<|im_start|>", "<|im_end|>"},
	"gemma":   {"<start_of_turn>", "<end_of_turn>"},
	"gemma3":  {"<end_of_turn>"},
	"phi3":    {"<|end|>", "<|system|>", "<|user|>", "<|assistant|>"},
	"raw":     nil,
}

// ollamaNames maps the names Ollama gives these templates to Kiln's.
var ollamaNames = map[string]string{
	"llama3-instruct":  "llama3",
	"llama2-chat":      "llama2",
	"chatml":           "chatml",
	"mistral-instruct": "mistral",
	"gemma-instruct":   "gemma",
	"gemma3-instruct":  "gemma3",
	"phi-3":            "phi3",
}

// Names returns the names of the built-in templates, sorted.
func Names() []string {
	return slices.Sorted(maps.Keys(builtins))
}

// Named returns the built-in template called name ("llama3", "chatml", ...,
// "raw"); Ollama's names for the same templates ("llama3-instruct", "phi-3",
// ...) are accepted too. Each call returns a fresh Template.
func Named(name string) (*Template, bool) {
	if n, ok := ollamaNames[name]; ok {
		name = n
	}
	stop, ok := builtins[name]
	if !ok {
		return nil, false
	}
	text, err := builtinFS.ReadFile("builtin/" + name + ".gotmpl")
	if err != nil {
		return nil, false
	}
	t, err := Parse(name, string(text))
	if err != nil {
		// The built-ins are parsed by the tests; this cannot happen in a build
		// that passed them.
		return nil, false
	}
	t.Stop = slices.Clone(stop)
	return t, true
}

// funcs are the functions Ollama offers templates, under the same names.
var funcs = template.FuncMap{
	"json": func(v any) string {
		b, _ := json.Marshal(v)
		return string(b)
	},
	// The format arguments are accepted and ignored, as Ollama does.
	"currentDate": func(...string) string {
		return time.Now().Format("2006-01-02")
	},
	"yesterdayDate": func(...string) string {
		return time.Now().AddDate(0, 0, -1).Format("2006-01-02")
	},
	// Ollama renders a typed tool property as a TypeScript type and anything
	// else as "any"; Kiln's tools are untyped JSON, so always the latter.
	"toTypeScriptType": func(any) string { return "any" },
}

// responseNode is {{ .Response }}, appended to templates that mention
// neither .Messages nor .Response, as Ollama does, so that a prompt-only
// template still carries earlier replies into the conversation.
var responseNode = func() parse.Node {
	t := template.Must(template.New("").Parse("{{ .Response }}"))
	return t.Tree.Root.Nodes[0]
}()

// Parse parses text, a TEMPLATE in Ollama's template language, under name.
// Errors carry the line number. As in Ollama, a template that uses neither
// .Messages nor .Response gets {{ .Response }} appended, and
// {{ template "x" }} without an argument is refused.
func Parse(name, text string) (*Template, error) {
	tmpl, err := template.New(name).Option("missingkey=zero").Funcs(funcs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("templates: %w", err)
	}
	t := &Template{Name: name, tmpl: tmpl, text: text}

	set := map[string]bool{}
	for _, tt := range tmpl.Templates() {
		if tt.Tree == nil {
			continue
		}
		if err := identifiers(tt.Tree, tt.Tree.Root, set); err != nil {
			return nil, fmt.Errorf("templates: %w", err)
		}
	}
	t.vars = slices.Sorted(maps.Keys(set))

	if t.uses("messages") {
		return t, nil
	}
	if !t.uses("response") {
		tmpl.Tree.Root.Nodes = append(tmpl.Tree.Root.Nodes, responseNode.Copy())
	}
	if t.last, err = t.upToResponse(); err != nil {
		return nil, err
	}
	return t, nil
}

// String returns the template text as written, without the appended
// {{ .Response }}; /api/show reports it.
func (t *Template) String() string {
	if t == nil {
		return ""
	}
	return t.text
}

// Vars returns the names of the fields and variables the template uses,
// lower-cased and sorted ("messages", "prompt", "system", "tools", ...).
// Ollama derives a model's capabilities from them: "tools" for tool calls,
// "suffix" for fill-in-the-middle.
func (t *Template) Vars() []string {
	if t == nil {
		return nil
	}
	return slices.Clone(t.vars)
}

func (t *Template) uses(v string) bool {
	_, found := slices.BinarySearch(t.vars, v)
	return found
}

// identifiers adds to set the identifiers of the field and variable nodes
// under n, visiting exactly the nodes Ollama's template.Identifiers visits
// (which decides between the .Messages and the legacy rendering).
func identifiers(tree *parse.Tree, n parse.Node, set map[string]bool) error {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := identifiers(tree, c, set); err != nil {
				return err
			}
		}
	case *parse.TemplateNode:
		if n.Pipe == nil {
			return fmt.Errorf("%s: {{template %q}} needs an argument, e.g. {{template %q .}}",
				location(tree, n), n.Name, n.Name)
		}
		return identifiers(tree, n.Pipe, set)
	case *parse.ActionNode:
		return identifiers(tree, n.Pipe, set)
	case *parse.IfNode:
		return branchIdentifiers(tree, &n.BranchNode, set)
	case *parse.RangeNode:
		return branchIdentifiers(tree, &n.BranchNode, set)
	case *parse.WithNode:
		return branchIdentifiers(tree, &n.BranchNode, set)
	case *parse.PipeNode:
		if n == nil {
			return nil
		}
		for _, c := range n.Cmds {
			for _, a := range c.Args {
				if err := identifiers(tree, a, set); err != nil {
					return err
				}
			}
		}
	case *parse.FieldNode:
		for _, id := range n.Ident {
			set[strings.ToLower(id)] = true
		}
	case *parse.VariableNode:
		for _, id := range n.Ident {
			set[strings.ToLower(id)] = true
		}
	}
	return nil
}

func branchIdentifiers(tree *parse.Tree, b *parse.BranchNode, set map[string]bool) error {
	if err := identifiers(tree, b.Pipe, set); err != nil {
		return err
	}
	for _, l := range []*parse.ListNode{b.List, b.ElseList} {
		if l != nil {
			if err := identifiers(tree, l, set); err != nil {
				return err
			}
		}
	}
	return nil
}

// location names where n sits in the template text: "name:line:col".
func location(tree *parse.Tree, n parse.Node) string {
	loc, _ := tree.ErrorContext(n)
	return loc
}
