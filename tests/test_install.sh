#!/usr/bin/env bash
# `cmake --install` into a scratch prefix, then what a library user does: the
# header's example built with pkg-config (shared, and static from libasr.a)
# and with find_package(asr); only the header's functions exported; the
# installed command finds the installed models; the man page.
# Usage: test_install.sh BUILD_DIR   (run by ctest, release builds only)
set -uo pipefail
BUILD=$(cd "$1" && pwd)
ASR=/nonexistent # set once installed
source "$(dirname "$0")/cli_harness.sh"
unset ASR_MODEL ASR_LM ASR_DICT ASR_DATA_DIR
p=$tmp/prefix
# A sample whose first word begins within 0.6 s of its start: Python's
# transcribe() decodes the whole file, the CLI from 600 ms before the first
# sound, so both decode it from its start (on so762_000030116, 0.84 s of
# lead-in, the file model's last word goes different ways:
# python/tests/test_asr.py).
WAV=samples/so762_000240031.wav

check "cmake --install" cmake --install "$BUILD" --prefix "$p" >/dev/null
ASR=$p/bin/asr
lib=$(ls "$p"/lib*/libasr.so.*.*.* 2>/dev/null | head -n 1)
libdir=$(dirname "${lib:-$p/lib/none}")
export PKG_CONFIG_PATH=$libdir/pkgconfig
for f in bin/asr include/asr.h share/asr/en-bilstm.gguf share/asr/en-lstm.gguf \
  share/asr/en-3gram.lmbin share/asr/en-cmudict.dict share/man/man1/asr.1 \
  share/doc/asr/LICENSE share/doc/asr/NOTICE; do
  check "installed $f" test -s "$p/$f"
done
check "libasr.so.MAJOR.MINOR.PATCH" test -f "$lib"
check "soname libasr.so.MAJOR" bash -c "objdump -p '$lib' | grep -q 'SONAME *libasr.so.[0-9]*$'"
check "libasr.a" test -f "$libdir/libasr.a"
check "asrConfig.cmake" test -f "$libdir/cmake/asr/asrConfig.cmake"
check "pkg-config version" [ "$(pkg-config --modversion asr)" = "$("$ASR" --version | cut -d' ' -f2)" ]
check "pkg-config datadir" [ "$(pkg-config --variable=datadir asr)" = "$p/share/asr" ]

# Exported: exactly the functions the header declares with ASR_API.
nm -D --defined-only "$lib" | awk '{print $3}' | sort >"$tmp/exported"
grep -o 'ASR_API [^(]*\basr_[a-z0-9_]*(' include/asr.h | grep -o 'asr_[a-z0-9_]*($' | tr -d '(' |
  sort >"$tmp/declared"
check "exports = header" diff "$tmp/declared" "$tmp/exported"
check "exports many" [ "$(wc -l <"$tmp/declared")" -gt 30 ]

# The installed command, no options: the installed model and LM, silently.
check "installed asr transcribes" run 0 transcribe "$WAV"
check "no note about the LM" [ ! -s "$tmp/err" ]
want=$(cat "$tmp/out")
check "a transcript" [ -n "$want" ]
# The same as the build tree's binary with its pretrained/.
check "same as the build tree" [ "$("$BUILD/asr" transcribe "$WAV" 2>/dev/null)" = "$want" ]

# The header's example, extracted, built against the installed library.
sed -n '/BEGIN EXAMPLE/,/END EXAMPLE/p' include/asr.h | sed '1d;$d' |
  sed -e 's/^ \*     //' -e 's/^ \*$//' >"$tmp/example.c"
check "example extracted" grep -q "int main" "$tmp/example.c"
# The example decodes with a character model (phone models also need a
# dictionary), so it is compared with `transcribe` on that model.
models=("$p/share/asr/en-bilstm.gguf" "$p/share/asr/en-3gram.lmbin")
want_chars=$("$ASR" transcribe --model "${models[0]}" "$WAV" 2>/dev/null)
cc -std=c11 -Wall -Wextra -Werror "$tmp/example.c" -o "$tmp/example" \
  $(pkg-config --cflags --libs asr) 2>"$tmp/err"
check "example builds with pkg-config" test -x "$tmp/example"
check "it uses the installed libasr.so" bash -c "LD_LIBRARY_PATH='$libdir' ldd '$tmp/example' |
  grep -q 'libasr.so.[0-9]* => $libdir/'"
LD_LIBRARY_PATH=$libdir "$tmp/example" "${models[@]}" "$WAV" >"$tmp/out" 2>"$tmp/err"
check "example runs" [ $? -eq 0 ]
check "example = asr transcribe" [ "$(head -n 1 "$tmp/out")" = "$want_chars" ]
check "example prints words with times" grep -qE '^[a-z'"'"']+ [0-9.]+-[0-9.]+ \([0-9.]+\)$' "$tmp/out"
check "example prints partials" grep -q . "$tmp/err"
LD_LIBRARY_PATH=$libdir "$tmp/example" "${models[@]}" "$tmp/none.wav" >/dev/null 2>"$tmp/err"
check "example reports errors" grep -q "none.wav" "$tmp/err"

# Static: where only libasr.a is found, pkg-config --static supplies what it needs.
ps=$tmp/static
mkdir -p "$ps/lib/pkgconfig" "$ps/include"
cp "$libdir/libasr.a" "$ps/lib/" && cp "$p/include/asr.h" "$ps/include/"
sed "s|^prefix=.*|prefix=$ps|; s|^libdir=.*|libdir=$ps/lib|" "$PKG_CONFIG_PATH/asr.pc" >"$ps/lib/pkgconfig/asr.pc"
cc -std=c11 "$tmp/example.c" -o "$tmp/example_static" \
  $(PKG_CONFIG_PATH=$ps/lib/pkgconfig pkg-config --static --cflags --libs asr) 2>"$tmp/err"
