#!/usr/bin/env bash
# README command 1: builds everything and runs the example provider end to
# end against the emulated ws2_32, on Linux and, as a Windows program, under
# Wine. Prints what happened.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== build (linux) =="
cmake --preset linux >/dev/null
cmake --build --preset linux
echo "== build (mingw-wine) =="
cmake --preset mingw-wine >/dev/null
cmake --build --preset mingw-wine
echo
echo "== hello_provider on Linux =="
build/linux/examples/hello_provider/hello_provider_demo
echo
echo "== hello_provider.exe under Wine =="
export WINEPREFIX="$PWD/build/mingw-wine/wineprefix" WINEDEBUG=-all
[ -d "$WINEPREFIX" ] || wineboot -i >/dev/null 2>&1
wine build/mingw-wine/examples/hello_provider/hello_provider_demo.exe </dev/null 2>&1 | cat
wineserver -k >/dev/null 2>&1 || true
