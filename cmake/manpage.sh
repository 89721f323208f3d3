#!/usr/bin/env bash
# Writes the man page asr.1 with help2man: `asr --help` plus each command's
# --help, and where the models are looked for.
# Usage: manpage.sh HELP2MAN ASR OUT
set -euo pipefail
help2man=$1 asr=$2 out=$3
include=$(mktemp)
trap 'rm -f "$include"' EXIT

# Help text as preformatted roff: escape backslashes and leading dots.
roff() { sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; }

{
  echo "[COMMANDS]"
  for cmd in transcribe live eval bench lm-build lm-ppl pronounce; do
    echo ".SS \"asr $cmd\""
    echo ".nf"
    "$asr" "$cmd" --help | roff
    echo ".fi"
  done
  cat <<'TEXT'
[FILES]
The models, the word LM and the pronunciation dictionary are looked for in
this order; the first readable file wins:
.IP 1. 4
the option (\fB\-\-model\fR, \fB\-\-lm\fR, \fB\-\-dict\fR);
.IP 2. 4
the environment variable (\fBASR_MODEL\fR, \fBASR_LM\fR, \fBASR_DICT\fR: a file; an empty
\fBASR_LM\fR or \fBASR_DICT\fR means none);
.IP 3. 4
the directory \fB$ASR_DATA_DIR\fR;
.IP 4. 4
the installed data directory, \fIshare/asr\fR beside the binary's \fIbin/\fR
(\fI/usr/share/asr\fR for the Debian package);
.IP 5. 4
\fIpretrained/\fR of the source tree, for a binary run from its build directory.
.PP
When the default LM or dictionary is not found, \fBasr\fR says so and lists
where it looked. Default files: \fIen\-bilstm\-phones.gguf\fR (transcribe, eval;
else \fIen\-bilstm.gguf\fR, \fIen\-lstm.gguf\fR), \fIen\-lstm\-phones.gguf\fR (live,
serve, bench; else \fIen\-lstm.gguf\fR), \fIen\-3gram.lmbin\fR, \fIen\-cmudict.dict\fR.
[ENVIRONMENT]
.TP
.B ASR_MODEL, ASR_LM, ASR_DICT
files to use instead of the defaults (see FILES).
.TP
.B ASR_DATA_DIR
a directory holding the default models, LM and dictionary.
.TP
.B NO_COLOR
\fBasr live\fR does not dim the unstable part of the line.
.TP
.B OPENBLAS_CORETYPE
OpenBLAS's kernels (\fBasr \-\-version\fR names those in use). Unset, where
OpenBLAS does not know the CPU and chose its slowest kernels, \fBasr\fR
restarts itself with \fISkylakeX\fR or \fIHaswell\fR.
[EXIT STATUS]
0 on success, 1 when some input files failed, 2 for bad options or a bad model.
[SEE ALSO]
The README, \fIdocs/*.md\fR and the model card \fIMODEL_CARD.md\fR (installed in
\fIshare/asr\fR).
TEXT
} >"$include"

"$help2man" --no-info --name="streaming speech recognition on the CPU, offline" \
  --version-string="$("$asr" --version | cut -d' ' -f2)" --include="$include" --output="$out" "$asr"
