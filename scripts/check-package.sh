#!/usr/bin/env bash
# Checks the ways provider authors consume libwpu (README: "Using libwpu from
# your project"), for one preset's build:
#   1. configures, builds and installs the preset's build (build/PRESET, or
#      $WPU_PACKAGE_BUILD_DIR) into a temporary prefix (mktemp -d);
#   2. tests/package/ against that prefix, through find_package(libwpu CONFIG)
#      and wpu_add_provider_test only: configure, build, ctest;
#   3. examples/ (the example providers, a project of their own) against
#      that prefix the same way: configure, build, ctest;
#   4. the same test compiled by hand with `pkg-config libwpu`, and run;
#   5. tests/package/parent/: add_subdirectory() of this source tree, then the
#      same test: configure, build, ctest.
# Usage: scripts/check-package.sh PRESET   (linux, mingw-wine; asan and tsan
# work too: the package's libraries bring the sanitizer's runtime, and step 4
# builds without the sanitizer).
# mingw-wine: the consumers use cmake/toolchain-mingw64.cmake and run their
# tests under Wine in the preset build's prefix (build/mingw-wine/wineprefix);
# step 4 reuses the preset build's mingw-w64 libuv and CMocka.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
preset=${1:?usage: scripts/check-package.sh PRESET}
build=${WPU_PACKAGE_BUILD_DIR:-build/$preset}
case $build in /*) ;; *) build=$root/$build ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=$tmp/prefix

run() { # quiet unless the command fails
  if ! "$@" >"$tmp/log" 2>&1; then
    cat "$tmp/log" >&2
    echo "check-package: failed: $*" >&2
    exit 1
  fi
}

echo "== package ($preset): build, install into $prefix =="
run cmake --preset "$preset" -B "$build"
run cmake --build "$build"
run cmake --install "$build" --prefix "$prefix"

cache() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
build_type=$(cache CMAKE_BUILD_TYPE)
common=(-G Ninja -DCMAKE_BUILD_TYPE="${build_type:-RelWithDebInfo}")
consumer=(-DCMAKE_PREFIX_PATH="$prefix")
parent=()
windows=0
if grep -q '^CMAKE_TOOLCHAIN_FILE:.*toolchain-mingw64' "$build/CMakeCache.txt"; then
  windows=1
  wineprefix=$build/wineprefix
  common+=(-DCMAKE_TOOLCHAIN_FILE="$root/cmake/toolchain-mingw64.cmake"
           -DCMAKE_CROSSCOMPILING_EMULATOR=wine -DWPU_WINEPREFIX="$wineprefix")
  # The toolchain re-roots package searches under the mingw-w64 sysroot.
  consumer=(-Dlibwpu_DIR="$prefix/lib/cmake/libwpu")
  parent=(-DWPU_MINGW_DEPS_PREFIX="$(cache WPU_MINGW_DEPS_PREFIX)")
fi

echo "== find_package(libwpu CONFIG): tests/package =="
run cmake -S tests/package -B "$tmp/consumer" "${common[@]}" "${consumer[@]}"
run cmake --build "$tmp/consumer"
ctest --test-dir "$tmp/consumer" --output-on-failure

echo "== find_package(libwpu CONFIG): examples/ =="
run cmake -S examples -B "$tmp/examples" "${common[@]}" "${consumer[@]}"
run cmake --build "$tmp/examples"
ctest --test-dir "$tmp/examples" --output-on-failure

echo "== pkg-config libwpu =="
export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
cflags=$(pkg-config --cflags libwpu)
libs=$(pkg-config --libs libwpu)
provider_cflags=$(pkg-config --variable=provider_cflags libwpu)
if [ $windows = 1 ]; then
  cc=x86_64-w64-mingw32-gcc exe=$tmp/test_package_pc.exe
else
  cc=${CC:-cc} exe=$tmp/test_package_pc
fi
# shellcheck disable=SC2086 # the flags are lists
run "$cc" -Wall -Wextra -Werror $cflags $provider_cflags tests/package/provider.c \
  tests/package/test_package.c $libs -o "$exe"
if [ $windows = 1 ]; then
  export WINEPREFIX=$wineprefix WINEDEBUG=-all
  [ -d "$WINEPREFIX" ] || run wineboot -i
  status=0
  wine "$exe" </dev/null >"$tmp/pc.out" 2>&1 || status=$?
  wineserver -k >/dev/null 2>&1 || true
  unset WINEPREFIX WINEDEBUG
else
  status=0
  "$exe" </dev/null >"$tmp/pc.out" 2>&1 || status=$?
fi
if [ $status != 0 ]; then
  cat "$tmp/pc.out" >&2
  echo "check-package: the pkg-config build of the test failed ($status)" >&2
  exit 1
fi
echo "pkg-config build of tests/package: passed"

echo "== add_subdirectory(libwpu): tests/package/parent =="
run cmake -S tests/package/parent -B "$tmp/parent" "${common[@]}" "${parent[@]}"
run cmake --build "$tmp/parent"
ctest --test-dir "$tmp/parent" --output-on-failure

echo "package check passed: $preset"
