#!/usr/bin/env bash
# Builds libuv and CMocka for x86_64 Windows (mingw-w64) from Debian's source
# packages, into PREFIX. Debian packages neither for mingw. Idempotent.
# Usage: build-mingw-deps.sh WORKDIR PREFIX TOOLCHAIN_FILE
set -euo pipefail
work=$1 prefix=$2 toolchain=$3
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
cmake -S cmocka -B build-cmocka "${common[@]}" -DWITH_STATIC_LIB=ON \
  -DUNIT_TESTING=OFF -DWITH_EXAMPLES=OFF >/dev/null
cmake --build build-cmocka >/dev/null
cmake --install build-cmocka >/dev/null
echo "mingw libuv and cmocka installed in $prefix"
