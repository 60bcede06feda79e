#!/usr/bin/env bash
# test.sh [PRESET] [CTEST-ARGS...] - install deps, configure, build everything
# and run ctest with a preset from CMakePresets.json (default: debug).
#   ./test.sh              # debug
#   ./test.sh asan         # ASan + UBSan
#   ./test.sh tsan -R foo  # extra args go to ctest
# Exits with ctest's status.
set -euo pipefail
cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")"

preset=debug
if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
  preset=$1
  shift
fi

start=$(date +%s)
status=1
report() {
  echo "test.sh: preset '$preset' exit $status, wall time $(( $(date +%s) - start ))s"
}
trap report EXIT

. cmake/deps.sh
deps_install "${CHAT_BUILD_DEPS[@]}" "${CHAT_TEST_DEPS[@]}"

# The HCL parser for tests/deploy/terraform_test.py, from the npm registry
# into tests/deploy/node_modules; skipped when present or when npm is absent
# (the test then reports itself skipped).
if [ ! -d tests/deploy/node_modules/@cdktf/hcl2json ] && command -v npm >/dev/null; then
  (cd tests/deploy && npm ci --no-audit --no-fund >&2) ||
    echo "test.sh: npm ci in tests/deploy failed; the HCL test will skip" >&2
fi

# playwright-core for tests/web (it drives Debian's chromium, and never
# downloads a browser of its own); without it those tests report skipped.
# npm comes with some builds of nodejs; Debian's is a package of its own.
command -v npm >/dev/null || deps_install npm || true
if [ ! -d tests/web/node_modules/playwright-core ] && command -v npm >/dev/null; then
  (cd tests/web && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund >&2) ||
    echo "test.sh: npm ci in tests/web failed; the browser tests will skip" >&2
fi

# Tests are forced on so that presets that leave them off (release, bench)
# still have something to run.
cmake --preset "$preset" -DCHAT_BUILD_TESTS=ON
cmake --build --preset "$preset"

# Sanitizer runtimes in GCC 12 break with high mmap ASLR entropy
# (vm.mmap_rnd_bits > 28 on newer kernels); disable ASLR for the test run
# when that applies and the sandbox allows it.
runner=()
case "$preset" in
  asan|tsan)
    bits=$(cat /proc/sys/vm/mmap_rnd_bits 2>/dev/null || echo 0)
    if [ "$bits" -gt 28 ] && setarch "$(uname -m)" -R true 2>/dev/null; then
      echo "test.sh: vm.mmap_rnd_bits=$bits, running ctest with ASLR disabled"
      runner=(setarch "$(uname -m)" -R)
    fi
    ;;
esac

set +e
"${runner[@]}" ctest --preset "$preset" "$@"
status=$?
set -e
exit "$status"
