#!/usr/bin/env bash
# README command 2: runs every test on every leg: linux, asan (ASan+UBSan),
# tsan and mingw-wine (Windows build, tests under Wine). Stops at the first
# failing leg. LEGS="linux asan" scripts/test-all.sh runs a subset. The linux
# and mingw-wine legs also check the package (scripts/check-package.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
legs=${LEGS:-linux asan tsan mingw-wine}
for leg in $legs; do
  echo "== leg: $leg =="
  cmake --preset "$leg" >/dev/null
  cmake --build --preset "$leg" >/dev/null
  ctest --preset "$leg"
  case $leg in
    # The installed package, pkg-config and add_subdirectory, each consumed
    # by a one-test project (about 40 s).
    linux|mingw-wine) scripts/check-package.sh "$leg" ;;
  esac
done
echo "all legs passed: $legs"
