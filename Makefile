# Kiln: `make demo` builds both programs, bundles the demo model and runs it;
# `make test` runs the test suite.

GO        ?= go
BIN       := bin
STUB      := $(BIN)/kiln-stub
BUNDLE    := $(BIN)/bundle
export CGO_ENABLED := 0

# The stubs bundle carries (internal/stubs): one per platform, built with
# the same flags as $(STUB), kept raw in $(BIN)/stubs and zstd-compressed
# into the folder that bundle embeds. `make demo` alone embeds only this
# machine's: the four cross builds take minutes on a cold build cache
# (about 10 s warm).
ALL_TARGETS    := linux/amd64 linux/arm64 darwin/arm64 darwin/amd64 windows/amd64
ifeq ($(MAKECMDGOALS),demo)
STUB_TARGETS   ?= $(filter $(shell $(GO) env GOOS)/$(shell $(GO) env GOARCH),$(ALL_TARGETS))
endif
STUB_TARGETS   ?= $(ALL_TARGETS)
STUBS_DIR      := internal/stubs/embedded
EMBEDDED_STUBS := $(foreach t,$(STUB_TARGETS),$(STUBS_DIR)/kiln-stub-$(subst /,-,$(t)).zst)
MKSTUBS        := $(BIN)/mkstubs

.PHONY: all build demo test test-scalar test-avx2 vet fuzz clean stubs qemu

all: build

build: $(STUB) $(BUNDLE)

# The stub and the bundler are rebuilt whenever any Go or assembly file
# changes; go's build cache makes that cheap.
GOFILES := $(shell find . \( -name '*.go' -o -name '*.s' -o -name '*.h' \) -not -path './testdata/*') go.mod go.sum

# -trimpath and an empty build id make the binaries reproducible, so that
# bundling stays byte-for-byte deterministic; -s -w drop debug tables that an
# artifact copied to a small board does not need.
LDFLAGS := -s -w -buildid=

$(STUB): $(GOFILES)
	$(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $@ ./cmd/stub

# A stub left from a build for other targets would be embedded too (the
# folder is embedded whole) and might be stale: only the listed ones stay.
$(BUNDLE): $(GOFILES) $(EMBEDDED_STUBS)
	@find $(STUBS_DIR) -name '*.zst' $(foreach f,$(EMBEDDED_STUBS),-not -path '$(f)') -delete
	$(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $@ ./cmd/bundle

stubs: $(EMBEDDED_STUBS)

$(MKSTUBS): $(GOFILES)
	$(GO) build -o $@ ./internal/stubs/mkstubs

# kiln-stub-OS-ARCH.zst: $* is OS-ARCH; Windows executables get .exe.
$(STUBS_DIR)/kiln-stub-%.zst: $(GOFILES) $(MKSTUBS)
	GOOS=$(word 1,$(subst -, ,$*)) GOARCH=$(word 2,$(subst -, ,$*)) $(GO) build -trimpath -ldflags="$(LDFLAGS)" \
		-o $(BIN)/stubs/kiln-stub-$*$(if $(findstring windows-,$*),.exe) ./cmd/stub
	$(MKSTUBS) -o $(STUBS_DIR) $(BIN)/stubs/kiln-stub-$*$(if $(findstring windows-,$*),.exe)

# The cross-platform tests (cmd/stub/cross_test.go) run the linux/arm64
# artifact under qemu-aarch64 from Debian's qemu-user; CI installs it.
qemu:
	@command -v qemu-aarch64 >/dev/null || { apt-get update && apt-get install -y qemu-user; }

tolstoy.bin: $(STUB) $(BUNDLE) testdata/tolstoy-4m-q8_0.gguf testdata/tolstoy.Modelfile
	$(BUNDLE) -f testdata/tolstoy.Modelfile -o $@

demo: tolstoy.bin
	./tolstoy.bin -p "Prince Andrew" -n 64 --temp 0

# Benchmark models, git-ignored: random weights in the shapes of
# Llama-3.2-1B (llama1b) and Qwen2.5-0.5B (qwen05b), generated and quantized
# tensor by tensor by cmd/synth. BENCH_VOCAB=FILE copies a real tokenizer
# (a .gguf or .gguf.gz, e.g. the Llama 3 vocab of the golden testdata) into
# the llama models instead of the synthetic one.
SYNTH        := $(BIN)/synth
BENCH_DIR    := testdata/bench
BENCH_MODELS := $(BENCH_DIR)/llama1b-q4_k_m.gguf $(BENCH_DIR)/llama1b-q8_0.gguf $(BENCH_DIR)/qwen05b-q4_k_m.gguf
BENCH_VOCAB  ?=

.PHONY: bench-model
bench-model: $(BENCH_MODELS)

$(SYNTH): $(GOFILES)
	$(GO) build -trimpath -ldflags="$(LDFLAGS)" -o $@ ./cmd/synth

# PRESET-RECIPE.gguf. The synth binary is an order-only prerequisite, so
# that editing Go code does not remake gigabytes of models.
$(BENCH_DIR)/%.gguf: | $(SYNTH)
	$(SYNTH) --preset $(patsubst %-$(lastword $(subst -, ,$*)),%,$*) --quantize $(lastword $(subst -, ,$*)) \
		$(if $(and $(BENCH_VOCAB),$(filter llama%,$*)),--vocab-from $(BENCH_VOCAB)) -o $@

# Under CI=true the suite also installs qemu-user for the arm64 artifact
# tests and runs the real npm clients (openai, ollama) against --serve.
test: $(if $(filter true,$(CI)),qemu)
	$(GO) vet ./...
	$(GO) test ./...
	$(MAKE) test-scalar
	$(MAKE) test-avx2
	$(if $(filter true,$(CI)),KILN_NPM_TESTS=1 $(GO) test ./api -run TestNPMClients -count=1)

# The engine and backend tests again with every SIMD fast path off, so that
# the scalar reference kernels stay tested (and the goldens exact) too.
test-scalar:
	KILN_NOSIMD=1 $(GO) test -count=1 ./engine/... ./backends/...

# The forward pass again on the AVX2 kernels where the CPU also has AVX-512
# (most laptops have only AVX2): the goldens must stay exact on both levels.
# Elsewhere KILN_SIMD names a level the CPU lacks and the best one runs.
test-avx2:
	KILN_SIMD=avx2 $(GO) test -count=1 ./engine/model/ ./backends/...

clean:
	rm -rf $(BIN) tolstoy.bin $(STUBS_DIR)/*.zst

# The official openai SDK and the ollama client library, installed from npm
# into a temp dir, against a server on a random loopback port.
.PHONY: test-clients
test-clients:
	KILN_NPM_TESTS=1 $(GO) test ./api -run TestNPMClients -count=1 -v
