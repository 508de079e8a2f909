#!/bin/sh
# Fuzz the quiz parser with libFuzzer for N seconds (default 120):
#   scripts/fuzz.sh [SECONDS]
# Builds tests/fuzz with clang in build-fuzz/, seeds from tests/fuzz/corpus (left unchanged:
# new inputs go to build-fuzz/corpus-work). A crash leaves crash-* in build-fuzz/ and exits
# non-zero; copy a minimised reproducer into tests/fuzz/corpus/ once fixed.
set -eu
SECONDS_TO_RUN=${1:-120}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD="$ROOT/build-fuzz"
command -v clang++ >/dev/null || { echo "fuzz.sh: clang++ not found (apt-get install clang)" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S "$ROOT" -B "$BUILD" -DTRISTATE_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$BUILD" --target fuzz_quiz_parser -j"$(nproc)"
mkdir -p "$BUILD/corpus-work"
cd "$BUILD"
exec ./tests/fuzz/fuzz_quiz_parser -max_total_time="$SECONDS_TO_RUN" -timeout=5 -max_len=4096 \
  -dict="$ROOT/tests/fuzz/quiz.dict" -print_final_stats=1 \
  "$BUILD/corpus-work" "$ROOT/tests/fuzz/corpus"
