#!/usr/bin/env bash
# README command 1: builds everything (Linux, and Windows with mingw-w64) and
# runs the end-to-end demo: counting_lsp installed over uvnet in a fresh
# world, a plain loopback echo peer, WSASend/WSARecv with a completion port;
# it prints the catalog, the LSP's byte counts and the call trace as a
# sequence diagram, and writes the diagram as Mermaid and PlantUML source
# (build/linux/examples/demo/lsp_demo.mmd, .puml). Then the minimal
# hello_provider demo on Linux; then both demos as Windows programs under
# Wine.
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
echo "== lsp_demo: application -> ws2_32 front -> counting_lsp -> uvnet =="
build/linux/examples/demo/lsp_demo build/linux/examples/demo
echo
echo "== hello_provider on Linux =="
build/linux/examples/hello_provider/hello_provider_demo
echo
export WINEPREFIX="$PWD/build/mingw-wine/wineprefix" WINEDEBUG=-all
[ -d "$WINEPREFIX" ] || wineboot -i >/dev/null 2>&1
echo "== lsp_demo.exe under Wine (uvnet over Windows sockets; summary) =="
wine build/mingw-wine/examples/demo/lsp_demo.exe 'Z:\tmp' </dev/null 2>&1 |
  grep -E '^(application|bytes|OK|!!|world)' || true
echo
echo "== hello_provider.exe under Wine =="
wine build/mingw-wine/examples/hello_provider/hello_provider_demo.exe </dev/null 2>&1 | cat
wineserver -k >/dev/null 2>&1 || true
