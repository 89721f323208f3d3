#!/usr/bin/env bash
# End-to-end tests of the LM commands and options: asr lm-build, asr lm-ppl,
# transcribe/eval with --lm, --words, --hotword. Transcript quality is not
# assumed (the shipped models may be placeholders): the checks are exit
# codes, messages, and that a restricted vocabulary is obeyed.
# Usage: test_lm_cli.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"
export ASR_LM= # no default LM unless a test asks for one

ARPA=tests/fixtures/lm_tiny.arpa
MODEL=pretrained/en-lstm.gguf
WAV=samples/fsdd_3_theo_2.wav

# lm-build and lm-ppl
check "lm-build help" run 0 lm-build --help
check "lm-build" run 0 lm-build "$ARPA" "$tmp/tiny.lmbin"
check "lm-build reports counts" grep -q "order 3, 7 words, 6 2-grams, 2 3-grams" "$tmp/out"
gzip -c "$ARPA" >"$tmp/tiny.arpa.gz"
check "lm-build gzip, pruned" run 0 lm-build --vocab 3 --prune 0,1 "$tmp/tiny.arpa.gz" "$tmp/small.lmbin"
check "pruned counts" grep -q "out: order 3, 6 words, 3 2-grams, 0 3-grams" "$tmp/out"
printf 'the cat sat\nTHE CAT SAT ON THE MAT\n' >"$tmp/text.txt"
check "lm-ppl binary" run 0 lm-ppl "$tmp/tiny.lmbin" "$tmp/text.txt"
cp "$tmp/out" "$tmp/ppl_binary"
check "lm-ppl ARPA" run 0 lm-ppl "$ARPA" "$tmp/text.txt"
# Same sentences, same model: the same figures whichever form is read.
check "lm-ppl figures agree" [ "$(tail -n 1 "$tmp/out")" = "$(tail -n 1 "$tmp/ppl_binary")" ]
check "lm-ppl counts" grep -q "2 sentences, 9 words, 0 OOV" "$tmp/out"

# Bad input: one line naming the file and line; exit 1 (2 for bad options)
printf '\\data\\\nngram 1=2\n\n\\1-grams:\n-1 a\nx b\n' >"$tmp/bad.arpa"
check "malformed ARPA" run 1 lm-build "$tmp/bad.arpa" "$tmp/out.lmbin"
check "malformed ARPA message" one_line_error_naming "bad.arpa:6: expected a log10 probability"
check "no half-written output" [ ! -e "$tmp/out.lmbin" ]
check "missing ARPA" run 1 lm-build "$tmp/none.arpa" "$tmp/out.lmbin"
check "missing ARPA message" one_line_error_naming "none.arpa: cannot open"
check "lm-build one file" run 2 lm-build "$ARPA"
check "lm-build bad vocab" run 2 lm-build --vocab -3 "$ARPA" "$tmp/x.lmbin"
check "lm-build bad prune" run 2 lm-build --prune 1e-8,x "$ARPA" "$tmp/x.lmbin"
head -c 200 "$tmp/tiny.lmbin" >"$tmp/cut.lmbin"
check "truncated binary" run 2 lm-ppl "$tmp/cut.lmbin" "$tmp/text.txt"
check "truncated binary message" one_line_error_naming "cut.lmbin: truncated"

# transcribe and eval with word scoring
check "transcribe --lm" run 0 transcribe --model "$MODEL" --lm "$tmp/tiny.lmbin" --alpha 0.7 --beta 2 "$WAV"
check "transcribe --lm ARPA, beam 1" run 0 transcribe --model "$MODEL" --lm "$ARPA" --beam 1 "$WAV"
check "transcribe missing LM" run 2 transcribe --model "$MODEL" --lm "$tmp/none.lmbin" "$WAV"
check "missing LM message" one_line_error_naming "none.lmbin: cannot open"
check "transcribe bad LM" run 2 transcribe --model "$MODEL" --lm "$tmp/bad.arpa" "$WAV"
check "bad LM message" one_line_error_naming "bad.arpa:6:"
check "bad alpha" run 2 transcribe --model "$MODEL" --alpha x "$WAV"
check "bad hotword boost" run 2 transcribe --model "$MODEL" --hotword cat:x "$WAV"
check "hotword of two words" run 2 transcribe --model "$MODEL" --hotword "a b:2" "$WAV"
printf '# digits\nzero\nOne\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n' >"$tmp/digits.txt"
# Whatever the model hears, only the listed words can come out.
only_digits() {
    ! cut -f2 "$tmp/out" | tr ' ' '\n' | grep -v '^$' |
        grep -qvxE 'zero|one|two|three|four|five|six|seven|eight|nine'
}
check "transcribe --words" run 0 transcribe --model "$MODEL" --words "$tmp/digits.txt" samples/*.wav
check "only words from the list" only_digits
check "transcribe --words --lm --hotword" run 0 transcribe --model "$MODEL" --lm "$tmp/tiny.lmbin" --words "$tmp/digits.txt" --hotword seven:3 samples/*.wav
check "only words from the list, with LM" only_digits
: >"$tmp/empty.txt"
check "empty word list" run 2 transcribe --model "$MODEL" --words "$tmp/empty.txt" "$WAV"
check "empty word list message" one_line_error_naming "no words"
printf 'caf\xc3\xa9\n' >"$tmp/accent.txt"
check "unspellable word" run 2 transcribe --model "$MODEL" --words "$tmp/accent.txt" "$WAV"
check "unspellable word message" one_line_error_naming "cannot be spelled"
check "missing word list" run 2 transcribe --model "$MODEL" --words "$tmp/none.txt" "$WAV"
printf 'a\t%s\tthree\n' "$ROOT/$WAV" >"$tmp/m.tsv"
check "eval --json --lm" run 0 eval --json --model "$MODEL" --lm "$tmp/tiny.lmbin" --alpha 0.3 "$tmp/m.tsv"
check "eval JSON" grep -q '"wer":' "$tmp/out"
# The default LM: $ASR_LM names it; --no-lm turns it off.
with_bad_default() { ASR_LM="$tmp/bad.arpa" "$ASR" transcribe "$@" --model "$MODEL" "$WAV" >/dev/null 2>&1; }
check "ASR_LM names the default" eval '! with_bad_default'
check "--no-lm" with_bad_default --no-lm

echo "test_lm_cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
