#!/usr/bin/env bash
# Every test in one command: set up, build, run the tests, then again under
# AddressSanitizer + UndefinedBehaviorSanitizer, and check the formatting.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh

echo "== release build + tests" >&2
bash scripts/build.sh build
(cd build && ctest --output-on-failure -j 2)

echo "== ASan + UBSan build + tests" >&2
bash scripts/build.sh build-sanitize -DASR_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
(cd build-sanitize && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j 2)

echo "== clang-format" >&2
git ls-files '*.c' '*.h' | xargs clang-format --dry-run --Werror
echo "all tests passed" >&2
