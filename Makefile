# Kiln: `make demo` builds both programs, bundles the demo model and runs it;
# `make test` runs the test suite.

GO        ?= go
BIN       := bin
STUB      := $(BIN)/kiln-stub
BUNDLE    := $(BIN)/bundle
export CGO_ENABLED := 0

.PHONY: all build demo test test-scalar vet fuzz clean

all: build

build: $(STUB) $(BUNDLE)

# The stub and the bundler are rebuilt whenever any Go file changes; go's
# build cache makes that cheap.
GOFILES := $(shell find . -name '*.go' -not -path './testdata/*') go.mod go.sum

# -trimpath and an empty build id make the binaries reproducible, so that
# bundling stays byte-for-byte deterministic; -s -w drop debug tables that an
# artifact copied to a small board does not need.
LDFLAGS := -s -w -buildid=

$(STUB): $(GOFILES)
	$(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $@ ./cmd/stub

$(BUNDLE): $(GOFILES)
	$(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $@ ./cmd/bundle

tolstoy.bin: $(STUB) $(BUNDLE) testdata/tolstoy-4m-q8_0.gguf testdata/tolstoy.Modelfile
	$(BUNDLE) -f testdata/tolstoy.Modelfile -o $@

demo: tolstoy.bin
	./tolstoy.bin -p "Prince Andrew" -n 64 --temp 0

test:
	$(GO) vet ./...
	$(GO) test ./...

clean:
	rm -rf $(BIN) tolstoy.bin