check "example builds with pkg-config --static" test -x "$tmp/example_static"
check "static: no libasr.so" bash -c "! ldd '$tmp/example_static' | grep -q libasr"
check "static example = asr transcribe" \
  [ "$("$tmp/example_static" "${models[@]}" "$WAV" 2>/dev/null | head -n 1)" = "$want_chars" ]

# The same beside libasr.so, naming the archive (docs/LIBRARY.md).
cc -std=c11 "$tmp/example.c" -o "$tmp/example_static2" $(pkg-config --cflags asr) \
  $(pkg-config --static --libs asr | sed 's/-lasr /-l:libasr.a /') 2>"$tmp/err"
check "-l:libasr.a with pkg-config --static" bash -c "! ldd '$tmp/example_static2' | grep -q libasr"
check "-l:libasr.a example = asr transcribe" \
  [ "$("$tmp/example_static2" "${models[@]}" "$WAV" 2>/dev/null | head -n 1)" = "$want_chars" ]

# A CMake project: find_package(asr) and its imported targets.
mkdir -p "$tmp/proj"
cp "$tmp/example.c" "$tmp/proj/"
cat >"$tmp/proj/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.18)
project(use_asr C)
find_package(asr 0 REQUIRED)
add_executable(example example.c)
target_link_libraries(example PRIVATE asr::asr)
add_executable(example_static example.c)
target_link_libraries(example_static PRIVATE asr::asr_static)
CMAKE
cmake -S "$tmp/proj" -B "$tmp/proj/build" -DCMAKE_PREFIX_PATH="$p" >"$tmp/cmake.log" 2>&1 &&
  cmake --build "$tmp/proj/build" >>"$tmp/cmake.log" 2>&1
check "find_package(asr) project builds" test -x "$tmp/proj/build/example" || cat "$tmp/cmake.log" >&2
for t in example example_static; do
  check "find_package $t = asr transcribe" \
    [ "$("$tmp/proj/build/$t" "${models[@]}" "$WAV" 2>/dev/null | head -n 1)" = "$want_chars" ]
done

# Python: `pip install ./python` offline into a venv, against the installed
# library (found by its soname through LD_LIBRARY_PATH), its data in share/asr.
mkdir -p "$tmp/pysrc" && cp -r python/asr python/pyproject.toml python/README.md "$tmp/pysrc/"
/usr/bin/python3 -m venv --system-site-packages --without-pip "$tmp/venv" &&
  (cd "$tmp" && "$tmp/venv/bin/python" -m pip install -q --no-build-isolation --no-index \
    "$tmp/pysrc" >"$tmp/pip.log" 2>&1)
check "pip install ./python" [ $? -eq 0 ] || cat "$tmp/pip.log" >&2
py() { (cd "$tmp" && env -u ASR_LIBRARY LD_LIBRARY_PATH="$libdir" "$tmp/venv/bin/python" -c "$1"); }
check "python: the installed package and library" [ "$(py 'import asr, os
print(os.path.dirname(asr.__file__).startswith("'"$tmp/venv"'"), asr._lib._loaded_path())')" = \
  "True $(realpath "$lib")" ]
check "python transcribe = asr transcribe" \
  [ "$(py "import asr; print(asr.transcribe('$ROOT/$WAV'))")" = "$want" ]

# The search order: $ASR_DATA_DIR before share/asr (here its
# "en-bilstm-phones.gguf", the first default, is the streaming character
# model, so the text is en-lstm's).
mkdir -p "$tmp/data"
ln -s "$p/share/asr/en-lstm.gguf" "$tmp/data/en-bilstm-phones.gguf"
lstm=$("$ASR" transcribe --model "$p/share/asr/en-lstm.gguf" "$WAV" 2>/dev/null)
check "ASR_DATA_DIR first" [ "$(ASR_DATA_DIR=$tmp/data "$ASR" transcribe "$WAV" 2>/dev/null)" = "$lstm" ]
# A binary with no data anywhere: the error or the note lists where it looked.
mkdir -p "$tmp/lonely/bin" && cp "$ASR" "$tmp/lonely/bin/"
ASR=$tmp/lonely/bin/asr
check "no model: exit 2" run 2 transcribe "$WAV"
check "no model: where it looked" one_line_error_naming "$tmp/lonely/share/asr/"
check "no model: names the files" grep -q "en-bilstm.gguf or en-lstm.gguf" "$tmp/err"
check "no LM: still transcribes" run 0 transcribe --model "$p/share/asr/en-lstm.gguf" "$WAV"
check "no LM: a note with where it looked" one_line_error_naming "no word LM found (looked in"
check "no LM: --no-lm is silent" run 0 transcribe --no-lm --model "$p/share/asr/en-lstm.gguf" "$WAV"
check "no LM: nothing on stderr" [ ! -s "$tmp/err" ]
check "no dictionary: exit 2" run 2 pronounce hello
check "no dictionary: where it looked" grep -qF "$tmp/lonely/pretrained/" "$tmp/err"

# man asr, from the installed man page.
check "man asr" bash -c "MANPATH='$p/share/man' man asr 2>/dev/null | grep -q 'asr transcribe'"
check "man page lists the search order" bash -c "MANPATH='$p/share/man' man asr 2>/dev/null | grep -q ASR_DATA_DIR"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
