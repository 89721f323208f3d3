#!/usr/bin/env bash
# The page of `asr serve` in a real browser: Debian's chromium, headless,
# driven by playwright-core (installed from npm into the build folder with
# the committed package-lock.json), with a fake microphone that plays a
# shipped recording. The recording's transcript must appear as a final line,
# and the final lines shown must be exactly what `asr client` gets from the
# same server for the very samples the page sent (recorded by the server).
# Usage: test_serve_browser.sh PATH/TO/asr [SCREENSHOT.png]   (run by ctest)
set -uo pipefail
ASR=$1
SHOT=${2:-}
source "$(dirname "$0")/cli_harness.sh"
unset ASR_MODEL
MODEL=pretrained/en-lstm.gguf
SAMPLE=samples/so762_000030116.wav

for tool in /usr/bin/chromium npm node; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool is missing: run scripts/setup.sh" >&2; exit 1; }
done
# playwright-core, once per build folder.
deps=${ASR_BINARY_DIR:-$tmp}/browser-test
if [[ ! -f "$deps/node_modules/playwright-core/package.json" ]] ||
    ! cmp -s tests/browser/package-lock.json "$deps/package-lock.json"; then
    mkdir -p "$deps"
    cp tests/browser/package.json tests/browser/package-lock.json "$deps/"
    (cd "$deps" && npm ci --no-audit --no-fund --loglevel=error) >&2 || {
        echo "FAIL: npm ci in $deps" >&2
        exit 1
    }
fi
cp tests/browser/page_test.mjs "$deps/"

mkdir "$tmp/heard"
ASR_SERVE_TEST_RECORD=$tmp/heard "$ASR" serve --port 0 --model "$MODEL" 2>"$tmp/server.err" &
server=$!
bg_pids+=($server)
port=
for _ in $(seq 200); do
    port=$(grep -oE 'ws://127\.0\.0\.1:[0-9]+/' "$tmp/server.err" | grep -oE '[0-9]+/$' | tr -d /)
    [[ -n "$port" ]] && break
    sleep 0.1
done
check "server started" test -n "$port"
want=$("$ASR" transcribe --model "$MODEL" "$SAMPLE" 2>/dev/null)
check "the page transcribes the fake microphone" \
    node "$deps/page_test.mjs" "http://127.0.0.1:$port/" "$want" "$ROOT/$SAMPLE" "$tmp/page.txt" $SHOT
# What the page sent, streamed again: the same finals, line for line. The
# page sends float32 samples, so the client does too (as 16-bit samples
# they differ a little, which now and then changed a word).
sleep 0.5
heard=$(ls "$tmp"/heard/stream-*.f32 2>/dev/null | head -1)
rate=$(basename "$heard" .f32 | cut -d- -f3)
check "the server recorded the page's stream" test -s "$heard"
sox -t raw -e floating-point -b 32 -c 1 -L -r "${rate:-44100}" "$heard" "$tmp/heard.wav"
check "asr client on the same samples" bash -c \
    "'$ASR' client --speed 0 --format f32le ws://127.0.0.1:$port/ '$tmp/heard.wav' >'$tmp/client.txt'"
check "the page shows what the server recognised" cmp "$tmp/page.txt" "$tmp/client.txt"
check "at least three final lines" test "$(wc -l <"$tmp/page.txt")" -ge 3
kill -INT "$server"
wait "$server"
check "server: exit 0" test $? -eq 0
check "server: no errors logged" bash -c "! grep -E 'asr serve: #' '$tmp/server.err'"
[[ $failed -eq 0 ]] || cat "$tmp/server.err" "$tmp/page.txt" "$tmp/client.txt" >&2
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
