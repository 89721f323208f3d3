#!/usr/bin/env bash
# The Debian package: `cpack -G DEB` builds asr_VERSION_ARCH.deb; its
# Depends cover every library the command and libasr load; unpacked into an
# empty root (dpkg -x) it transcribes a sample with its own models, its
# library works from Python, and its man page reads. (Not dpkg -i in a
# debootstrap chroot: minutes of downloads for what ldd already shows.)
# Usage: test_deb.sh BUILD_DIR   (run by ctest, release builds only)
set -uo pipefail
BUILD=$(cd "$1" && pwd)
ASR=/nonexistent # the unpacked one, below
source "$(dirname "$0")/cli_harness.sh"
unset ASR_MODEL ASR_LM ASR_DICT ASR_DATA_DIR ASR_LIBRARY
# A sample whose first word begins within 0.6 s of its start: Python's
# transcribe() decodes the whole file, the CLI from 600 ms before the first
# sound, so both decode it from its start (on so762_000030116, 0.84 s of
# lead-in, the file model's last word goes different ways:
# python/tests/test_asr.py).
WAV=samples/so762_000240031.wav

version=$("$BUILD/asr" --version | cut -d' ' -f2)
(cd "$BUILD" && cpack -G DEB -B "$tmp/pkg" >"$tmp/cpack.log" 2>&1)
deb=$tmp/pkg/asr_${version}_$(dpkg --print-architecture).deb
check "cpack builds $(basename "$deb")" test -f "$deb" || cat "$tmp/cpack.log" >&2
depends=$(dpkg-deb -f "$deb" Depends)
for pkg in libsndfile1 libopenblas0 libsamplerate0 libkissfft-float131 zlib1g libportaudio2 libc6; do
  check "Depends: $pkg" grep -q "\b$pkg\b" <<<"$depends"
done
root=$tmp/root
dpkg -x "$deb" "$root"
ASR=$root/usr/bin/asr
for f in usr/lib/libasr.so.$version usr/lib/libasr.a usr/include/asr.h usr/lib/pkgconfig/asr.pc \
  usr/lib/cmake/asr/asrConfig.cmake usr/share/asr/en-bilstm.gguf usr/share/asr/en-3gram.lmbin \
  usr/share/man/man1/asr.1 usr/share/doc/asr/NOTICE; do
  check "packaged $f" test -s "$root/$f"
done
check "asr.pc: prefix /usr" grep -qx "prefix=/usr" "$root/usr/lib/pkgconfig/asr.pc"

# Every library the command and libasr need directly comes from a package of
# Depends (or one that a Depends package depends on, like libopenblas0's).
covered() { # covered PACKAGE
  local d
  [[ -n $1 ]] || return 1
  for d in $(sed 's/([^)]*)//g; s/[,|]/ /g' <<<"$depends"); do
    [[ $d == "$1" ]] && return 0
    grep -q "\b$1\b" <<<"$(dpkg-query -W -f='${Depends}' "$d" 2>/dev/null)" && return 0 # no SIGPIPE under pipefail
  done
  return 1
}
for bin in "$ASR" "$root/usr/lib/libasr.so.$version"; do
  check "$(basename "$bin"): every library found" bash -c "! ldd '$bin' | grep -q 'not found'"
  for soname in $(objdump -p "$bin" | awk '/NEEDED/ && $2 !~ /^ld-linux/ {print $2}'); do
    file=$(ldd "$bin" | awk -v s="$soname" '$1 == s {print $3}')
    # The path as found, else the file behind it (alternatives, /lib -> /usr/lib).
    pkg=$( (dpkg -S "$file" || dpkg -S "$(realpath "$file")") 2>/dev/null | head -n 1 | cut -d: -f1)
    check "$(basename "$bin") needs $soname: $pkg in Depends" covered "$pkg"
  done
done

# The unpacked command finds its own models and LM, and says what the build does.
check "unpacked asr transcribes" run 0 transcribe "$WAV"
check "quietly" [ ! -s "$tmp/err" ]
check "as the build tree's asr" [ "$(cat "$tmp/out")" = "$("$BUILD/asr" transcribe "$WAV" 2>/dev/null)" ]
check "finds usr/share/asr" bash -c "'$ASR' transcribe --model '$root/usr/share/asr/en-lstm-phones.gguf' \
  '$WAV' >/dev/null 2>'$tmp/err2' && [ ! -s '$tmp/err2' ]"
# Its Python package over its libasr: the data found beside it, in usr/share/asr.
check "packaged python package" test -s "$root/usr/lib/python3/dist-packages/asr/__init__.py"
check "python over the packaged libasr" [ "$(cd "$tmp" && ASR_LIBRARY="$root/usr/lib/libasr.so.0" \
  PYTHONPATH="$root/usr/lib/python3/dist-packages" PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -c "import asr
assert asr.__file__.startswith('$root/'), asr.__file__
print(asr.default_path('en-3gram.lmbin')); print(asr.transcribe('$ROOT/$WAV'))")" = \
  "$root/usr/share/asr/en-3gram.lmbin
$(cat "$tmp/out")" ]
check "man asr" bash -c "MANPATH='$root/usr/share/man' man asr 2>/dev/null | grep -q 'asr live'"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
