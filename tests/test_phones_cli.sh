#!/usr/bin/env bash
# The phone model and its pronunciation dictionary through the `asr` command:
# asr pronounce, transcription with the shipped phone model (JSON, word lists,
# hot words, user pronunciations), and every bad dictionary input.
# Usage: test_phones_cli.sh PATH/TO/asr   (run by ctest)
set -uo pipefail
ASR=$1
source "$(dirname "$0")/cli_harness.sh"
PHONES=pretrained/en-lstm-phones.gguf
SAMPLE=samples/so762_000030116.wav

# asr pronounce
check "pronounce help" run 0 pronounce --help
check "pronounce variants" run 0 pronounce tomato
check "two variants" test "$(grep -c '^tomato' "$tmp/out")" -eq 2
check "pronounce g2p" run 0 pronounce Blorptastic
check "g2p source" grep -qP '^blorptastic\t[A-Z ]+\tg2p$' "$tmp/out"
check "pronounce impossible" run 1 pronounce hello r2d2
check "impossible names the word" grep -qF "'r2d2'" "$tmp/err"
check "impossible still does the rest" grep -q '^hello' "$tmp/out"
check "pronounce no words" run 2 pronounce
printf 'kubernetes K UW B ER N EH T IY Z\n' >"$tmp/mine.txt"
check "pronounce user file" run 0 pronounce --pronunciations "$tmp/mine.txt" kubernetes
check "user source" grep -qP '^kubernetes\tK UW B ER N EH T IY Z\tuser$' "$tmp/out"

# Transcription with the phone model
check "phones transcribe" run 0 transcribe --model "$PHONES" "$SAMPLE"
cp "$tmp/out" "$tmp/transcribed.txt"
# transcribe decodes the span where its detector (the same model, greedy,
# without an LM) hears speech; the span once ended at the words it spelled,
# few for a phone model, and cut most of this utterance ("seventy").
check "phones live" run 0 live --input "$SAMPLE" --model "$PHONES"
check "transcribe keeps the speech live hears" diff <(tail -1 "$tmp/out") "$tmp/transcribed.txt"
check "phones json" run 0 transcribe --json --model "$PHONES" "$SAMPLE"
check "phones json parses" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for w in r["words"]:
    assert 0 <= w["start"] <= w["end"] <= r["duration"] + 0.1 and 0 <= w["confidence"] <= 1
assert " ".join(w["word"] for w in r["words"]) == r["text"]
' "$tmp/out"
check "phones lexicon only" run 0 transcribe --no-lm --model "$PHONES" "$SAMPLE"
check "phones beam 1" run 0 transcribe --no-lm --beam 1 --model "$PHONES" "$SAMPLE"
check "phones digits" run 0 transcribe --model "$PHONES" --words pretrained/digits.txt samples/fsdd_3_theo_2.wav
digit='(zero|one|two|three|four|five|six|seven|eight|nine|oh)'
check "digits only" grep -qxP "$digit( $digit)*" "$tmp/out"
printf 'zorblax\n' >"$tmp/words.txt"
check "g2p word list" run 0 transcribe --model "$PHONES" --words "$tmp/words.txt" "$SAMPLE"
check "only the g2p word" grep -qxP '(zorblax| )*' "$tmp/out"
check "phones hotword" run 0 transcribe --model "$PHONES" --hotword zorblax:3 "$SAMPLE"
check "phones user pronunciations" run 0 transcribe --model "$PHONES" \
    --pronunciations "$tmp/mine.txt" --hotword kubernetes "$SAMPLE"
check "character model ignores --dict" run 0 transcribe --model pretrained/en-bilstm.gguf \
    --dict "$tmp/none.dict" "$SAMPLE"
check "ignored is said" grep -q "ignored" "$tmp/err"

# Bad dictionary input: exit 2, the file (and line) named
printf 'c3po\n' >"$tmp/bad_words.txt"
check "unpronounceable word" run 2 transcribe --model "$PHONES" --words "$tmp/bad_words.txt" "$SAMPLE"
check "unpronounceable named" grep -qF "'c3po'" "$tmp/err"
check "no dictionary" bash -c "ASR_DICT= '$ASR' transcribe --model '$PHONES' '$SAMPLE' 2>'$tmp/err'; test \$? -eq 2"
check "no dictionary message" grep -q "pronunciation dictionary" "$tmp/err"
check "missing dictionary" run 2 transcribe --model "$PHONES" --dict "$tmp/none.dict" "$SAMPLE"
check "missing dictionary named" grep -qF "$tmp/none.dict" "$tmp/err"
check "model as dictionary" run 2 transcribe --model "$PHONES" --dict pretrained/en-lstm.gguf "$SAMPLE"
check "model as dictionary message" grep -q "not a pronunciation dictionary" "$tmp/err"
head -c 100000 pretrained/en-cmudict.dict >"$tmp/cut.dict"
check "truncated dictionary" run 2 transcribe --model "$PHONES" --dict "$tmp/cut.dict" "$SAMPLE"
check "truncated dictionary named" grep -qF "$tmp/cut.dict" "$tmp/err"
printf 'cat K AE T\ndog D QQ G\n' >"$tmp/unknown.txt"
printf 'cat K AE T\nlonely\n' >"$tmp/empty.txt"
printf 'cat K AE T\ncat(2) K AE T\n' >"$tmp/dup.txt"
printf 'cat K AE T\n\001\377 junk\n' >"$tmp/garbage.txt"
for bad in unknown empty dup garbage; do
    check "bad pronunciations $bad" run 2 transcribe --model "$PHONES" \
        --pronunciations "$tmp/$bad.txt" "$SAMPLE"
    check "bad pronunciations $bad names line 2" grep -qF "$tmp/$bad.txt:2:" "$tmp/err"
done
mkfifo "$tmp/fifo"
check "fifo pronunciations" run 2 transcribe --model "$PHONES" --pronunciations "$tmp/fifo" "$SAMPLE"
check "fifo refused" grep -q "not a regular file" "$tmp/err"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
