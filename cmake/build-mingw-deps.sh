#!/usr/bin/env bash
# Builds libuv and CMocka for x86_64 Windows (mingw-w64) from Debian's source
# packages, into PREFIX. Debian packages neither for mingw. Idempotent.
# Usage: build-mingw-deps.sh WORKDIR PREFIX TOOLCHAIN_FILE
# libuv's own ws2_32 calls are then bound to the real ws2_32 for good, so
# that fake_ws2's front can take the application's (see
# libwpu/src/mingw/uv_real_winsock.c).
set -euo pipefail
work=$1 prefix=$2 toolchain=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
cd "$work"
fetch() { # source package name, unpacked directory
  if [ ! -d "$2" ]; then
    if ! ls "$1"_*.dsc >/dev/null 2>&1; then
      apt-get source --download-only -qq "$1" >/dev/null 2>apt-source.log || {
        cat apt-source.log >&2
        echo "apt-get source $1 failed: run scripts/setup.sh (it adds the deb-src entry)" >&2
        exit 1
      }
    fi
    dpkg-source -q -x "$(ls "$1"_*.dsc | head -n 1)" "$2" >/dev/null
  fi
}
fetch libuv1 libuv
fetch cmocka cmocka
common=(-G Ninja -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release
        -DCMAKE_INSTALL_PREFIX="$prefix")
cmake -S libuv -B build-libuv "${common[@]}" -DLIBUV_BUILD_TESTS=OFF \
  -DLIBUV_BUILD_BENCH=OFF >/dev/null
cmake --build build-libuv >/dev/null
cmake --install build-libuv >/dev/null
real_src=$here/../libwpu/src/mingw/uv_real_winsock.c
names=$(sed -n 's/^.*X(\([A-Za-z0-9_]*\)).*$/&/p' "$real_src" |
  grep -o 'X([A-Za-z0-9_]*)' | sed 's/X(\(.*\))/\1/' | grep -v '^name$')
renames=()
for n in $names; do
  renames+=(--redefine-sym "__imp_$n=__imp_wpu_real_$n")
done
x86_64-w64-mingw32-objcopy "${renames[@]}" "$prefix/lib/libuv_a.a"
x86_64-w64-mingw32-gcc -O2 -c "$real_src" -o uv_real_winsock.o
x86_64-w64-mingw32-ar r "$prefix/lib/libuv_a.a" uv_real_winsock.o
touch "$prefix/lib/libuv_a.winsock-routed"
cmake -S cmocka -B build-cmocka "${common[@]}" -DWITH_STATIC_LIB=ON \
  -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF >/dev/null
cmake --build build-cmocka >/dev/null
cmake --install build-cmocka >/dev/null
echo "mingw libuv and cmocka installed in $prefix"
