#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz/, clang with ASan + UBSan) into
# build-fuzz/ and runs each for SECONDS (default 30) from the committed seed
# corpora, with an allocation limit low enough to catch header-driven
# allocations. Prints the executions per harness; exits 1 on any crash,
# leak, timeout or limit hit (the input is kept in build-fuzz/crashes/).
# Usage: scripts/fuzz.sh [SECONDS] [HARNESS...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-30}
shift || true
harnesses=("$@")
((${#harnesses[@]})) || harnesses=(gguf arpa lmbin stream pronunciations audio serve_message)
[[ $seconds =~ ^[0-9]+$ ]] || { echo "fuzz.sh: SECONDS must be a whole number, not '$seconds'" >&2; exit 2; }

cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug -DASR_FUZZ=ON \
    -DASR_TESTS=OFF >/dev/null
cmake --build build-fuzz -j "$(nproc)" --target fuzzers >&2

export ASR_SOURCE_DIR=$PWD OPENBLAS_NUM_THREADS=1
export LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp:print_suppressions=0
mkdir -p build-fuzz/crashes
failed=0
printf '%-16s %8s %12s %10s  %s\n' harness seconds executions "exec/s" result
for h in "${harnesses[@]}"; do
    seeds=tests/fuzz/corpus/$h
    [[ -d $seeds ]] || { echo "fuzz.sh: no harness '$h' (no $seeds)" >&2; exit 2; }
    work=build-fuzz/corpus/$h # grows across runs; the seeds stay as committed
    mkdir -p "$work"
    log=build-fuzz/fuzz_$h.log
    rc=0
    extra=()
    limit_mb=256
    [[ $h == stream ]] && extra=(-max_len=2048) # a tenth of a second of audio is plenty
    "build-fuzz/tests/fuzz/fuzz_$h" "${extra[@]}" -max_total_time="$seconds" -malloc_limit_mb=$limit_mb \
        -rss_limit_mb=1024 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="build-fuzz/crashes/${h}-" "$work" "$seeds" >"$log" 2>&1 || rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    result=ok
    if ((rc != 0)); then
        result="FAILED (exit $rc): see $log"
        failed=1
        grep -m3 -E "ERROR|SUMMARY|malloc\(|runtime error" "$log" >&2 || tail -5 "$log" >&2
    fi
    printf '%-16s %8s %12s %10s  %s\n' "$h" "$seconds" "${execs:-?}" \
        "$(( ${execs:-0} / (seconds > 0 ? seconds : 1) ))" "$result"
done
exit $failed
