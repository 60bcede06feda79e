#!/usr/bin/env bash
# run.sh - build (Release) and run the chat server.  Args go to chatd,
# which listens on 127.0.0.1:8080 by default.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

. cmake/deps.sh
deps_install "${CHAT_BUILD_DEPS[@]}"

# Build chatter goes to stderr; stdout belongs to chatd.
# Configure when there is no cache yet or the presets changed since;
# otherwise ninja re-runs cmake by itself when CMakeLists.txt change.
if [ ! -f build/release/CMakeCache.txt ] ||
   [ CMakePresets.json -nt build/release/CMakeCache.txt ]; then
  cmake --preset release >&2
fi
cmake --build --preset release --target chatd >&2

exec build/release/server/chatd "$@"
