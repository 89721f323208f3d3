#!/usr/bin/env bash
# Every test in one command: set up, build, run the tests, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer, the threads test under
# ThreadSanitizer, each fuzz harness for 30 s ($ASR_FUZZ_SECONDS), and check
# the formatting.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== release build + tests" >&2
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j 2)

echo "== ASan + UBSan build + tests" >&2
bash scripts/build.sh build-sanitize -DASR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2)

echo "== ThreadSanitizer: one model and LM shared by 8 threads" >&2
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DASR_TSAN=ON >/dev/null
cmake --build build-tsan -j "$(nproc)" --target test_threads >&2
(cd build-tsan && TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --output-on-failure -R '^test_threads$')

echo "== fuzzing: each harness for ${ASR_FUZZ_SECONDS:-30} s (scripts/fuzz.sh)" >&2
bash scripts/fuzz.sh "${ASR_FUZZ_SECONDS:-30}"

echo "== clang-format" >&2
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror
echo "all tests passed" >&2
