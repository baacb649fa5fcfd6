#!/bin/sh
# Builds llama.cpp's vocabulary code (as vendored in the Ollama module the
# goldens were made with) into a small line-oriented oracle, for the
# differential tests in oracle_test.go (go test -tags oracle). Only the
# tokenizer paths run; the backend symbols it does not need are stubbed.
#
#   sh build.sh /tmp/llref && KILN_LLAMA_ORACLE=/tmp/llref/harness go test -tags oracle ./engine/tokenizer/
set -e
OUT=${1:-/tmp/llref}
R=${OLLAMA_SRC:-$(go env GOMODCACHE)/github.com/ollama/ollama@v0.17.4}
S=$R/llama/llama.cpp/src
G=$R/ml/backend/ggml/ggml
INC="-I$S -I$R/llama/llama.cpp/include -I$G/include -I$G/src"
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"
cd "$OUT"
for f in llama-model-loader llama-arch llama-impl llama-mmap unicode unicode-data; do
	g++ -std=c++17 -O1 $INC -c "$S/$f.cpp" -o "$f.o"
done
g++ -std=c++17 -O1 $INC -c "$G/src/gguf.cpp" -o gguf.o
g++ -std=c++17 -O1 $INC -c "$G/src/ggml-threading.cpp" -o ggml-threading.o
gcc -std=gnu11 -O1 $INC -DGGML_VERSION='"oracle"' -DGGML_COMMIT='"oracle"' -c "$G/src/ggml.c" -o ggml.o
g++ -std=c++17 -O1 $INC -c "$HERE/harness.cpp" -o harness.o
# Stub every symbol still missing (GPU backends, quantizers): never called.
g++ -o harness *.o -lpthread 2>&1 | grep -o "undefined reference to \`[^']*'" | sort -u |
	sed "s/undefined reference to \`//; s/'\$//" |
	awk '{print "extern \"C\" void " $1 "(void) { __builtin_trap(); }"}' > stubs.cpp || true
g++ -c stubs.cpp -o stubs.o
g++ -o harness *.o -lpthread
echo "built $OUT/harness"
