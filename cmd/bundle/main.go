// Command bundle turns a GGUF model, an optional Modelfile and chat template
// into one self-contained executable: the Kiln stub with the model appended.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/kiln-llm/kiln/internal/version"
)

func main() {
	app := &cli.App{
		Name:            "bundle",
		Usage:           "bundle a GGUF model into one executable",
		UsageText:       "bundle -m MODEL.gguf [-f Modelfile] [--template FILE] [--name NAME] [--quantize TYPE] [--target OS/ARCH] -o OUT\n   bundle --list-targets\n   bundle -m MODEL-F16.gguf --quantize TYPE --gguf-out OUT.gguf",
		Version:         version.Version,
		HideHelpCommand: true,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "the GGUF `FILE` to bundle (or FROM in the Modelfile)"},
			&cli.StringFlag{Name: "modelfile", Aliases: []string{"f"}, Usage: "an Ollama-style `Modelfile` (FROM, PARAMETER, TEMPLATE, SYSTEM, ...)"},
			&cli.StringFlag{Name: "template", Usage: "chat template `FILE` (Go text/template), overriding the Modelfile's TEMPLATE"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the artifact to `FILE`"},
			&cli.StringFlag{Name: "name", Usage: "the model's `NAME` in the API (default: general.name, else the file name)"},
			&cli.StringFlag{Name: "stub", Usage: "use this stub executable `FILE` (default: the --target stub bundle carries)"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "no progress bar and no summary"},
		}, append(quantizeFlags, targetFlags...)...),
		Action:         bundle,
		ExitErrHandler: func(*cli.Context, error) {},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		os.Exit(1)
	}
}
