package main

import (
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/jedib0t/go-pretty/v6/table"

	"github.com/kiln-llm/kiln/engine/ggml"
	"github.com/kiln-llm/kiln/internal/human"
)

// info prints what the artifact (or -m file) carries: metadata, tensor types,
// the Modelfile and the section hashes.
func info(src *source, w io.Writer) error {
	f := src.gguf

	meta := table.NewWriter()
	meta.SetOutputMirror(w)
	meta.SetTitle("Model: " + src.name)
	meta.AppendHeader(table.Row{"key", "value"})
	for _, kv := range f.KV {
		meta.AppendRow(table.Row{kv.Key, truncate(kv.Value.String(), 80)})
	}
	meta.Render()

	counts := map[ggml.Type]int{}
	var elems int64
	for i := range f.Tensors {
		counts[f.Tensors[i].Type]++
		elems += f.Tensors[i].Elements()
	}
	types := make([]ggml.Type, 0, len(counts))
	for t := range counts {
		types = append(types, t)
	}
	sort.Slice(types, func(i, j int) bool { return types[i] < types[j] })
	tt := table.NewWriter()
	tt.SetOutputMirror(w)
	fmt.Fprintf(w, "\n%d tensors, %s parameters\n", len(f.Tensors), human.Count(elems))
	tt.AppendHeader(table.Row{"type", "tensors"})
	for _, t := range types {
		tt.AppendRow(table.Row{t, counts[t]})
	}
	tt.Render()

	if src.artifact == nil {
		return nil
	}
	if mf := src.artifact.Modelfile(); mf != "" {
		fmt.Fprintf(w, "\nModelfile:\n%s\n", mf)
	}
	st := table.NewWriter()
	st.SetOutputMirror(w)
	st.SetTitle("Sections")
	st.AppendHeader(table.Row{"section", "offset", "stored", "size", "sha256"})
	for _, s := range src.artifact.Sections() {
		st.AppendRow(table.Row{s.Kind, s.Offset, s.Stored, s.Size, s.SHA256})
	}
	st.Render()
	return nil
}

// verify checks every section hash of the artifact.
func verify(src *source) error {
	if src.artifact == nil {
		return fmt.Errorf("--verify checks a bundled artifact; %s is a plain GGUF", src.name)
	}
	if err := src.artifact.Verify(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stdout, "%s: OK (%d sections verified)\n", src.name, len(src.artifact.Sections()))
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
