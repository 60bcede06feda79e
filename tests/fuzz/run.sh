#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS] [TARGET...] - build the libFuzzer targets with
# clang (ASan + UBSan) in build/fuzz and run each for SECONDS (default 60)
# on its committed seed corpus, tests/fuzz/corpus/TARGET. New inputs go to a
# scratch directory, so the committed corpus only changes by hand; a crash
# is kept as build/fuzz/crash-TARGET-* and fails the run.
#   tests/fuzz/run.sh            # every target, 60 s each
#   tests/fuzz/run.sh 600 jwt    # one target, 10 min
# Exits 77 (ctest's SKIP_RETURN_CODE) when clang or libFuzzer is missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
seconds=${1:-60}
[ "$#" -gt 0 ] && shift
targets=("$@")
[ "${#targets[@]}" -eq 0 ] &&
  targets=(json_decode proto_decode framing jwt store_record ws_frame)
build=${CHAT_FUZZ_BUILD:-$root/build/fuzz}

cxx=$(command -v clang++ || command -v clang++-14 || true)
if [ -z "$cxx" ]; then
  echo "fuzz: clang++ not found (apt-get install clang libclang-rt-14-dev); skipped"
  exit 77
fi
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' \
  >"$probe/p.cpp"
if ! "$cxx" -fsanitize=fuzzer,address,undefined "$probe/p.cpp" -o "$probe/p" 2>/dev/null; then
  echo "fuzz: $cxx cannot link libFuzzer (apt-get install libclang-rt-14-dev); skipped"
  exit 77
fi

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$here" -B "$build" -G Ninja -DCMAKE_CXX_COMPILER="$cxx" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo "${launcher[@]}" >/dev/null
cmake --build "$build"

status=0
for t in "${targets[@]}"; do
  work="$probe/$t"
  mkdir -p "$work"
  echo "fuzz: $t for ${seconds}s"
  if ! "$build/fuzz_$t" -max_total_time="$seconds" -timeout=10 \
      -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
      -artifact_prefix="$build/crash-$t-" "$work" "$here/corpus/$t" \
      >"$build/$t.log" 2>&1; then
    echo "fuzz: $t FAILED; see $build/$t.log and $build/crash-$t-*"
    tail -40 "$build/$t.log"
    status=1
  else
    grep -E "stat::number_of_executed_units|Done [0-9]+ runs" "$build/$t.log" | tail -2
  fi
done
exit "$status"
