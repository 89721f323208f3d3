# Shared by the end-to-end shell tests (sourced, after `ASR=$1`): a scratch
# folder $tmp removed on exit, pass/fail counting, and running asr with an
# expected exit status. A test prints "$passed passed, $failed failed" and
# ends with `[[ $failed -eq 0 ]]`.
ROOT=${ASR_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ROOT" || exit 1
tmp=$(mktemp -d)
bg_pids=() # processes a test starts in the background, killed on exit
cleanup() {
    for p in "${bg_pids[@]}"; do kill "$p" 2>/dev/null; done
    rm -rf "$tmp"
}
trap cleanup EXIT
passed=0 failed=0

check() { # check NAME COMMAND...
    local name=$1
    shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name" >&2; fi
}
# run EXPECTED_EXIT ARGS...: runs asr, keeping stdout/stderr in $tmp/out, $tmp/err
run() {
    local want=$1
    shift
    "$ASR" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [[ $got != "$want" ]]; then
        echo "asr $* exited $got, expected $want; stderr:" >&2
        cat "$tmp/err" >&2
        return 1
    fi
}
one_line_error_naming() { [[ $(wc -l <"$tmp/err") -eq 1 ]] && grep -qF -- "$1" "$tmp/err"; }
