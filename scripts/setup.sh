#!/usr/bin/env bash
# Installs the Debian 12 packages that building, testing and training need.
# Quick when they are already there; needs root (or sudo) otherwise.
set -euo pipefail

packages=(
  build-essential cmake pkg-config clang-format
  clang libclang-rt-14-dev
  libsndfile1-dev libkissfft-dev libopenblas-dev libsamplerate0-dev portaudio19-dev zlib1g-dev
  libcmocka-dev sox libsox-fmt-all alsa-utils libasound2-plugins
  libasound2-dev libjack-jackd2-dev bsdutils
  libwebsockets-dev libcjson-dev chromium
  python3-torch python3-torchaudio python3-numpy
  # Installing and packaging (tests/test_install.sh, test_deb.sh, the Python package):
  # the man page, `man asr`, dpkg-shlibdeps for the .deb's Depends, pytest.
  help2man man-db dpkg-dev python3-pytest
  # Static linking through pkg-config: Debian's sndfile.pc and openblas.pc name
  # -lmp3lame and -lgfortran, which libsndfile1-dev and libopenblas-dev do not pull in.
  libmp3lame-dev libgfortran-12-dev
)
# Training data and benchmarks want more; `setup.sh --all` adds them.
if [[ "${1:-}" == "--all" ]]; then
  packages+=(espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts fortunes bible-kjv
             wordnet-base pocketsphinx pocketsphinx-en-us gnuplot-nox time
             libpocketsphinx-dev libsphinxbase-dev)
fi

# The browser test drives chromium with playwright-core from npm; a Node.js
# that is already there (Debian's or another) will do.
command -v npm >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""; [[ $(id -u) -eq 0 ]] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
