#!/usr/bin/env bash
# cmake/deps.sh - Debian package bootstrap for libchat.
#
# Source it:   . cmake/deps.sh && deps_install "${CHAT_BUILD_DEPS[@]}"
# or run it:   cmake/deps.sh [build] [test] [PKG...]   (no args = build + test)
#
# This file is a library when sourced: it sets no shell options.

CHAT_BUILD_DEPS=(
  build-essential cmake ninja-build ccache pkg-config
  libboost1.81-dev libboost-json1.81-dev libboost-program-options1.81-dev
  protobuf-compiler libprotobuf-dev libssl-dev libsqlite3-dev
  libtomlplusplus-dev
  libnats-dev
  libgoogle-perftools-dev
  pybind11-dev python3-dev
)
CHAT_TEST_DEPS=(
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  python3-websockets python3-pytest
  nats-server
  chromium nodejs
  openssl
  clang libclang-rt-14-dev
)
# bench/compare: the Node.js ws relay (npm, which comes with it or as
# Debian's `npm`, installs `ws`) and taskset (util-linux, always there).
CHAT_BENCH_DEPS=(
  nodejs util-linux
)

_DEPS_APT_UPDATED=${_DEPS_APT_UPDATED:-0}

# Run a command as root: directly if we are root, else through sudo.
# Without a terminal on stdin (CI), use `sudo -n` so a password prompt
# fails fast instead of hanging.
_deps_as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif ! command -v sudo >/dev/null 2>&1; then
    echo "deps: not root and sudo is not installed; run as root: $*" >&2
    return 1
  elif [ -t 0 ]; then
    sudo "$@"
  else
    sudo -n "$@"
  fi
}

# deps_install PKG... - install the Debian packages that are not installed yet.
deps_install() {
  local pkg
  local missing=()
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
      missing+=("$pkg")
    fi
  done
  [ "${#missing[@]}" -eq 0 ] && return 0

  echo "deps: installing ${missing[*]}" >&2
  # apt output goes to stderr so scripts' stdout stays clean.
  if [ "$_DEPS_APT_UPDATED" -eq 0 ]; then
    _deps_as_root apt-get update -q >&2 || return 1
    _DEPS_APT_UPDATED=1
  fi
  _deps_as_root env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  [ "$#" -eq 0 ] && set -- build test
  pkgs=()
  for arg in "$@"; do
    case "$arg" in
      build) pkgs+=("${CHAT_BUILD_DEPS[@]}") ;;
      test)  pkgs+=("${CHAT_TEST_DEPS[@]}") ;;
      bench) pkgs+=("${CHAT_BENCH_DEPS[@]}") ;;
      *)     pkgs+=("$arg") ;;
    esac
  done
  deps_install "${pkgs[@]}"
fi
